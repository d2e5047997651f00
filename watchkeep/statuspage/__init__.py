"""The public status page: groups, components, incidents, the public routes, feeds and badges."""
