"""Logs in to a running Sightline and runs schemathesis (every check, as schemathesis.toml
enables them) against the spec it serves: the operations it implements, the parameters and body fields it honours. Prints the
summary and exits with schemathesis's status. `logout` is left out: it would end the run's own
session."""

import os
import subprocess
import sys
import tempfile

import requests

base = os.environ["LOOKERSDK_BASE_URL"]
login = requests.post(
    base + "/api/4.0/login",
    data={"client_id": os.environ["LOOKERSDK_CLIENT_ID"], "client_secret": os.environ["LOOKERSDK_CLIENT_SECRET"]},
    timeout=30,
)
login.raise_for_status()
token = login.json()["access_token"]
st = os.path.join(os.path.dirname(sys.executable), "st")
here = os.path.dirname(os.path.abspath(__file__))
command = [
    st, "--config-file", os.path.join(here, "schemathesis.toml"),
    "run", base + "/api/4.0/swagger.json",
    "--max-examples", os.environ.get("SIGHTLINE_SCHEMATHESIS_EXAMPLES", "40"),
    "--seed", os.environ.get("SIGHTLINE_SCHEMATHESIS_SEED", "20261123"),
    "--header", "Authorization: token " + token,
    "--exclude-operation-id", "logout",
    "--generation-database", "none",
]
# schemathesis keeps a cache in its working folder: a scratch one, never the checkout.
workdir = os.environ.get("SIGHTLINE_SCHEMATHESIS_WORKDIR") or tempfile.mkdtemp()
sys.exit(subprocess.run(command, cwd=workdir, env={**os.environ, "NO_COLOR": "1"}).returncode)
