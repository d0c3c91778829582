"""`make run`: the whole stack of template.yaml on loopback, without Docker or an AWS account.

moto's server plays AWS; every resource of the template is created on it; an HTTP front plays API Gateway
and runs the template's functions in this process; a demo account gets a webhook per operation.
"""

import argparse
import os
import signal
import sys
import threading
from types import FrameType

from devstack.banner import banner
from devstack.front import Front, FrontServer
from devstack.functions import Functions
from devstack.local_aws import LocalAws
from devstack.provision import provision
from devstack.routes import Router, other_events, routes
from devstack.template import Stack

DEFAULT_PORT = 3000


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        help=f"port of the API on 127.0.0.1; 0 picks a free one (default: $MAILHOOKS_PORT or {DEFAULT_PORT})",
    )
    arguments = parser.parse_args(argv)
    if arguments.port is None:
        setting = os.environ.get("MAILHOOKS_PORT", str(DEFAULT_PORT))
        if not setting.isdigit():
            parser.error(f"MAILHOOKS_PORT={setting!r} is not a port number")
        arguments.port = int(setting)
    if not 0 <= arguments.port <= 65535:
        parser.error(f"port {arguments.port} is not a port number")
    return arguments


def _stop_on_signals() -> threading.Event:
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        # A second Ctrl-C while stopping interrupts at once.
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return stopping


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    stopping = _stop_on_signals()
    local_aws = LocalAws()
    aws_endpoint = local_aws.start()
    try:
        stack = provision(Stack.from_file())
        functions = Functions(stack)
        # Imported only now: mailhooks' modules create Powertools loggers as they are imported, and those
        # take their service name from the environment, which is set once the functions are imported.
        from devstack.seed import seed

        router = Router(routes(stack))
        demo = seed()
        try:
            server = FrontServer(Front(router, functions), arguments.port)
        except OSError as error:
            print(
                f"Cannot listen on 127.0.0.1:{arguments.port} ({os.strerror(error.errno or 0)}); "
                "choose another port with --port or MAILHOOKS_PORT.",
                file=sys.stderr,
            )
            return 1
        notes = [
            *(
                f"no demo webhook for {name}: devstack/seed.py has no sample payload for it"
                for name in demo.without_sample
            ),
            *(
                f"{function}'s {kind} event {event} is not emulated: nothing invokes it locally"
                for function, event, kind in other_events(stack)
            ),
            *(
                f"the Auth of {api} is not emulated: requests reach its functions without an authorizer"
                for api in sorted({route.api.logical_id for route in router.routes if route.api.auth})
            ),
        ]
        server.start()
        try:
            print(
                banner(
                    server.url,
                    aws_endpoint,
                    router.routes,
                    sorted(stack.physical),
                    demo.description,
                    demo.webhooks,
                    notes,
                ),
                flush=True,
            )
            # Polled: the signal may reach another thread, and then only wakes this one at its timeout.
            while not stopping.wait(0.2):
                pass
            print("Stopping.", file=sys.stderr, flush=True)
        finally:
            server.stop()
    finally:
        local_aws.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
