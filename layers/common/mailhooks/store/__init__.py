"""DynamoDB access: the only package that knows the tables' keys (their layout: keys).

One module per aggregate, each with the accessor its callers use:
- accounts: accounts and their API keys (account_records)
- lists: lists, subscribers and the links of subscription emails (list_records)
- campaigns: templates, campaigns and the claims of their recipients (campaign_records)
- inbound_webhooks: inbound webhooks, their stats and call log (inbound_webhook_records)
- export_endpoints: export endpoints (export_endpoint_records)
- counters: id counters (next_id)
- activity: the activity table, whose stream feeds the fan-out (activity_log)
- delivery_log: the delivery table's log of deliveries and their attempts (delivery_log)
- endpoint_health: the delivery table too, each export endpoint's health, breaker and throttle
- parking: the delivery table too, the deliveries parked while an endpoint's breaker is open
- items: what they share (records as items, reads, transactions); keys: the key layout
"""
