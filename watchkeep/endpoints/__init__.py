"""Endpoint monitors: HTTP, TCP, TLS, DNS and ICMP checks run by the hub, their results,
status with thresholds, rollups and daily uptime."""
