"""mailhooks: inbound and outbound webhooks of an email-marketing platform."""
