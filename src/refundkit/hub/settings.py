"""What the launcher tells the JupyterHub configuration: one dataclass, carried in environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..app.serve import APP_DIR, SHARE_DIR
from ..sop import REPO_ROOT

PREFIX = "REFUNDKIT_HUB_"
TRAINEE_URL = "/voila/render/start.ipynb"
TRAINER_DIR = REPO_ROOT / "exercises" / "trainer"
TRAINER_URL = "/voila/render/workshop_dashboard.ipynb"
# Trainee servers serve the app and nothing else a learner could wander into: Voila is their only server
# extension (no JupyterLab, language servers or terminals), which also makes each start lighter.
SERVER_ARGS = ("--ServerApp.terminals_enabled=False", "--VoilaConfiguration.template=refundkit",
               "--ServerApp.jpserver_extensions={'voila.server_extension': True, 'jupyterlab': False, "
               "'jupyter_lsp': False, 'notebook_shim': False, 'jupyter_server_terminals': False}",
               "--MappingKernelManager.cull_idle_timeout=600", "--MappingKernelManager.cull_interval=60",
               "--VoilaExecutor.iopub_timeout=120")


@dataclass
class HubSettings:
    port: int
    hub_api_port: int
    proxy_api_port: int
    db: str                       # the progress record (postgresql:// URL)
    password: str                 # the room's password for trainees
    trainer_password: str         # the trainer's (admin) password, 32 characters or more
    state: Path                   # the hub's own files: its SQLite state, cookie secret, home folders
    proxy: str                    # configurable-http-proxy
    trainer: str = "trainer"
    trainees: list[str] = field(default_factory=list)
    ip: str = "127.0.0.1"
    mem_limit: str = ""
    app_dir: Path = APP_DIR
    share_dir: Path = SHARE_DIR
    trainee_url: str = TRAINEE_URL
    trainer_dir: Path = TRAINER_DIR
    trainer_url: str = TRAINER_URL
    server_args: tuple[str, ...] = SERVER_ARGS

    def to_env(self) -> dict[str, str]:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[PREFIX + f.name.upper()] = ("\n".join(v) if isinstance(v, (list, tuple)) else str(v))
        return out

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "HubSettings":
        env = os.environ if env is None else env
        kw = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.name in ("port", "hub_api_port", "proxy_api_port"):
                kw[f.name] = int(raw)
            elif f.name in ("trainees", "server_args"):
                items = [x for x in raw.split("\n") if x]
                kw[f.name] = items if f.name == "trainees" else tuple(items)
            elif f.name in ("state", "app_dir", "share_dir", "trainer_dir"):
                kw[f.name] = Path(raw)
            else:
                kw[f.name] = raw
        return cls(**kw)
