"""A training room behind logins: JupyterHub, one server per trainee, the record on PostgreSQL.

    make hub                      # python -m refundkit.hub: PostgreSQL + JupyterHub on localhost:8000

- `__main__`: the launcher (local PostgreSQL unless a URL is given, passwords, links, stop).
- `jupyterhub_config.py`: shared-password logins (the trainer as admin), local servers forked warm,
  each server opening the trainee app in Voila with the login name as the recorded learner.
- `settings`: what the launcher passes to the config (REFUNDKIT_HUB_* variables).
- `warm_servers`: the zygote the trainees' servers fork from (imported once, not once per login).
- `postgres`: a PostgreSQL server from the OS packages in a folder of ours (also used by the tests).
"""
