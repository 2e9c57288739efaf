"""OGC API - Features on the registry's own data.

The logic is framework-free (collections, CRS, CQL2 filters, item queries and documents take
plain values and a SQLAlchemy session); ``views`` is the thin Flask blueprint that adapts
requests to it, as pygeoapi separates its API from its Flask app.
"""
