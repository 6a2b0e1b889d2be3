"""How long nbval takes over the lesson notebooks, against the floor on this machine.

    .venv/bin/python benchmarks/notebook_suite.py [--repeat 3] [PATH ...]

PATH   notebooks or folders (default: notebooks/ and exercises/, every notebook `make test` checks;
       `notebooks/[0-9]*.ipynb` for the lessons alone)
suite  wall time of `pytest --nbval --nbval-current-env` over those notebooks
       (one pytest process, as `make test` runs it; pytest start included)
floor  one bare kernel start plus one trivial cell, shut down, times the number of notebooks
       (the least any per-notebook kernel runner can take)
Prints both and their ratio (target: suite within 1.5x of the floor), as wall time and as CPU
time (user+sys of this process and every process it waited for, kernels included): on a
shared machine the wall figures swing with other people's load, the CPU figures much less.
Figures, not asserts.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def notebooks(args: list[str]) -> list[Path]:
    out = []
    for a in args or ["notebooks", "exercises"]:
        p = (REPO / a) if not Path(a).is_absolute() else Path(a)
        out += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts) if p.is_dir() else [p]
    return out


def cpu() -> float:
    """CPU seconds used so far by this process and its reaped children (kernels, pytest)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def bare_kernel() -> tuple[float, float]:
    """(wall, cpu) seconds to start the kernel nbval starts (--nbval-current-env), run `1+1`, stop it."""
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, start_new_kernel

    c = cpu()
    t = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=CURRENT_ENV_KERNEL_NAME, cwd=str(REPO / "notebooks"))
    try:
        kc.execute_interactive("1+1", timeout=60, output_hook=lambda _msg: None)  # not echoed into the report
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return time.perf_counter() - t, cpu() - c


def suite(paths: list[Path]) -> tuple[float, float, str]:
    c = cpu()
    t = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
                          "--nbval", "--nbval-current-env", *map(str, paths)],
                         cwd=REPO, capture_output=True, text=True)
    took = time.perf_counter() - t
    return took, cpu() - c, run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="bare kernel starts to take the median of")
    ap.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks exercises)")
    args = ap.parse_args()
    paths = notebooks(args.paths)
    # Import what the floor's client side needs first, so the first start does not pay for it.
    import nbval.kernel  # noqa: F401
    starts = [bare_kernel() for _ in range(args.repeat)]
    one, one_cpu = statistics.median(s[0] for s in starts), statistics.median(s[1] for s in starts)
    n = len(paths)
    took, took_cpu, result = suite(paths)
    print(f"notebooks:            {n}")
    print(f"bare kernel + 1 cell: {one:.2f} s wall, {one_cpu:.2f} s CPU "
          f"(median of {args.repeat}: {', '.join(f'{w:.2f}' for w, _ in starts)})")
    print(f"floor:                {one * n:.1f} s wall, {one_cpu * n:.1f} s CPU  ({n} x)")
    print(f"nbval suite:          {took:.1f} s wall, {took_cpu:.1f} s CPU  ({result})")
    print(f"ratio suite/floor:    {took / (one * n):.2f} wall, {took_cpu / (one_cpu * n):.2f} CPU  (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
