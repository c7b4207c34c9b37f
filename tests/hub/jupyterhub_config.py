# JupyterHub configuration for scripts/test-hub: a real hub on 127.0.0.1 with
# configurable-http-proxy, a shared-password authenticator (no PAM), and each
# single-user server started as its user's uid, either as a local process
# (LocalProcessSpawner) or as a Slurm job (batchspawner.SlurmSpawner).
#
# Everything that differs between runs comes from the environment that
# scripts/test-hub sets (ports picked at run time, the state directory, the
# password, the admin service's token):
#
#   HUB_TEST_STATE        directory for the database, cookie secret, proxy pid (0700, root's)
#   HUB_TEST_PORT         public port (the proxy)
#   HUB_TEST_HUB_PORT     the hub's own port (API, single-user servers call it)
#   HUB_TEST_PROXY_API    configurable-http-proxy's API port
#   HUB_TEST_CHP          path of the configurable-http-proxy executable (from npm)
#   HUB_TEST_VENV         the virtualenv holding jupyterhub-singleuser and our package
#   HUB_TEST_PASSWORD     the shared password alice and bob log in with
#   HUB_TEST_ADMIN_TOKEN  API token of the "test-admin" service (the admin role)
#   HUB_TEST_SPAWNER      "local" (default) or "slurm"
#   HUB_TEST_CULL         if set: seconds of inactivity after which
#                         jupyterhub-idle-culler (a hub-managed service) stops a server
#   HUB_TEST_ACTIVITY     seconds between activity reports (hub <- proxy, server -> hub)
#   HUB_TEST_SLURM_SHORT  user whose Slurm job gets a 1-minute time limit (the others get 10)
#
# To see the checks fail against a broken setup (never set by scripts/test):
#   HUB_TEST_SERVER_ENV   JSON object added to every single-user server's environment
#                         (e.g. {"FIREFOX_LAUNCHER_BIN": "/bin/false"})
#   HUB_TEST_ADMIN_USERS  comma-separated users made hub admins (e.g. bob: then the hub lets him
#                         into alice's server)
import json
import os
import sys

c = get_config()  # noqa: F821 (provided by JupyterHub)

env = os.environ
state = env["HUB_TEST_STATE"]
venv = env["HUB_TEST_VENV"]
activity = int(env.get("HUB_TEST_ACTIVITY", "300"))

c.JupyterHub.bind_url = f"http://127.0.0.1:{env['HUB_TEST_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env['HUB_TEST_HUB_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['HUB_TEST_PROXY_API']}"
c.ConfigurableHTTPProxy.command = [env["HUB_TEST_CHP"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{os.path.join(state, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")
# How often the hub asks the proxy for each route's last activity.
c.JupyterHub.last_activity_interval = activity
# Stopping the hub stops every server (the default, said here because the
# script relies on it to leave nothing behind).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# A password for everyone, no PAM: alice and bob are real local users, but
# the hub never asks the system about their passwords.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = env["HUB_TEST_PASSWORD"]
c.Authenticator.allowed_users = {"alice", "bob"}
if env.get("HUB_TEST_ADMIN_USERS"):
    c.Authenticator.admin_users = set(env["HUB_TEST_ADMIN_USERS"].split(","))

# The test's own admin identity: a service with the admin role.
c.JupyterHub.services = [{"name": "test-admin", "api_token": env["HUB_TEST_ADMIN_TOKEN"]}]
c.JupyterHub.load_roles = [{"name": "admin", "services": ["test-admin"]}]

if env.get("HUB_TEST_CULL"):
    c.JupyterHub.services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={int(env['HUB_TEST_CULL'])}",
                "--cull-every=2",
            ],
        }
    )
    c.JupyterHub.load_roles.append(
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    )

# The single-user server: JupyterLab from the shared virtualenv, with our package.
c.Spawner.cmd = [os.path.join(venv, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
c.Spawner.environment = {
    # How often the server tells the hub it was active.
    "JUPYTERHUB_ACTIVITY_INTERVAL": str(activity),
    **json.loads(env.get("HUB_TEST_SERVER_ENV") or "{}"),
}

if env.get("HUB_TEST_SPAWNER", "local") == "slurm":
    c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
    # The hub runs as root: no sudo needed to submit as the user.
    c.SlurmSpawner.exec_prefix = "runuser -u {username} --"
    c.SlurmSpawner.batchspawner_singleuser_cmd = os.path.join(venv, "bin", "batchspawner-singleuser")
    c.SlurmSpawner.req_partition = "debug"
    c.SlurmSpawner.req_runtime = "00:10:00"
    c.SlurmSpawner.req_keepvars_extra = "SLURM_CONF,PATH"
    c.SlurmSpawner.environment = dict(c.Spawner.environment, SLURM_CONF=env["SLURM_CONF"])
    c.SlurmSpawner.startup_poll_interval = 0.5
    c.SlurmSpawner.start_timeout = 180
    short = env.get("HUB_TEST_SLURM_SHORT")

    def _runtime(spawner):
        # One user's job reaches its time limit during the test.
        if short and spawner.user.name == short:
            spawner.req_runtime = "00:01:00"

    c.SlurmSpawner.pre_spawn_hook = _runtime
else:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    # SIGINT, then SIGTERM, then SIGKILL: the defaults, written down.
    c.LocalProcessSpawner.interrupt_timeout = 10
    c.LocalProcessSpawner.term_timeout = 5
