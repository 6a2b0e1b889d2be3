"""Build step on top of pyproject.toml: a wheel carries the kit's own files.

`sop/`, `data/`, `exercises/questions.yaml` and `exercises/data/` stay where trainers edit
them; building a wheel copies them into `refundkit/_kit/` (refundkit.paths finds them there
when no checkout is around). Nothing is kept twice in the repository.
"""
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
KIT_FILES = runpy.run_path(str(HERE / "src" / "refundkit" / "paths.py"))["KIT_FILES"]


class build_py_with_kit(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "refundkit" / "_kit"
        shutil.rmtree(target, ignore_errors=True)  # a file removed from the kit leaves no stale copy
        for rel in KIT_FILES:
            src, dst = HERE / rel, target / rel
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".*"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": build_py_with_kit})
