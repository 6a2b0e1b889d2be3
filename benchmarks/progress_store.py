"""How fast learners' checks land in the progress database when a whole room clicks at once.

    python benchmarks/progress_store.py [LEARNERS] [CHECKS_EACH]     (default 20 learners x 30 checks)

Each learner is its own process (as each has its own kernel) checking answers
of exercise 4 through `refundkit.exercises.Session`, which checks against the
engine's key and records one short transaction per check. Prints the wall
time, checks per second, and the median / 95th percentile / worst time one
check takes (checking + recording) while the others write too.
"""
from __future__ import annotations

import json
import os
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
learner, n, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
s = Session("ex04", learner=learner)
qs = [(q.id, list(s.key(q.id).answer)) for q in s.questions]
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


def main(argv: list[str]) -> int:
    learners = int(argv[0]) if argv else 20
    each = int(argv[1]) if len(argv) > 1 else 30
    with tempfile.TemporaryDirectory() as d:
        db, go = Path(d) / "room.sqlite3", Path(d) / "go"
        env = dict(os.environ, REFUNDKIT_DB=str(db))
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, f"learner{i:02d}", str(each), str(go)],
                                  env=env, stdout=subprocess.PIPE, text=True) for i in range(learners)]
        time.sleep(3)  # let every process import and compute its keys
        start = time.perf_counter()
        go.touch()
        times = []
        for p in procs:
            out, _ = p.communicate(timeout=600)
            if p.returncode != 0:
                print(f"a learner process failed (exit {p.returncode})", file=sys.stderr)
                return 1
            times += json.loads(out)
        wall = time.perf_counter() - start
        from refundkit.progress import ProgressStore

        rows = ProgressStore(db).count()
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"learners {learners}, checks {learners * each}, rows in the database {rows}")
    print(f"wall {wall:.2f} s, {rows / wall:.0f} checks/s")
    print(f"one check: median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
          f"worst {times[-1] * 1000:.1f} ms")
    return 0 if rows == learners * each else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
