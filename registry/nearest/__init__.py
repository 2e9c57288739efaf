"""The resident's search: the in-memory catalog, place search, the nearest API and pages."""
