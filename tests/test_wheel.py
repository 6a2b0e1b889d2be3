"""A wheel install (not editable) runs the command line with the kit's own SOP and data.

The wheel is built with uv (from the sdist, as a package index would) and installed, without its
dependencies, into a fresh venv that borrows this venv's installed dependencies (a path line in a
.pth file: this venv's own .pth files, the kit's editable link among them, are not read from there;
both venvs install the dependencies pyproject.toml lists). Then `refundkit sop check`, `refundkit
decide` on a scenario's case and `refundkit triage data/sample_export` run from a folder outside the
checkout. Each must
answer as the checkout does; `sop check` must name the SOP inside the installed package.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from refundkit.cli import main

REPO = Path(__file__).resolve().parent.parent
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def uv(*args: str) -> None:
    """uv offline first (its cache holds everything after `make`), then from the registry."""
    for extra in (["--offline"], []):
        r = subprocess.run([UV, *args, *extra, "--quiet"], capture_output=True, text=True)
        if r.returncode == 0:
            return
    raise AssertionError(f"uv {' '.join(args)} failed:\n{r.stderr[-2000:]}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if UV is None:
        pytest.skip("uv is not installed (make installs it into .venv)")
    tmp = tmp_path_factory.mktemp("wheel")
    # sdist first, then the wheel from it: a clean build that also proves the sdist carries the kit
    uv("build", "-o", str(tmp / "dist"), str(REPO))
    wheel = next((tmp / "dist").glob("refundkit-*.whl"))
    venv = tmp / "venv"
    uv("venv", "--python", sys.executable, str(venv))
    uv("pip", "install", "--no-deps", "--python", str(venv / "bin" / "python"), str(wheel))
    # The dependencies from this venv, compiled already (installing and compiling them again took most
    # of this test's time); the kit itself only from the wheel (asserted below).
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    work = tmp / "shop"  # a folder of the user's, far from the checkout
    shutil.copytree(REPO / "data" / "sample_export", work / "data" / "sample_export")
    return venv, work


def run(installed, *args: str) -> subprocess.CompletedProcess:
    venv, work = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFUNDKIT_", "PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([str(venv / "bin" / "refundkit"), *args], cwd=work, env=env, capture_output=True, text=True)


def same_in_checkout(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_wheel_runs_the_kit_outside_the_checkout(installed, sop, capsys, monkeypatch):
    venv, work = installed
    monkeypatch.chdir(work)  # triage writes its duplicates list into the current folder
    assert next(venv.glob("lib/python*/site-packages/refundkit/engine.py"))  # installed, not a link to src/
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import refundkit; print(refundkit.__file__)"],
                           capture_output=True, text=True, cwd=work).stdout
    assert where.startswith(str(venv)), where  # the wheel's kit, not the checkout's
    r = run(installed, "sop", "check")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == sop.summary_line()
    shipped = next(venv.glob("lib/python*/site-packages/refundkit/_kit/sop/refund_sop.yaml"))
    assert str(shipped) in r.stderr  # the SOP inside the package, not the checkout's
    assert shipped.read_bytes() == (REPO / "sop" / "refund_sop.yaml").read_bytes()

    data = yaml.safe_load((REPO / "data" / "scenarios.yaml").read_text(encoding="utf-8"))
    sc = data["scenarios"][0]
    (work / "case.yaml").write_text(yaml.safe_dump(sc["case"], allow_unicode=True), encoding="utf-8")
    now = str(data["training_clock"])
    r = run(installed, "decide", "case.yaml", "--now", now, "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["action"] == sc["expected"]["action"]
    assert got == json.loads(same_in_checkout(capsys, "decide", str(work / "case.yaml"), "--now", now, "--json"))

    r = run(installed, "triage", "data/sample_export", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "Rows read:" in r.stdout
    assert r.stdout == same_in_checkout(capsys, "triage", str(work / "data" / "sample_export"), "--lang", "en")
