"""The owner console: static pages, shipped in this folder, that call the admin API from the same origin.

GET /console answers the page and GET /console/<file> its scripts and styles. Only the files found here at
start-up are served, so no path of a request can reach another file. Every answer carries a strict
Content-Security-Policy: scripts and styles only from this origin, none inline, no framing.
"""

from mailhooks.init_phase import init_phase

with init_phase():
    import hashlib
    import json
    from pathlib import Path
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from mailhooks.logs import MaskedFormatter

    logger = Logger(logger_formatter=MaskedFormatter())

STATIC = Path(__file__).parent / "static"
PAGE = "index.html"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        # The admin API, on this same origin.
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # File names carry no version: the browser asks again each time, and the ETag saves the body.
    "Cache-Control": "no-cache",
}


def _files() -> dict[str, tuple[str, str, str]]:
    """Path under /console/ -> (content type, text, ETag) of every file that may be served."""
    found = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.suffix in TYPES:
            text = path.read_text(encoding="utf-8")
            etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
            found[path.relative_to(STATIC).as_posix()] = (TYPES[path.suffix], text, etag)
    return found


FILES = _files()


def _answer(status: int, content_type: str, body: str, etag: str | None = None) -> dict[str, Any]:
    headers = {**HEADERS, "Content-Type": content_type}
    if etag:
        headers["ETag"] = etag
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def answer(path: str, if_none_match: str | None) -> dict[str, Any]:
    """The answer to GET /console/<path> (the page itself for an empty path)."""
    found = FILES.get(path or PAGE)
    if found is None:
        return _answer(404, "application/json", json.dumps({"error": "the console has no such file"}))
    content_type, text, etag = found
    if if_none_match == etag:
        return _answer(304, content_type, "", etag)
    return _answer(200, content_type, text, etag)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    path = (event.get("pathParameters") or {}).get("proxy", "")
    return answer(path, headers.get("if-none-match"))
