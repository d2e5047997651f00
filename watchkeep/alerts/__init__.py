"""One alert lifecycle for every source; silences; maintenance windows."""
