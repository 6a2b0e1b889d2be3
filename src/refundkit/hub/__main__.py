"""`python -m refundkit.hub`: JupyterHub for a training room (what `make hub` runs).

    python -m refundkit.hub [--port 8000] [--db postgresql://...] [--password P] [--trainer NAME]
                            [--trainees "王芳 李雷 ..."] [--state .hub]

Starts PostgreSQL from the OS packages in the state folder (unless --db gives a
server), then JupyterHub on localhost with the proxy installed from npm into
the state folder. Prints the login address, the room password for trainees and
the trainer's password. The trainees' servers and kernels start warm
(refundkit.hub.warm_servers, refundkit.warm_kernel).
Ctrl+C stops the hub, every trainee server and the database server it started;
the records stay in the state folder.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..ports import free_port
from ..progress import ProgressError, ProgressStore
from ..warm_kernel import PAGE_PRELOAD, zygote
from . import warm_servers
from .postgres import LocalPostgres, PostgresError
from .settings import HubSettings

CONFIG = Path(__file__).with_name("jupyterhub_config.py")
PROXY = Path("node_modules") / ".bin" / "configurable-http-proxy"


def _secret(state: Path, name: str, make) -> str:
    """A password kept in the state folder (readable by its owner only), so it stays the same between starts."""
    f = state / name
    if f.exists():
        return f.read_text().strip()
    value = make()
    f.write_text(value + "\n")
    f.chmod(0o600)
    return value


def _pg_folder(state: Path) -> Path:
    """Where the local PostgreSQL keeps its files. As root the server runs as `nobody`, which may not
    reach into the project's folder (a home folder is often private): then a folder under /var/tmp."""
    if os.geteuid() != 0:
        return state / "pg"
    key = hashlib.sha256(str(state.resolve()).encode()).hexdigest()[:12]
    return Path(os.environ.get("REFUNDKIT_HUB_PG_DIR") or Path("/var/tmp") / f"refundkit-hub-{key}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m refundkit.hub", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=8000, help="the login page's port on localhost (default 8000)")
    p.add_argument("--db", default=os.environ.get("REFUNDKIT_HUB_DB", ""),
                   help="the progress record: a postgresql:// URL (default: a PostgreSQL started in the state folder)")
    p.add_argument("--password", default=os.environ.get("REFUNDKIT_HUB_PASSWORD", ""),
                   help="the room password trainees log in with, 8 characters or more (default: random, kept)")
    p.add_argument("--trainer", default="trainer", help="the trainer's login name (admin)")
    p.add_argument("--trainees", default="", help="only these names may log in (space separated); default: any name")
    p.add_argument("--state", default=".hub", help="the hub's folder (default .hub)")
    p.add_argument("--proxy", default="", help="configurable-http-proxy (default: STATE/node_modules/.bin/...)")
    return p.parse_args(argv)


def settings(args: argparse.Namespace, db: str) -> HubSettings:
    state = Path(args.state).resolve()
    password = args.password or _secret(state, "room-password", lambda: secrets.token_hex(4))
    if len(password) < 8:
        raise SystemExit("--password: the room password needs 8 characters or more")
    proxy = args.proxy or str(state / PROXY)
    if not Path(proxy).exists() and not shutil.which(proxy):
        raise SystemExit(f"{proxy}: configurable-http-proxy is not installed "
                         f"(make hub installs it: npm install --prefix {args.state} configurable-http-proxy)")
    return HubSettings(port=args.port, hub_api_port=free_port(), proxy_api_port=free_port(), db=db,
                       password=password,
                       trainer_password=_secret(state, "trainer-password", lambda: secrets.token_urlsafe(24)),
                       state=state, proxy=proxy, trainer=args.trainer, trainees=args.trainees.split())


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    state = Path(args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    pg = None
    try:
        if args.db:
            db = args.db
        else:
            pg = LocalPostgres(_pg_folder(state)).start()
            db = pg.create_database("refundkit")
        ProgressStore(db).count()  # creates the schema, or says in one line why the record cannot be used
        s = settings(args, db)
    except (PostgresError, ProgressError) as exc:
        if pg:
            pg.stop()
        print(f"make hub: {exc}", file=sys.stderr)
        return 2
    shown = ProgressStore(db).where
    print(f"JupyterHub for the room: http://localhost:{s.port}/hub/login   (Ctrl+C stops it)\n"
          f"  trainees: log in with your own name and the room password {s.password}\n"
          f"  trainer:  log in as {s.trainer} with the password {s.trainer_password}\n"
          f"            (kept in {state / 'trainer-password'}); the trainer page opens\n"
          f"  records:  {shown}", flush=True)
    # Trainees' kernels fork from one warm process (refundkit.warm_kernel), as in `make app`: each starts at
    # once and shares the imported libraries' memory; it stops with this launcher.
    warm = Path(tempfile.mkdtemp(prefix="refundkit-hub-"))
    try:
        with zygote(str(warm), preload=PAGE_PRELOAD) as kernel_env:
            # Trainees' servers fork from one warm process too (refundkit.hub.warm_servers): a room logging
            # in at once does not import the server twenty times over.
            servers = warm_servers.start_zygote(warm / "servers.sock")
            env = {**kernel_env, **s.to_env(), **({warm_servers.ENV: str(warm / "servers.sock")} if servers else {})}
            hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], cwd=state, env=env)

            def stop(_sig, _frame):
                hub.send_signal(signal.SIGTERM)

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            code = hub.wait()
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(warm, ignore_errors=True)
    return 0 if code in (0, -signal.SIGTERM, 128 + signal.SIGTERM) else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
