"""Accounts: sign-in pages, personal tokens, roles and areas, the admin pages and CLI."""
