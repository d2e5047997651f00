"""Notification channels, routing rules and the durable outbox."""
