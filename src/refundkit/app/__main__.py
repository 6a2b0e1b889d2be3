"""`python -m refundkit.app [--port N] [Voila options]`: serve the trainee app (what `make app` runs)."""
from __future__ import annotations

import argparse
import os
import sys

from ..sop import LANGS, default_sop
from .serve import start_url, voila_argv, voila_env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m refundkit.app", description=__doc__)
    parser.add_argument("--port", type=int, default=8866)
    args, extra = parser.parse_known_args(argv)
    sop = default_sop()
    title = " / ".join(sop.t("app_title", lang) for lang in LANGS)
    print(f"{title}: {start_url(args.port)}   (Ctrl+C)", flush=True)
    cmd = voila_argv(args.port, extra)
    os.execve(cmd[0], cmd, voila_env())  # Voila takes over this process: Ctrl+C stops it directly


if __name__ == "__main__":
    main(sys.argv[1:])
