"""Links to this API as its caller reached it: webhook URLs, and the links put in emails."""

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
