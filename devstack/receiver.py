"""The built-in receiver of callbacks: what the demo export endpoint points to, on a port of its own.

It stands for an account's system on the internet, so it is a server of its own rather than paths on the
front, which plays API Gateway and answers only the template's routes. It accepts every POST, checks its
Standard Webhooks signature with the secrets of the export endpoints that may have sent it (the demo
account's, as last read; read again when none of them verifies a callback, so that endpoints created or
secrets rotated later through the admin API are checked too), and keeps it. `GET /` is a page of the
callbacks, newest first; `GET /callbacks.json` the same as JSON.
"""

import html
import json
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PAGE = "/"
JSON_ROUTE = "/callbacks.json"
# Where the demo export endpoint POSTs: any path is accepted, this one says what it is.
CALLBACK_PATH = "/callbacks"
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass(frozen=True)
class Callback:
    received_at: str
    path: str
    webhook_id: str | None
    verified: bool
    # Why the signature was not verified.
    problem: str | None
    headers: dict[str, str]
    # The JSON the body holds, or its text when it is not JSON.
    body: Any


def verify(body: bytes, headers: dict[str, str], secrets: Iterable[str]) -> str | None:
    """None when one of the secrets verifies the signature; otherwise why none does."""
    problem = "no export endpoint's secret to check the signature with"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError as error:
            problem = str(error)
        else:
            return None
    return problem


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def _page(callbacks: list[Callback]) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(callback.received_at)}</td>"
        f"<td><code>{html.escape(callback.webhook_id or '-')}</code></td>"
        f"<td>{'verified' if callback.verified else html.escape(f'NOT verified: {callback.problem}')}</td>"
        f"<td><pre>{html.escape(json.dumps(callback.body, indent=2))}</pre></td>"
        "</tr>"
        for callback in callbacks
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='3'>"
        "<title>mailhooks callbacks</title>"
        "<style>body{font-family:sans-serif}td{vertical-align:top;padding:4px 12px;border-top:1px solid #ccc}"
        "pre{margin:0}</style></head><body>"
        f"<h1>Callbacks received: {len(callbacks)}</h1>"
        f"<p>Newest first; <a href='{JSON_ROUTE}'>as JSON</a>. This page reloads every 3 seconds.</p>"
        "<table><tr><th>received</th><th>webhook-id</th><th>signature</th><th>body</th></tr>"
        f"{rows}</table></body></html>"
    )


class Receiver:
    def __init__(self, secrets: Callable[[], Iterable[str]]) -> None:
        self.secrets = secrets
        # Read once per change, not per callback: each read is a DynamoDB query of the stack's, which under
        # load took a tenth of the stack's time (bench.inbound_load).
        self._known: list[str] = []
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()

    def _verify(self, body: bytes, headers: dict[str, str]) -> str | None:
        if verify(body, headers, self._known) is None:
            return None
        self._known = list(self.secrets())
        return verify(body, headers, self._known)

    def callbacks(self) -> list[Callback]:
        """Newest first."""
        with self._lock:
            return self._callbacks[::-1]

    def take(self, request: Request) -> Callback:
        body = request.get_data()
        headers = {name.lower(): value for name, value in request.headers.items()}
        problem = self._verify(body, headers)
        callback = Callback(
            received_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            path=request.path,
            webhook_id=headers.get("webhook-id"),
            verified=problem is None,
            problem=problem,
            headers={name: headers[name] for name in SIGNATURE_HEADERS if name in headers},
            body=_parsed(body),
        )
        with self._lock:
            self._callbacks.append(callback)
        state = "verified" if problem is None else f"NOT verified ({problem})"
        print(f"[receiver] callback {callback.webhook_id}, {state}", file=sys.stderr, flush=True)
        return callback

    def answer(self, request: Request) -> Response:
        if request.method == "POST":
            self.take(request)
            return Response(status=204)
        if request.method == "GET" and request.path == PAGE:
            return Response(_page(self.callbacks()), content_type="text/html; charset=utf-8")
        if request.method == "GET" and request.path == JSON_ROUTE:
            listed = [asdict(callback) for callback in self.callbacks()]
            return Response(json.dumps(listed, indent=2), content_type="application/json")
        return Response("POST callbacks anywhere; GET / or /callbacks.json to see them\n", status=404)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        return self.answer(Request(environ))(environ, start_response)
