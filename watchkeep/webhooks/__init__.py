"""Webhook subscriptions, signing and deliveries."""
