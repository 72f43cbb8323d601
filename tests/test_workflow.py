"""The DVC workflow end to end, in a temporary git repo holding a copy of the project.

A tiny synthetic mirror (local directory) and tiny params keep it to a couple of minutes.
The tests run in file order and share one repository: repro, no-op repro, a param change,
an experiment, plots diff, and the offline plots page in headless Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.synthetic import sha256sums_text, write_mirror

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ["dvc.yaml", "params.yaml", "stages", "lib", "tools", ".dvcignore", ".gitignore",
           ".dvc/config", ".dvc/.gitignore", ".dvc/plots"]
ALL_STAGES = {"download", "filter", "train-mlp", "evaluate", "lr-range-test", "train-onecycle",
              "train-constant@lr_max", "train-constant@lr_min", "compare-lr"}
TINY = {
    "download": {"retries": 0, "canonical_fallback": False},
    "filter": {"val_fraction": 0.2},
    "train_mlp": {"epochs": 2, "hidden": 8, "batch_size": 16},
    "lenet": {"subset_fraction": 0.5, "epochs": 2, "seeds": [0], "batch_size": 16, "verbose": 0},
    "lr_range": {"start_lr": 1.0e-3, "end_lr": 0.5},
}

pytestmark = pytest.mark.workflow


@dataclass
class Workspace:
    """The temporary project, and the environment its commands run in."""

    path: Path
    env: dict = field(default_factory=dict)
    first_run: str = ""

    def __truediv__(self, other: str) -> Path:
        return self.path / other


def sh(repo: Workspace, *argv: str) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=repo.path, capture_output=True, text=True, env=repo.env)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("workflow")
    repo = Workspace(base / "project")
    for name in PROJECT:
        src, dst = ROOT / name, repo / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    for pycache in repo.path.rglob("__pycache__"):
        shutil.rmtree(pycache)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    for section, values in TINY.items():
        params[section].update(values)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    mirror = base / "mirror"
    (base / "SHA256SUMS").write_text(sha256sums_text(write_mirror(mirror, n_train=400, n_test=100, per_batch=60)))
    repo.env = {**os.environ,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "DATA_MIRROR": str(mirror), "DATA_SHA256SUMS": str(base / "SHA256SUMS"),
                "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    sh(repo, "git", "init", "-q", "-b", "main")
    first = sh(repo, "dvc", "repro")
    repo.first_run = first.stdout
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "baseline")
    return repo


def test_repro_runs_every_stage(repo):
    assert ran_stages(repo.first_run) == ALL_STAGES
    assert json.loads((repo / "metrics/filter.json").read_text())["sizes"]["test"] > 0


def test_second_repro_runs_nothing(repo):
    out = sh(repo, "dvc", "repro").stdout
    assert ran_stages(out) == set()
    assert "up to date" in sh(repo, "dvc", "status").stdout


def test_param_change_reruns_only_downstream_stages_and_diffs_show_it(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["lenet"]["seeds"] = [1]
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    status = sh(repo, "dvc", "status", "--json").stdout
    assert set(json.loads(status)) == {"train-onecycle", "train-constant@lr_max", "train-constant@lr_min"}
    out = sh(repo, "dvc", "repro").stdout
    assert ran_stages(out) == {"train-onecycle", "train-constant@lr_max", "train-constant@lr_min", "compare-lr"}

    params_diff = json.loads(sh(repo, "dvc", "params", "diff", "--json").stdout)
    assert params_diff["params.yaml"]["lenet.seeds"] == {"old": "[0]", "new": "[1]"}  # DVC shows lists as text
    metrics_diff = json.loads(sh(repo, "dvc", "metrics", "diff", "--json").stdout)
    changed = metrics_diff["metrics/lenet/constant_lr_max.json"]
    assert "seeds.seed_1.final_val_accuracy" in changed and changed["seeds.seed_1.final_val_accuracy"]["old"] is None
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "seed 1")


def test_exp_run_creates_an_experiment_with_metrics(repo):
    out = sh(repo, "dvc", "exp", "run", "-n", "lr-005", "-S", "train_mlp.lr=0.05").stdout
    assert ran_stages(out) == {"train-mlp", "evaluate"}
    show = json.loads(sh(repo, "dvc", "exp", "show", "--json").stdout)
    experiments = [exp for rev in show for exp in (rev.get("experiments") or [])]
    names = {exp.get("name") for exp in experiments}
    assert "lr-005" in names
    exp = next(e for e in experiments if e.get("name") == "lr-005")
    data = exp["revs"][0]["data"]
    assert data["params"]["params.yaml"]["data"]["train_mlp"]["lr"] == 0.05
    assert 0 <= data["metrics"]["metrics/evaluate.json"]["data"]["test_accuracy"] <= 1


def vega_plot_ids(repo) -> set[str]:
    dvc_yaml = yaml.safe_load((repo / "dvc.yaml").read_text())
    return {next(iter(p)) for p in dvc_yaml["plots"] if isinstance(p, dict)}


def test_plots_diff_writes_html_with_every_plot(repo):
    sh(repo, "dvc", "plots", "diff", "HEAD~1", "-o", "diff_plots")
    page = (repo / "diff_plots/index.html").read_text()
    dvc_yaml = yaml.safe_load((repo / "dvc.yaml").read_text())
    for plot in dvc_yaml["plots"]:
        plot_id = plot if isinstance(plot, str) else next(iter(plot))
        assert plot_id in page, plot_id


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_offline_plots_render_in_headless_chromium(repo, tmp_path):
    out = sh(repo, sys.executable, "-m", "tools.offline_plots").stdout
    assert "Vega plots" in out
    page = repo / "dvc_plots/index.html"
    text = page.read_text()
    assert "cdn.jsdelivr" not in text and "<script src=" not in text  # nothing to fetch
    n_vega = len(vega_plot_ids(repo))
    assert f'data-expected="{n_vega}"' in text
    assert len(list((repo / "dvc_plots/static").glob("*.svg"))) == n_vega

    browser = chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (.ci/run installs it)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=180).stdout
    assert re.search(r'<pre id="errors"></pre>', dom), re.search(r'<pre id="errors">.*?</pre>', dom, re.S)
    assert f'data-rendered="{n_vega}"' in dom
    assert dom.count('class="marks"') == n_vega  # one rendered SVG per Vega plot
    assert dom.count("<img alt=") == len([p for p in yaml.safe_load((repo / "dvc.yaml").read_text())["plots"]
                                      if isinstance(p, str)])
    shot = tmp_path / "page.png"
    subprocess.run([browser, *flags, "--window-size=1400,4000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=180)
    assert shot.exists() and shot.stat().st_size > 20_000  # a blank page is a few KB
