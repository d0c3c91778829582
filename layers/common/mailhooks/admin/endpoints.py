"""Export endpoints: where an account's activities are POSTed, and the log of those deliveries."""

from mailhooks.admin.base import new_router

router = new_router()
