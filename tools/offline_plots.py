"""Render `dvc plots show` / `dvc plots diff` as a self-contained offline page, and export every plot.

DVC's own HTML loads Vega from a CDN and is blank without internet. This asks DVC for the
filled Vega-Lite specs (`--json`), inlines Vega, Vega-Lite and Vega-Embed (the bundle shipped
in the `vl-convert-python` package), embeds the image plots as data URIs, and writes:

    dvc_plots/index.html        every plot, no network needed
    dvc_plots/static/<id>.svg   each Vega plot exported offline (and .png)

Usage (from the project root, with the virtualenv's dvc on PATH):
    python -m tools.offline_plots                 # like `dvc plots show`
    python -m tools.offline_plots diff HEAD~1     # like `dvc plots diff HEAD~1`
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import mimetypes
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

OUT = Path("dvc_plots")


@dataclass(frozen=True)
class Plot:
    plot_id: str
    kind: str            # "vega" or "image"
    spec: dict | None    # Vega-Lite spec with data, for "vega"
    image_uri: str = ""  # data: URI, for "image"
    revision: str = ""


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "plot"


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def parse_dvc_json(payload: dict, base: Path) -> list[Plot]:
    """Turn `dvc plots show/diff --json` output into plots (image paths resolved against ``base``)."""
    plots = []
    for plot_id, entries in payload.get("data", {}).items():
        for entry in entries:
            revision = ", ".join(entry.get("revisions") or [])
            if entry.get("type") == "vega":
                plots.append(Plot(plot_id, "vega", entry["content"], revision=revision))
            elif entry.get("type") == "image":
                path = Path(entry["url"])
                plots.append(Plot(plot_id, "image", None, _data_uri(path if path.is_absolute() else base / path),
                                  revision=revision))
    return plots


def _script_json(obj) -> str:
    # JSON inside <script>: "</" would end the element early.
    return json.dumps(obj).replace("</", "<\\/")


def build_page(title: str, plots: list[Plot], bundle_js: str) -> str:
    """One HTML page: images inline, Vega plots rendered by the inlined libraries.

    When rendering finishes, <body data-rendered="N"> holds the number of Vega plots drawn;
    script errors are listed in <pre id="errors"> (tests read both).
    """
    sections, specs = [], []
    for plot in plots:
        caption = html.escape(plot.plot_id) + (f" <small>({html.escape(plot.revision)})</small>" if plot.revision else "")
        if plot.kind == "vega":
            body = f'<div class="vega" id="vega-{len(specs)}"></div>'
            specs.append(plot.spec)
        else:
            body = f'<img alt="{html.escape(plot.plot_id)}" src="{plot.image_uri}">'
        sections.append(f'<section class="plot"><h2>{caption}</h2>{body}</section>')
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
section.plot {{ display: inline-block; vertical-align: top; margin: 0 2em 2em 0; }}
section.plot img {{ max-width: 720px; }}
h2 {{ font-size: 1em; }}
#errors:empty {{ display: none; }}
#errors {{ color: #b00; }}
</style>
<script>
window.plotErrors = [];
window.addEventListener("error", e => {{ window.plotErrors.push(String(e.message)); report(); }});
function report() {{ document.getElementById("errors").textContent = window.plotErrors.join("\\n"); }}
</script>
<script>{bundle_js}</script>
</head>
<body data-rendered="0" data-expected="{len(specs)}">
<h1>{html.escape(title)}</h1>
<pre id="errors"></pre>
{chr(10).join(sections)}
<script>
const specs = {_script_json(specs)};
Promise.all(specs.map((spec, i) => vegaEmbed("#vega-" + i, spec, {{actions: false, renderer: "svg"}})))
  .then(results => {{ document.body.dataset.rendered = String(results.length); }})
  .catch(err => {{ window.plotErrors.push(String(err)); report(); }});
</script>
</body>
</html>
"""


def export_static(plots: list[Plot], folder: Path) -> list[Path]:
    """Write each Vega plot as SVG and PNG with vl-convert (offline)."""
    import vl_convert as vlc

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, plot in enumerate(p for p in plots if p.kind == "vega"):
        stem = folder / f"{i:02d}_{slug(plot.plot_id)}"
        svg = stem.with_suffix(".svg")
        svg.write_text(vlc.vegalite_to_svg(plot.spec))
        png = stem.with_suffix(".png")
        png.write_bytes(vlc.vegalite_to_png(plot.spec, scale=1.5))
        written += [svg, png]
    return written


def dvc_plots_json(command: str, revisions: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["dvc", "plots", command, *revisions, "--json", "-o", tmp]
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"error: {' '.join(argv)} failed:\n{result.stderr.strip()}")
        payload = json.loads(result.stdout)
        # image files are copied under tmp: embed them before it disappears
        payload["_plots"] = parse_dvc_json(payload, Path(tmp))
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="show", choices=("show", "diff"))
    parser.add_argument("revisions", nargs="*", help="for diff: the revisions to compare (default: HEAD)")
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    import vl_convert as vlc

    payload = dvc_plots_json(args.command, args.revisions)
    plots = payload["_plots"]
    for error in payload.get("errors", []) or []:
        print(f"warning: dvc reported {error}", file=sys.stderr)
    if not plots:
        raise SystemExit("error: dvc returned no plots (run `dvc repro` first?)")
    title = "dvc plots " + " ".join([args.command, *args.revisions])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "index.html").write_text(build_page(title, plots, vlc.javascript_bundle()), encoding="utf-8")
    static = export_static(plots, args.out / "static")
    n_vega = sum(p.kind == "vega" for p in plots)
    print(f"wrote {args.out / 'index.html'}: {n_vega} Vega plots + {len(plots) - n_vega} images, offline; "
          f"{len(static)} exported files in {args.out / 'static'}")


if __name__ == "__main__":
    main()
