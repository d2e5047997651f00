"""Containers: the inventory of containers that agents report."""
