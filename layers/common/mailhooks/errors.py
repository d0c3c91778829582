"""Errors a caller can act on; each carries the HTTP status it is answered with."""


class MailhooksError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides its body."""
        return {}


class InvalidInput(MailhooksError):
    status = 400


class Forbidden(MailhooksError):
    status = 403


class NotFound(MailhooksError):
    status = 404


class Conflict(MailhooksError):
    status = 409


class PayloadTooLarge(MailhooksError):
    status = 413


class UnsupportedMediaType(MailhooksError):
    status = 415


class TooManyRequests(MailhooksError):
    """Over a limit that frees up with time: the caller may retry after that many seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class UpstreamFailure(MailhooksError):
    """An AWS service that carries out an operation (SES, SNS, SQS) refused or failed: nothing was done."""

    status = 502


class OutcomeUnknown(UpstreamFailure):
    """The AWS service took the request and its answer was lost (timed out, closed the connection, answered
    what is no AWS answer): it may have carried it out, so a send is neither given back nor made again."""


def internal_error(reference: str | None) -> str:
    """What a caller reads of a failure of ours: a reference to quote, which the log has with the rest."""
    return f"internal error; nothing was changed (reference {reference or 'none'})"
