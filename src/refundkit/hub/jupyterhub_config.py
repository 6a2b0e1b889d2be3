# JupyterHub configuration for a training room (`make hub`, `python -m refundkit.hub`).
# The launcher (refundkit/hub/__main__.py) sets the REFUNDKIT_HUB_* variables read here; see
# refundkit.hub for the whole picture. `c` is JupyterHub's config object.
import asyncio
import os
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner

from refundkit.app.turn import ROOM_TURN_ENV
from refundkit.hub.settings import HubSettings
from refundkit.hub.warm_servers import ENV as SERVERS_ENV, fork_server
from refundkit.ports import free_port
from refundkit.warm_kernel import ENV

s = HubSettings.from_env()
c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

# -- where: loopback only; the proxy from npm (configurable-http-proxy), ports chosen by the launcher
c.JupyterHub.ip = s.ip
c.JupyterHub.port = s.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s.hub_api_port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
c.ConfigurableHTTPProxy.command = [s.proxy]
c.ConfigurableHTTPProxy.debug = False
c.JupyterHub.db_url = f"sqlite:///{s.state / 'jupyterhub.sqlite'}"  # the hub's own state, not the records
c.JupyterHub.cookie_secret_file = str(s.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(s.state / "jupyterhub.pid")
c.JupyterHub.log_level = os.environ.get("REFUNDKIT_HUB_LOG_LEVEL", "WARN")
c.ConfigurableHTTPProxy.pid_file = str(s.state / "jupyterhub-proxy.pid")

# -- who: one room password for trainees, the trainer as admin with a password of their own
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = s.password
c.SharedPasswordAuthenticator.admin_password = s.trainer_password
c.Authenticator.admin_users = {s.trainer}
if s.trainees:
    c.Authenticator.allowed_users = set(s.trainees)  # a roster: no other name can log in
else:
    c.Authenticator.allow_all = True

# -- each login gets its own server (a process on this machine) that opens the trainee app
class WarmSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner (no system accounts needed) whose servers are forked warm by the
    launcher's zygote (refundkit.hub.warm_servers); a plain process when there is none."""

    async def start(self):
        if self.port == 0:  # kept from outgoing connections until the server binds it (refundkit.ports)
            self.port = free_port()
        sock = os.environ.get(SERVERS_ENV, "")
        if not sock or not os.path.exists(sock):
            return await super().start()
        env = self.get_env()
        self.log.info("Forking a warm server for %s", self.user.name)
        try:
            pid = await asyncio.to_thread(fork_server, sock, self.get_args(), env, self.home_dir)
        except OSError as exc:
            self.log.warning("No warm server (%s): starting a plain one", exc)
            return await super().start()
        self.proc, self.pid = None, pid  # watched and stopped by its pid, as after a restart of the hub
        return (self.ip or "127.0.0.1", self.port)


c.JupyterHub.spawner_class = WarmSpawner
c.WarmSpawner.home_dir_template = str(s.state / "homes" / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = str(s.app_dir)
c.Spawner.default_url = s.trainee_url
c.Spawner.args = [*(["--allow-root"] if os.geteuid() == 0 else []), *s.server_args]
# REFUNDKIT_WARM_KERNELS: the launcher's warm-kernel process, which the trainees' kernels fork from.
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "PYTHONPATH", "REFUNDKIT_SOP", "REFUNDKIT_CHROMIUM", ENV]
c.Spawner.environment = {
    "REFUNDKIT_DB": s.db,
    "JUPYTER_PATH": str(s.share_dir),
    # The recorded learner is the login name, never a typed one (refundkit.exercises.session).
    "REFUNDKIT_LEARNER": lambda spawner: "" if spawner.user.admin else spawner.user.name,
    # The trainees' kernels take turns preparing the app's other parts, as in `make app` (refundkit.app.turn):
    # a room logging in at once does not build them all together on the trainer's laptop.
    ROOM_TURN_ENV: str(s.state / "prebuild.turn"),
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.mem_limit = s.mem_limit or None  # advisory here (the local spawner does not enforce it); k8s does


def _trainer_opens_the_trainer_page(spawner):
    if spawner.user.admin:
        spawner.notebook_dir = str(s.trainer_dir)
        spawner.default_url = s.trainer_url


c.Spawner.pre_spawn_hook = _trainer_opens_the_trainer_page
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
Path(s.state / "homes").mkdir(parents=True, exist_ok=True)
