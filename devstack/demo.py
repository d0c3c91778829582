"""`make demo`: with the local stack running (make run), post each demo webhook's sample payload, as its
curl line in the banner does, and print the callbacks that came back to the local receiver.

The running stack is found through the environment file it writes (devstack.environment); the demo
webhooks' tokens are read from its data table.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from devstack import environment
from devstack.receiver import JSON_ROUTE

# Callbacks are taken to be all in once none came for this long.
QUIET_SECONDS = 5.0
MOST_SECONDS = 30.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NotRunning(Exception):
    pass


def _http(url: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": content_type} if content_type else {}
    # Only the local stack's own http URLs are opened here.
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        raise NotRunning(f"{url} does not answer ({error})") from None


def _callbacks(receiver: str) -> list[dict[str, Any]]:
    """Every callback the receiver has, oldest first."""
    _, body = _http(receiver + JSON_ROUTE)
    listed: list[dict[str, Any]] = json.loads(body)
    return listed[::-1]


def _post_samples(api: str) -> None:
    # Imported only now, once the environment points mailhooks at the running stack's tables.
    from devstack.seed import ACCOUNT_ID, samples, webhook_name
    from mailhooks.store.inbound_webhooks import inbound_webhook_records

    tokens = {
        webhook.name: webhook.token for webhook in inbound_webhook_records().inbound_webhooks(ACCOUNT_ID)
    }
    print("Each demo webhook's sample payload, posted as its curl line does:", flush=True)
    for operation, sample in samples().items():
        token = tokens.get(webhook_name(operation))
        if token is None:
            print(f"  {operation:<18} no demo webhook (deleted?)", flush=True)
            continue
        status, answer = _http(f"{api}/hooks/{token}", sample.body, sample.content_type)
        print(f"  {operation:<18} {status} {answer.decode(errors='replace')}", flush=True)


def _new_callbacks(receiver: str, before: int) -> list[dict[str, Any]]:
    """The callbacks that arrive after the first `before`, once they stop coming."""
    started = last_change = time.monotonic()
    seen = before
    while time.monotonic() - last_change < QUIET_SECONDS and time.monotonic() - started < MOST_SECONDS:
        time.sleep(0.5)
        count = len(_callbacks(receiver))
        if count != seen:
            seen, last_change = count, time.monotonic()
    return _callbacks(receiver)[before:]


def demo(path: Path) -> None:
    variables = environment.read(path)
    if variables is None:
        raise NotRunning(f"{path} is missing")
    os.environ.update(variables)
    api, receiver = variables[environment.API_URL], variables[environment.RECEIVER_URL]
    before = len(_callbacks(receiver))
    _post_samples(api)
    print(f"\nCallbacks that came back to {receiver}/ (waiting until none comes for {QUIET_SECONDS:g} s):")
    arrived = _new_callbacks(receiver, before)
    for callback in arrived:
        signature = "verified" if callback["verified"] else f"NOT verified: {callback['problem']}"
        print(f"  {callback['webhook_id']}  {signature}  {json.dumps(callback['body'])}")
    print(f"{len(arrived)} callbacks.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__)
    parser.add_argument(
        "--environment-file",
        type=Path,
        default=environment.ENVIRONMENT_FILE,
        help="the running stack's environment file (default: %(default)s)",
    )
    path = parser.parse_args(argv).environment_file
    try:
        demo(path)
    except NotRunning as error:
        print(f"The local stack is not running: {error}. Start it with make run first.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
