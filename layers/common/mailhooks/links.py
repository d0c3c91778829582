"""Links to this API as its caller reached it (webhook URLs, and the links put in emails), and the pages
the links of emails answer."""

from dataclasses import dataclass
from html import escape

from mailhooks.gateway import GatewayRequest


def api_host(request: GatewayRequest) -> str:
    """The host (and port, when the caller named one) the caller reached this API at."""
    return request.domain_name or request.headers.get("host", "")


def api_base_url(request: GatewayRequest) -> str:
    domain = api_host(request)
    scheme = request.headers.get("x-forwarded-proto", "https")
    # The stage is part of the path only on API Gateway's own domain, not behind a custom domain.
    stage = f"/{request.stage}" if domain.endswith(".amazonaws.com") else ""
    return f"{scheme}://{domain}{stage}"


@dataclass(frozen=True)
class Page:
    """What a link of an email answers: a small HTML page. A link that changes something shows a button that
    POSTs to the page's own URL, and changes it only then: mail scanners follow links, but press nothing."""

    status: int
    title: str
    text: str
    # The button's label, and the hidden fields of the form it posts.
    button: str | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def html(self) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in self.fields
        )
        form = (
            f'<form method="post">{hidden}<button type="submit">{escape(self.button)}</button></form>'
            if self.button
            else ""
        )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(self.title)}</title></head>"
            f"<body><h1>{escape(self.title)}</h1><p>{escape(self.text)}</p>{form}</body></html>"
        )
