"""DynamoDB access: the only package that knows the tables' keys.

- records: the data table (accounts, lists, subscribers, templates, campaigns, webhooks, endpoints)
- activity: the activity table, whose stream feeds the fan-out to export endpoints
- deliveries: the delivery table, the log of deliveries to export endpoints and of their attempts
"""

from mailhooks.store.activity import ActivityLog, activity_log
from mailhooks.store.deliveries import Delivery, DeliveryAttempt, DeliveryLog, DeliveryStatus, delivery_log
from mailhooks.store.records import Store, store

__all__ = [
    "ActivityLog",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryLog",
    "DeliveryStatus",
    "Store",
    "activity_log",
    "delivery_log",
    "store",
]
