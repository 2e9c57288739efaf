"""Coverage gaps for planners: population layers, the live analysis, API, page and CLI."""
