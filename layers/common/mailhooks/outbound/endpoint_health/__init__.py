"""Endpoint health: a failing receiver never slows the healthy ones, a small receiver is never sent more
than it asks for, and one that keeps failing is switched off, its owner told.

- Each batch of the deliver function reads the health of its endpoints once, and reports what their
  receivers answered once per endpoint: counts ADDed in time buckets, so that any number of batches report
  at once without a lost count.
- The circuit breaker: when at least breaker_failure_rate of at least breaker_min_attempts attempts in the
  last breaker_window_seconds failed, it opens. An open endpoint's deliveries are not POSTed and cost no
  delivery time: they are parked (outbound.parking), costing no attempt of their retry schedule. After
  the wait, one message (a conditional write elects it) is the probe: its success closes the breaker and
  queues the parked deliveries again, its failure makes the next wait. An endpoint that stays dead is
  disabled by the review below; what it parked stays recoverable.
- Receiver signals: 410 Gone disables the endpoint at once. 429, 502, 503 and 504 hold the whole endpoint
  back (its breaker open) for as long as the message they answered waits: its Retry-After, and at least
  its next retry's wait, so that holds grow as they go on. The answer header webhook-delivery:
  abort-message ends that message's retries (outbound.delivery); a deliberate answer, it counts as a success
  here.
- The throttle, set by the endpoint's owner: at most max_concurrency requests at once, each holding a
  leased slot (so that an invocation that died does not hold one for ever), and max_per_second, counted
  per second. A message over it waits on the queue instead of failing.
- The scheduled review queues the probe of an open endpoint whose wait is over when no new delivery
  comes to be it: its oldest parked one.
- Auto-disable: the scheduled review warns the endpoint's owner once it has only failed for
  endpoint_warn_after_seconds, and disables it at endpoint_disable_after_seconds, telling the owner again.
  The mails go to the endpoint's owner_email: the people who run a receiver are not always the account's.

The modules: breaker (the breaker as one batch sees it, and the receiver signals), throttle, review.
"""
