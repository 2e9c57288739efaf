"""The volunteer survey: records, rules, sheets, pages, the survey layer and CLI."""
