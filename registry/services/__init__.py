"""Services: the only code that writes to the registry. Each takes a session argument."""
