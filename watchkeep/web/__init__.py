"""The web UI: server-rendered pages (Jinja2) that htmx updates in place from the event
stream. Pages call the domain services, exactly as the API routes do."""
