"""Delivery: POST each message of the delivery queue to its export endpoint, signed, and retry it on the
schedule until it is delivered or given up.

- Signing follows Standard Webhooks: webhook-signature is an HMAC-SHA256 of "<id>.<timestamp>.<body>" under
  the endpoint's secret, which receivers check with any Standard Webhooks library.
- The SSRF guard: an endpoint's URL is https, and its host leads only to public addresses. Each connection
  resolves its host once, checks every address, and connects to the address it checked, while TLS checks
  the certificate against the name: DNS rebinding gets no second lookup to answer differently.
- A batch is POSTed concurrently, over one pool of connections kept for the life of the container.
- An attempt costs one write, its delivery's log, after the POST. A message received before (or queued by
  anything but the fan-out: a copy, a delivery sent again) first takes its delivery's lease, a write more,
  so that no two copies of a delivery are attempted at once, and one delivered is never POSTed again. A
  fan-out message at its first receipt goes without, unless its delivery is logged already: one eventually
  consistent read for the batch finds late copies (the fan-out's own, retried; SQS's), which take the
  lease like the others. Only two copies at their first receipt at the same moment are both POSTed, with
  the same webhook-id, on which receivers deduplicate; the log keeps one.
- Each endpoint's health (outbound.endpoint_health) gates its messages: an open circuit breaker parks them
  unsent (outbound.parking), a throttle makes them wait, a disabled endpoint's are failed unsent
  (recoverable).

The modules, in the order a batch goes through them: batch (deliver_batch), outcomes (what became of each
message), http (one POST: pinned connections, a deadline), ssrf (the guard), signing, retries (the schedule),
settle (waits, copies, dead letters and parked writes, with the queues).
- The retry schedule counts the attempts of the delivery's current round, as its log keeps them, not the
  message's receipts: waiting for a throttle, an open breaker or another copy costs no attempt. A failed
  attempt waits on the message's own visibility timeout; after the last one the message goes to the
  dead-letter queue, with its last error. A receiver ends a message's retries with the answer header
  webhook-delivery: abort-message (logged as aborted). A message that must wait after many receipts waits
  as a new copy, so that SQS's redrive limit never moves it to the dead-letter queue unlogged.
"""
