"""A wheel install (not editable) runs the command line with the kit's own SOP and data.

The wheel is built from the sdist, as a package index would (the build backend pyproject.toml names,
in a fresh venv holding only the build requirements it lists; one process runs both of its hooks:
each run of the backend in a process of its own cost ~0.6 s of CPU to import it), and installed with
uv, without its dependencies, into a fresh venv that borrows this venv's installed dependencies (a path line in a
.pth file: this venv's own .pth files, the kit's editable link among them, are not read from there;
both venvs install the dependencies pyproject.toml lists). Then `refundkit sop check`, `refundkit
decide` on a scenario's case and `refundkit triage data/sample_export` run from a folder outside the
checkout (`decide` as the installed command, the other two in one process of the wheel's Python).
Each must answer as the checkout does; `sop check` must name the SOP inside the installed package.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
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


# A build frontend's two calls (PEP 517): build_sdist in the checkout, build_wheel in the unpacked sdist.
BUILD = """
import importlib, os, sys, tarfile
module, _, obj = sys.argv[1].partition(":")
backend = importlib.import_module(module)
for name in filter(None, obj.split(".")):
    backend = getattr(backend, name)
checkout, out = sys.argv[2], os.path.abspath(sys.argv[3])
os.chdir(checkout)
sdist = backend.build_sdist(out)
with tarfile.open(os.path.join(out, sdist)) as tar:
    tar.extractall(os.path.join(out, "unpacked"), filter="data")
os.chdir(os.path.join(out, "unpacked", sdist.removesuffix(".tar.gz")))
print(backend.build_wheel(out))
"""


def left_behind(folder: str, names: list[str]) -> set[str]:
    """What is not in a fresh clone: what .gitignore names (the venv, builds, caches), and .git."""
    top = {".git", ".venv", "out", ".hub", ".hypothesis", "build", "dist"} if Path(folder) == REPO else set()
    return {n for n in names if n in top or n in {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
            or n.endswith(".egg-info")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if UV is None:
        pytest.skip("uv is not installed (make installs it into .venv)")
    tmp = tmp_path_factory.mktemp("wheel")
    # sdist first, then the wheel from it: a clean build that also proves the sdist carries the kit
    # from a copy of the checkout as a fresh clone has it: an egg-info left by an earlier build would put the
    # files its SOURCES.txt lists into the sdist, whatever MANIFEST.in says
    shutil.copytree(REPO, tmp / "checkout", ignore=left_behind)
    system = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    uv("venv", "--python", sys.executable, str(tmp / "build"))
    uv("pip", "install", "--python", str(tmp / "build" / "bin" / "python"), *system["requires"])
    built = subprocess.run([str(tmp / "build" / "bin" / "python"), "-c", BUILD, system["build-backend"],
                            str(tmp / "checkout"), str(tmp / "dist")], cwd=tmp, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = tmp / "dist" / built.stdout.splitlines()[-1]
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


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("REFUNDKIT_", "PYTHON", "VIRTUAL_ENV"))}


def run(installed, *args: str) -> subprocess.CompletedProcess:
    """The installed `refundkit` command (the wheel's entry point)."""
    venv, work = installed
    return subprocess.run([str(venv / "bin" / "refundkit"), *args], cwd=work, env=env(), capture_output=True, text=True)


# Several commands in one process of the installed kit (each process imports the kit and pandas again).
COMMANDS = """
import contextlib, io, json, sys
import refundkit
from refundkit.cli import main
said = {"where": refundkit.__file__}
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    said[" ".join(args)] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(said))
"""


def run_in_wheel(installed, *commands: list[str]) -> dict:
    """{"where": the kit's __init__.py, "COMMAND": [exit code, stdout, stderr]} from the wheel's Python."""
    venv, work = installed
    r = subprocess.run([str(venv / "bin" / "python"), "-c", COMMANDS, json.dumps(commands)], cwd=work, env=env(),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def same_in_checkout(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_wheel_runs_the_kit_outside_the_checkout(installed, sop, capsys, monkeypatch):
    venv, work = installed
    monkeypatch.chdir(work)  # triage writes its duplicates list into the current folder
    assert next(venv.glob("lib/python*/site-packages/refundkit/engine.py"))  # installed, not a link to src/
    data = yaml.safe_load((REPO / "data" / "scenarios.yaml").read_text(encoding="utf-8"))
    sc = data["scenarios"][0]
    (work / "case.yaml").write_text(yaml.safe_dump(sc["case"], allow_unicode=True), encoding="utf-8")
    now = str(data["training_clock"])
    r = run(installed, "decide", "case.yaml", "--now", now, "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["action"] == sc["expected"]["action"]
    assert got == json.loads(same_in_checkout(capsys, "decide", str(work / "case.yaml"), "--now", now, "--json"))

    said = run_in_wheel(installed, ["sop", "check"], ["triage", "data/sample_export", "--lang", "en"])
    assert said["where"].startswith(str(venv)), said["where"]  # the wheel's kit, not the checkout's
    code, out, err = said["sop check"]
    assert code == 0, err
    assert out.strip() == sop.summary_line()
    shipped = next(venv.glob("lib/python*/site-packages/refundkit/_kit/sop/refund_sop.yaml"))
    assert str(shipped) in err  # the SOP inside the package, not the checkout's
    assert shipped.read_bytes() == (REPO / "sop" / "refund_sop.yaml").read_bytes()

    code, out, err = said["triage data/sample_export --lang en"]
    assert code == 0, err
    assert "Rows read:" in out
    assert out == same_in_checkout(capsys, "triage", str(work / "data" / "sample_export"), "--lang", "en")
