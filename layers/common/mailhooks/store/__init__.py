"""DynamoDB access: the only package that knows the tables' keys.

- records: the data table (accounts, lists, subscribers, templates, campaigns, webhooks, endpoints)
- activity: the activity table, whose stream feeds the fan-out to export endpoints
- deliveries: the delivery table, the log of deliveries to export endpoints and of their attempts
- health: the delivery table too, how each export endpoint has been answering, its breaker and throttle
- parked: the delivery table too, the deliveries held back while an endpoint's breaker is open
"""

from mailhooks.store.activity import ActivityLog, activity_log
from mailhooks.store.deliveries import Delivery, DeliveryAttempt, DeliveryLog, DeliveryStatus, delivery_log
from mailhooks.store.health import (
    EndpointHealth,
    EndpointKey,
    HealthRecords,
    HealthState,
    Report,
    health_records,
)
from mailhooks.store.parked import ParkedBatch, ParkedDeliveries, parked_deliveries
from mailhooks.store.records import Store, store

__all__ = [
    "ActivityLog",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryLog",
    "DeliveryStatus",
    "EndpointHealth",
    "EndpointKey",
    "HealthRecords",
    "HealthState",
    "ParkedBatch",
    "ParkedDeliveries",
    "Report",
    "Store",
    "activity_log",
    "delivery_log",
    "health_records",
    "parked_deliveries",
    "store",
]
