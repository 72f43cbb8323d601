"""Shared fixtures: a local HTTP mirror on 127.0.0.1 and a synthetic dataset mirror."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.synthetic import write_mirror


class MirrorServer:
    """Serves files under ``root`` with scripted faults: a count of 500s, or a cut-off body."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: dict[str, int] = {}       # url path -> how many 500 responses to send first
        self.cut_after: dict[str, int] = {}    # url path -> send only this many body bytes
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                server.requests.append(path)
                if server.errors.get(path, 0) > 0:
                    server.errors[path] -= 1
                    self.send_error(500, "scripted failure")
                    return
                file = server.root / path
                if not file.is_file():
                    self.send_error(404)
                    return
                body = file.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: server.cut_after.get(path, len(body))])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror(tmp_path_factory):
    """A synthetic mirror directory and its checksums."""
    root = tmp_path_factory.mktemp("mirror")
    sums = write_mirror(root)
    return root, sums


@pytest.fixture
def http_mirror(mirror):
    root, sums = mirror
    with MirrorServer(root) as server:
        yield server, sums
