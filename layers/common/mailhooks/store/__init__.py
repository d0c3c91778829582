"""DynamoDB access: the only package that knows the tables' keys.

- records: the data table (accounts, lists, subscribers, templates, campaigns, webhooks, endpoints)
- activity: the activity table, whose stream feeds the fan-out to export endpoints
"""

from mailhooks.store.activity import ActivityLog, activity_log
from mailhooks.store.records import Store, store

__all__ = ["ActivityLog", "Store", "activity_log", "store"]
