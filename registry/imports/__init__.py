"""Importing facility files: preview, commit all or nothing, undo; the bulk upsert."""
