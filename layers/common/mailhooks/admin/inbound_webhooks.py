"""Inbound webhooks: their secret URLs, operations and mappings, stats, captured samples and call log."""

from mailhooks.admin.base import new_router

router = new_router()
