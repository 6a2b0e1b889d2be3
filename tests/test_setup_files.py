"""environment.yml stays in step with pyproject.toml; .ci/run runs the README's test command; `make lab`
and `make trainer` start the app's kernels."""
from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["name"] == "refund-sop-kit"
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    runtime = {_name(d): d for d in project["dependencies"]}
    missing = set(runtime) - set(conda)
    assert not missing, f"environment.yml lacks {sorted(missing)}"
    for name, spec in runtime.items():  # same version bounds
        assert conda[name].replace(" ", "") == spec.replace(" ", ""), (name, conda[name], spec)
    assert any(p.startswith("-e .[test]") for p in pip), "the kit itself, with its test extra, through pip"
    assert re.search(r">=\s*3\.11", project["requires-python"]) and conda["python"].replace(" ", "") == "python>=3.11"


def test_ci_runs_make_test():
    run = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", run, re.M)
    assert "make test" in (REPO / "README.md").read_text()


def test_make_lab_and_trainer_start_the_apps_kernels():
    """Both put the app's kernel spec (warm kernels on Unix sockets) first on JUPYTER_PATH: the Makefile
    names its folder, which must be the one the app serves from (tests/browser/test_lab.py checks the
    kernels a Lab gets from there)."""
    from refundkit.app.serve import SHARE_DIR

    assert (SHARE_DIR / "kernels" / "python3" / "kernel.json").is_file()
    for target in ("lab", "trainer"):
        dry = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=REPO, capture_output=True,
                             text=True, timeout=60).stdout
        line = next(x for x in dry.splitlines() if "/jupyter lab " in x)
        first = re.search(r'JUPYTER_PATH="([^"$:]+)', line)
        assert first and Path(first.group(1)) == SHARE_DIR, (target, line)
