"""Agents: the registry, their tokens, their status, and the four ingest protocols."""
