"""Facilities: every write (the one audit writer), the official's pages, the API, exports."""
