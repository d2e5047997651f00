"""Configuration as code: the hub's monitors, channels and alerting setup as one YAML file
(`watchkeep export`, `watchkeep import`)."""
