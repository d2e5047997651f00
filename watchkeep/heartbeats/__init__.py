"""Cron-job monitors: Healthchecks-compatible ping routes, schedules, executions, deadlines."""
