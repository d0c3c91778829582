"""Errors a caller can act on; each carries the HTTP status it is answered with."""


class MailhooksError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


class UpstreamFailure(MailhooksError):
    """An AWS service that carries out an operation (SES, SNS, SQS) refused or failed."""

    status = 502
