"""What an import says beyond the importers' own rules: the bulk write's refusals, the
duplicate check's notes, the batch's refusals, as coded rules (English as the API and the
command line have always answered; Thai in registry_rules.po)."""

from __future__ import annotations

from importers.messages import Rule

# -- rows the bulk write refuses (bulk.py)
OUTSIDE_YOUR_AREA = Rule(
    "import.outside_your_area", "location lies in %(area)s, outside your area (%(yours)s)"
)
REPEATED_SOURCE_ID = Rule("import.repeated_source_id", "repeats source id %(id)s of row %(row)s")
CHANGED_DURING_IMPORT = Rule(
    "import.changed_during_import",
    "facility %(ids)s was changed by someone else during the import; run the import again",
)

# -- the duplicate check (duplicates.py, service.py)
NOT_COMPARED = Rule(
    "import.names_not_compared",
    "names were not compared %(between)s: %(count)s pairs lie within %(metres)s m of each "
    "other, more than the limit of %(limit)s comparisons per import",
)
AMONG_NEW = Rule("import.among_new", "among the new facilities")
NEW_AND_STORED = Rule("import.new_and_stored", "between the new and the stored facilities")
DUPLICATES_CAPPED = Rule(
    "import.duplicates_capped",
    "%(count)s likely duplicate pairs were found; only the first %(limit)s are flagged, the "
    "limit per import",
)

# -- the batch (service.py, pages.py)
REJECTED = Rule(
    "import.rejected",
    "%(file)s: nothing was imported: %(errors)s errors in %(count)s rows (%(rows)s); fix them "
    "or import the valid rows only",
)
NEEDS_ACTOR = Rule("import.needs_actor", "an import needs the name of the person who runs it")
NO_BATCH = Rule("import.no_batch", "there is no import batch %(batch)s")
BATCH_ALREADY = Rule("import.batch_already", "import batch %(batch)s is already %(status)s")
UNDONE = Rule("import.status.undone", "undone")
NOT_YOUR_BATCH = Rule("import.not_your_batch", "import batch %(batch)s is not yours to undo")
CANNOT_UNDO = Rule("import.cannot_undo", "import batch %(batch)s cannot be undone: %(why)s")
NOT_A_TYPE = Rule("import.not_a_type", "type %(value)s is not one of %(choices)s")
