"""What the local stack prints once it listens: where everything is, and a curl line per webhook."""

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING

from devstack.routes import Route

if TYPE_CHECKING:
    # Not at run time: devstack.seed imports mailhooks, which is imported after the functions.
    from devstack.seed import DemoWebhook

READY = "Listening on"


def curl_line(url: str, content_type: str, body: bytes) -> str:
    """A curl command that posts the body as it is, ready to paste into a POSIX shell."""
    parts = ["curl", "-i", url, "-H", f"Content-Type: {content_type}", "--data-binary", body.decode()]
    return shlex.join(parts)


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def banner(
    base_url: str,
    aws_endpoint: str,
    routes: Iterable[Route],
    resources: Iterable[str],
    demo_account: str,
    demo: Iterable["DemoWebhook"],
    notes: Iterable[str],
) -> str:
    lines = [
        "mailhooks, locally: the API of template.yaml on loopback, its AWS resources on moto.",
        "",
        f"  API    {base_url}",
        *(f"         {route.method} {route.resource} -> {route.function}" for route in routes),
        f"  AWS    {aws_endpoint} (moto; dashboard at {aws_endpoint}/moto-api/)",
        f"         {', '.join(resources)}",
        f"  Demo   {demo_account}",
        "",
        "Inbound webhooks of the demo account, one per operation, and a call to each with its sample:",
    ]
    for hook in demo:
        url = f"{base_url}/hooks/{hook.webhook.token}"
        lines += [
            "",
            f"{hook.operation}: {_first_sentence(hook.summary)}",
            f"  URL   {url}",
            f"  {curl_line(url, hook.sample.content_type, hook.sample.body)}",
        ]
    lines += ["", *(f"Note: {note}" for note in notes)]
    lines += [f"{READY} {base_url} - Ctrl-C stops it."]
    return "\n".join(lines)
