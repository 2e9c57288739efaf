"""Road network layers: loading them and the travel graphs answers use."""
