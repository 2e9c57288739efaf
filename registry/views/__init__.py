"""HTML pages and the assets they load."""
