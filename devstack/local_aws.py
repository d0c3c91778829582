"""AWS on loopback: moto's server in this process, and an environment that sends every boto3 client to it."""

import logging
import os

from moto.server import ThreadedMotoServer

from devstack.template import REGION

HOST = "127.0.0.1"

# Variables that would take a client elsewhere than the moto server, or to real credentials.
_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


def _point_boto3_at(endpoint: str) -> None:
    # A service's own AWS_ENDPOINT_URL_<SERVICE> outranks AWS_ENDPOINT_URL in botocore: drop them all.
    for name in [*_REMOVED, *(name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_"))]:
        os.environ.pop(name, None)
    # Credentials from the environment outrank any profile or instance role, so nothing reaches AWS.
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    # A proxy configured in the shell must not see calls to loopback (botocore and urllib honour these).
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [host for host in os.environ.get(name, "").split(",") if host]
        os.environ[name] = ",".join(dict.fromkeys([*hosts, HOST, "localhost"]))


class LocalAws:
    """moto's server on a free loopback port, and the process environment pointed at it."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        # moto and the front both log each request through werkzeug's logger; moto's would drown the
        # front's. The front logs its requests itself (devstack.front), so keep werkzeug to warnings.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        _point_boto3_at(self.endpoint)
        return self.endpoint

    def stop(self) -> None:
        if self.endpoint:
            self._server.stop()
            self.endpoint = ""
