"""Links to this API as its caller reached it (webhook URLs, and the links put in emails), and the pages
the links of emails answer."""

from dataclasses import dataclass
from html import escape

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def api_host(event: APIGatewayProxyEvent) -> str:
    """The host (and port, when the caller named one) the caller reached this API at."""
    return event.request_context.domain_name or event.headers.get("host", "")


def api_base_url(event: APIGatewayProxyEvent) -> str:
    domain = api_host(event)
    scheme = event.headers.get("x-forwarded-proto", "https")
    # The stage is part of the path only on API Gateway's own domain, not behind a custom domain.
    stage = f"/{event.request_context.stage}" if domain.endswith(".amazonaws.com") else ""
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
