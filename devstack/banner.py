"""What the local stack prints once it listens: where everything is, and a curl line per webhook."""

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devstack.routes import Route

if TYPE_CHECKING:
    # Not at run time: devstack.seed imports mailhooks, which is imported after the functions.
    from devstack.seed import Demo

READY = "Listening on"


def curl_line(url: str, headers: dict[str, str], body: bytes | None = None) -> str:
    """A curl command that sends the headers and posts the body as it is, ready to paste into a POSIX
    shell."""
    parts = ["curl", "-i", url]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    if body is not None:
        parts += ["--data-binary", body.decode()]
    return shlex.join(parts)


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def _route(route: Route) -> str:
    line = f"{route.method} {route.resource} -> {route.function}"
    if route.authorizer:
        line += f", behind {route.authorizer.name} ({route.authorizer.function})"
    return line


@dataclass(frozen=True)
class Where:
    """Where each part of the running stack is."""

    api: str
    aws: str
    receiver_page: str
    receiver_json: str
    environment_file: str


def banner(
    where: Where,
    routes: Iterable[Route],
    triggers: Iterable[str],
    resources: Iterable[str],
    demo: "Demo",
    notes: Iterable[str],
) -> str:
    margin = " " * 13
    lines = [
        "mailhooks, locally: the API of template.yaml on loopback, its AWS resources on moto.",
        "",
        f"  API        {where.api}",
        *(f"{margin}{_route(route)}" for route in routes),
        *(f"  {'Triggers' if index == 0 else '':<11}{line}" for index, line in enumerate(triggers)),
        f"  AWS        {where.aws} (moto; dashboard at {where.aws}/moto-api/)",
        f"{margin}{', '.join(resources)}",
        f"  Receiver   {where.receiver_page} shows the callbacks it got; as JSON: {where.receiver_json}",
        f"  Demo       {demo.description}",
        f"{margin}export endpoint {demo.endpoint.id}: every activity, signed, to {demo.endpoint.url}",
        f"  Env        {where.environment_file} (python -m mailhooks --local ..., make demo)",
        "",
        "The demo account's admin API key (shown this once), the console it signs in to, and a call with it:",
        f"  {demo.admin_key}",
        f"  Console: {where.api}/console",
        f"  {curl_line(f'{where.api}/admin/operations', {'Authorization': f'Bearer {demo.admin_key}'})}",
        "",
        "Inbound webhooks of the demo account, one per operation, and a call to each with its sample:",
    ]
    for hook in demo.webhooks:
        url = f"{where.api}/hooks/{hook.webhook.token}"
        lines += [
            "",
            f"{hook.operation}: {_first_sentence(hook.summary)}",
            f"  URL   {url}",
            f"  {curl_line(url, {'Content-Type': hook.sample.content_type}, hook.sample.body)}",
        ]
    lines += ["", *(f"Note: {note}" for note in notes)]
    lines += [f"{READY} {where.api} - Ctrl-C stops it."]
    return "\n".join(lines)
