"""The dashboard: what the overview shows of every monitor at once."""
