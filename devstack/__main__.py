"""`make run`: the whole stack of template.yaml on loopback, without Docker or an AWS account.

moto's server plays AWS; every resource of the template is created on it; an HTTP front plays API Gateway
(authorizers included) and runs the template's functions in this process; pollers play the event source
mappings and subscriptions of the template's streams, queues and topics; a receiver shows the callbacks
of the demo account's export endpoint; the demo account gets a webhook per operation and an admin API key.
"""

import argparse
import os
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from werkzeug.serving import WSGIRequestHandler

from devstack import environment
from devstack.banner import Where, banner
from devstack.console import Console
from devstack.front import Front
from devstack.functions import Functions
from devstack.local_aws import LocalAws, client_environment
from devstack.pollers import Pollers
from devstack.provision import not_created, provision
from devstack.receiver import CALLBACK_PATH, JSON_ROUTE, Receiver
from devstack.routes import Router, routes
from devstack.server import LoopbackServer, QuietRequests, RequestLog
from devstack.template import Stack
from devstack.triggers import triggers

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

DEFAULT_PORT = 3000
# The template's parameters as the local stack deploys it: export endpoints may be on loopback, where the
# receiver is.
LOCAL_PARAMETERS = {"AllowLocalEndpoints": "true"}


def _port(parser: argparse.ArgumentParser, given: int | None, variable: str, default: int) -> int:
    if given is None:
        setting = os.environ.get(variable, str(default))
        if not setting.isdigit():
            parser.error(f"{variable}={setting!r} is not a port number")
        given = int(setting)
    if not 0 <= given <= 65535:
        parser.error(f"port {given} is not a port number")
    return given


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        help=f"port of the API on 127.0.0.1; 0 picks a free one (default: $MAILHOOKS_PORT or {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--receiver-port",
        type=int,
        help="port of the callback receiver (default: $MAILHOOKS_RECEIVER_PORT, or the API's port + 1, "
        "or a free one with --port 0)",
    )
    parser.add_argument(
        "--environment-file",
        type=Path,
        default=environment.ENVIRONMENT_FILE,
        help="where to write the stack's environment while it runs (default: %(default)s)",
    )
    arguments = parser.parse_args(argv)
    arguments.port = _port(parser, arguments.port, "MAILHOOKS_PORT", DEFAULT_PORT)
    default_receiver = arguments.port + 1 if arguments.port else 0
    arguments.receiver_port = _port(
        parser, arguments.receiver_port, "MAILHOOKS_RECEIVER_PORT", default_receiver
    )
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


def _listen(
    app: "WSGIApplication", port: int, name: str, option: str, handler: type[WSGIRequestHandler] = RequestLog
) -> LoopbackServer:
    try:
        return LoopbackServer(app, port, name, handler)
    except OSError as error:
        raise SystemExit(
            f"Cannot listen on 127.0.0.1:{port} for the {name} ({os.strerror(error.errno or 0)}); "
            f"choose another port with {option}."
        ) from None


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    if sys.stdout.isatty():
        # Before the functions are imported: their loggers keep the stdout they find.
        sys.stdout = Console(sys.stdout)
    stopping = _stop_on_signals()
    with ExitStack() as running:
        local_aws = LocalAws()
        aws_endpoint = local_aws.start()
        running.callback(local_aws.stop)
        stack = provision(Stack.from_file(overrides=LOCAL_PARAMETERS))
        functions = Functions(stack)
        # Imported only now: mailhooks' modules create Powertools loggers as they are imported, and those
        # take their service name from the environment, which is set once the functions are imported.
        from devstack.seed import endpoint_secrets, seed

        router = Router(routes(stack))
        found = triggers(stack)

        receiver = _listen(
            Receiver(endpoint_secrets), arguments.receiver_port, "receiver", "--receiver-port", QuietRequests
        )
        receiver.start()
        running.callback(receiver.stop)
        demo = seed(receiver.url + CALLBACK_PATH)

        front = _listen(Front(router, functions), arguments.port, "API", "--port or MAILHOOKS_PORT")
        pollers = Pollers(found.found, functions)
        pollers.start()
        running.callback(pollers.stop)
        front.start()
        running.callback(front.stop)

        variables = {
            **client_environment(aws_endpoint),
            **stack.shared_environment(),
            environment.API_URL: front.url,
            environment.RECEIVER_URL: receiver.url,
        }
        environment.write(arguments.environment_file, variables)
        running.callback(environment.remove, arguments.environment_file, variables)

        notes = [
            *(
                f"no demo webhook for {name}: devstack/seed.py has no sample payload for it"
                for name in demo.without_sample
            ),
            *found.notes,
            *not_created(stack),
        ]
        where = Where(
            api=front.url,
            aws=aws_endpoint,
            receiver_page=f"{receiver.url}/",
            receiver_json=f"{receiver.url}{JSON_ROUTE}",
            environment_file=str(arguments.environment_file),
        )
        trigger_lines = [f"{trigger.function} <- {trigger.describe(stack)}" for trigger in found.found]
        print(banner(where, router.routes, trigger_lines, sorted(stack.physical), demo, notes), flush=True)
        # Polled: the signal may reach another thread, and then only wakes this one at its timeout.
        while not stopping.wait(0.2):
            pass
        print("Stopping.", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
