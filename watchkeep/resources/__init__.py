"""Resources: host and container metric samples, the latest values, and top processes."""
