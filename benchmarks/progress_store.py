"""How fast learners' checks land in the progress record when a whole room clicks at once,
on SQLite and on PostgreSQL.

    python benchmarks/progress_store.py [LEARNERS] [CHECKS_EACH] [--db sqlite|postgresql|URL ...]

Default: 20 learners x 30 checks, on SQLite and on a PostgreSQL server started from the OS
packages in a temporary folder (refundkit.hub.postgres), fsync on as in a room. Each learner
is its own process (as each has its own kernel) checking answers of exercise 4 through
`refundkit.exercises.Session`, which checks against the engine's key and records one short
transaction per check. Prints, per database: records written per second with every writer
at once, beside the floor measured in the same run (one writer alone, same checks), and the
median / 95th percentile / worst time one check takes; and the machine's load average.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = """
import json, sys, time
from pathlib import Path
from refundkit.exercises.session import Session
from refundkit.progress import ProgressStore
learner, n, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
s = Session("ex04", learner=learner, store=ProgressStore())
qs = [(q.id, list(s.key(q.id).answer)) for q in s.questions]
s.store.count()   # connect and check the schema before the start signal
while not go.exists():
    time.sleep(0.002)
times = []
for i in range(n):
    qid, key = qs[i % len(qs)]
    t = time.perf_counter()
    s.check(qid, key if i % 3 else [])
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def run(db: str, learners: int, each: int, workdir: Path) -> dict:
    """`learners` processes checking `each` answers at once; returns wall time, rows and per-check times."""
    from refundkit.progress import ProgressStore

    go = workdir / f"go-{time.monotonic_ns()}"
    env = dict(os.environ, REFUNDKIT_DB=db)
    env.pop("REFUNDKIT_LEARNER", None)
    before = ProgressStore(db).count()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, f"learner{i:02d}", str(each), str(go)],
                              env=env, stdout=subprocess.PIPE, text=True) for i in range(learners)]
    time.sleep(2 + 0.4 * learners)  # let every process import, compute its keys and connect
    start = time.perf_counter()
    go.touch()
    times: list[float] = []
    for p in procs:
        out, _ = p.communicate(timeout=900)
        if p.returncode != 0:
            raise SystemExit(f"a learner process failed (exit {p.returncode})")
        times += json.loads(out)
    wall = time.perf_counter() - start
    rows = ProgressStore(db).count() - before
    times.sort()
    return {"wall": wall, "rows": rows, "rate": rows / wall, "median": statistics.median(times),
            "p95": times[int(0.95 * (len(times) - 1))], "worst": times[-1]}


def report(name: str, room: dict, floor: dict, learners: int) -> None:
    print(f"{name}: {room['rows']} records by {learners} writers in {room['wall']:.2f} s = "
          f"{room['rate']:.0f} records/s   (floor, one writer alone: {floor['rate']:.0f} records/s)")
    print(f"  one check with {learners} writing: median {room['median'] * 1000:.1f} ms, "
          f"p95 {room['p95'] * 1000:.1f} ms, worst {room['worst'] * 1000:.1f} ms   "
          f"(alone: median {floor['median'] * 1000:.1f} ms)")


def main(argv: list[str]) -> int:
    nums = [a for a in argv if a.isdigit()]
    learners = int(nums[0]) if nums else 20
    each = int(nums[1]) if len(nums) > 1 else 30
    targets = [argv[i + 1] for i, a in enumerate(argv) if a == "--db"] or ["sqlite", "postgresql"]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as d:
        work, pg = Path(d), None
        try:
            for t in targets:
                if t == "sqlite":
                    db = str(work / "room.sqlite3")
                elif t == "postgresql":
                    from refundkit.hub.postgres import LocalPostgres

                    pg_dir = Path(tempfile.mkdtemp(prefix="refundkit-bench-pg-"))
                    pg = LocalPostgres(pg_dir).start()
                    db = pg.create_database("bench")
                else:
                    db = t
                floor = run(db, 1, each, work)
                room = run(db, learners, each, work)
                shown = "SQLite (WAL, synchronous=FULL)" if t == "sqlite" else "PostgreSQL (fsync on)"
                report(shown if t in ("sqlite", "postgresql") else t, room, floor, learners)
                if room["rows"] != learners * each:
                    print(f"  LOST: {learners * each - room['rows']} checks")
                    return 1
        finally:
            if pg:
                pg.stop()
                shutil.rmtree(pg.dir, ignore_errors=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
