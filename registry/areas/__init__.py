"""Administrative areas and DOPA's villages: loading, lookup and their API."""
