"""What the survey's services say when they refuse a write, as coded rules (English as the
API and the command line have always answered; Thai in registry_rules.po and survey.po).

The rules a record's values must keep have their own templates (survey/rules.py); these are
the refusals of who may write what, and of records that changed or do not exist.
"""

from __future__ import annotations

from importers.messages import Rule

NEEDS_A_NAME = Rule(
    "survey.needs_a_name", "every survey write needs a person or system name; got none"
)
UNKNOWN_SOURCE = Rule("survey.unknown_source", "source %(source)s is not one of %(sources)s")
NOT_A_SURVEYOR_ROLE = Rule(
    "survey.not_a_surveyor_role",
    "%(role)s account cannot enter or correct survey records; volunteers, officials and "
    "administrators of the area can",
)
OUT_OF_AREA = Rule(
    "survey.out_of_area",
    "you cannot %(action)s a survey of %(area)s: it is outside your area %(yours)s",
)
ACTIONS = {
    action: Rule(f"survey.action.{action.replace(' ', '_')}", action)
    for action in ("enter", "see", "move a record to")
}

# Why a record cannot be corrected (correction_refusal): the form shows these too.
NOT_A_SURVEYOR = Rule("survey.refusal.not_a_surveyor", "this account cannot correct survey records")
OTHER_AREA = Rule(
    "survey.refusal.other_area", "survey record %(id)s is of %(area)s, outside your area %(yours)s"
)
NOT_YOURS = Rule(
    "survey.refusal.not_yours",
    "survey record %(id)s was entered by %(who)s; a volunteer corrects only their own "
    "entries: ask an official of the area",
)
TOO_OLD = Rule(
    "survey.refusal.too_old",
    "survey record %(id)s was entered %(days)s days ago; a volunteer corrects their entries "
    "for %(window)s days after entering them: ask an official of the area",
)
CANNOT_CHANGE = Rule("survey.cannot_change", "you cannot change this record: %(why)s")

CHANGED_JUST_NOW = Rule(
    "survey.changed_just_now",
    "survey record %(id)s was changed by someone else just now; reload it and apply your "
    "change again",
)
ALREADY_SURVEYED = Rule(
    "survey.already_surveyed",
    "%(place)s already has a survey on %(date)s (record %(id)s, entered by %(who)s); correct "
    "that record instead of entering it again",
)
VILLAGE_OF = Rule("survey.village_of", "village %(village)s of %(area)s")
NO_RECORD = Rule("survey.no_record", "there is no survey record %(id)s")
STALE_VERSION = Rule(
    "survey.stale_version",
    "survey record %(id)s is at version %(version)s, but you edited version %(edited)s: it was "
    "changed after you opened it. Reload, check the change and apply yours again.",
)
STALE_VERSION_BY = Rule(
    "survey.stale_version_by",
    "survey record %(id)s is at version %(version)s, but you edited version %(edited)s: it was "
    "changed by %(who)s after you opened it. Reload, check the change and apply yours again.",
)
WITHDRAWN = Rule("survey.withdrawn", "survey record %(id)s was withdrawn; it cannot be corrected")
NEEDS_REASON = Rule("survey.needs_reason", "field 'reason': say why the record is withdrawn")
ALREADY_WITHDRAWN = Rule("survey.already_withdrawn", "survey record %(id)s is already withdrawn")
NO_TEMPLATE = Rule("survey.no_template", "there is no template in %(format)s; choose csv or xlsx")
UPLOAD_REJECTED = Rule(
    "survey.upload_rejected",
    "%(file)s: nothing was imported: %(errors)s errors; fix them and upload the file again",
)
UPLOAD_REJECTED_ROWS = Rule(
    "survey.upload_rejected_rows",
    "%(file)s: nothing was imported: %(errors)s errors in %(count)s rows (%(rows)s); fix them "
    "and upload the file again",
)
# Said after a limit is passed: where a bigger survey sheet can go.
SHEET_ADVICE = Rule(
    "survey.sheet_advice",
    "split the file, or ask an administrator to import it with `registry survey import`",
)
