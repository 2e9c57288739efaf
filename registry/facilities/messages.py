"""What the facility services say when they refuse a write or warn about one, as coded rules.

Each :class:`~importers.messages.Rule` keeps the English the API and the command line have
always answered; pages say it in their language (registry/message_text.py), with the Thai in
registry/translations/th/LC_MESSAGES/registry_rules.po. Parameters named ``field`` and
``fields`` are registry fields (a page names them as its form labels them), ``type`` a
facility type, ``choices`` codes of the vocabulary.
"""

from __future__ import annotations

from importers.messages import Rule

# -- values of a write (service.clean_value, clean_location, clean_values)
NOT_TEXT = Rule("facility.not_text", "field '%(field)s': %(value)s is not text")
TOO_LONG = Rule(
    "facility.too_long", "field '%(field)s': %(length)s characters is longer than %(limit)s"
)
NOT_ONE_OF = Rule("facility.not_one_of", "field '%(field)s': %(value)s is not one of %(choices)s")
NOT_WHOLE = Rule("facility.not_whole", "field '%(field)s': %(value)s is not a whole number")
NOT_COUNT = Rule(
    "facility.not_count", "field '%(field)s': %(value)s is not a whole number of 0 or more"
)
NOT_TRUE_FALSE = Rule("facility.not_bool", "field '%(field)s': %(value)s is not true or false")
NOT_A_LIST = Rule("facility.not_list", "field '%(field)s': %(value)s is not a list")
NOT_ISO_TIME = Rule(
    "facility.not_iso_time", "field '%(field)s': %(value)s is not an ISO 8601 date-time"
)
NO_TIME_ZONE = Rule(
    "facility.no_time_zone", "field '%(field)s': %(value)s is not a date-time with a time zone"
)
NOT_A_NUMBER = Rule("facility.not_number", "field '%(field)s': %(value)s is not a number")
NOT_IN_RANGE = Rule(
    "facility.not_in_range",
    "field '%(field)s': %(value)s is not a %(kind)s between %(low)s and %(high)s",
)
LONGITUDE = Rule("facility.kind.longitude", "longitude")
LATITUDE = Rule("facility.kind.latitude", "latitude")
NOT_OF_TYPE = Rule(
    "facility.field_not_of_type",
    "field '%(field)s' does not belong to a %(type)s; its fields are: %(fields)s",
)
NOT_AREA_CODE = Rule(
    "facility.not_area_code", "field '%(field)s': %(value)s is not a %(level)s code"
)

# -- what a facility needs
NEEDS_LOCATION = Rule(
    "facility.needs_location", "a facility needs a location: give 'lat' and 'lon'"
)
NEEDS_NAME = Rule("facility.needs_name", "field 'name_th': a facility needs a Thai name")
NEEDS_STATUS = Rule("facility.needs_status", "field 'status': a facility needs a status")
NEEDS_TYPE = Rule("facility.needs_type", "field 'type': a facility needs a type")
PLACE_ON_MAP = Rule("facility.place_on_map", "place the site on the map or give 'lat' and 'lon'")
TYPE_CHANGE = Rule(
    "facility.type_change",
    "field 'type': a %(type)s cannot become %(value)s; deactivate it and create the new facility",
)
NEEDS_REASON = Rule("facility.needs_reason", "field 'reason': say why the facility is deactivated")

# -- which facility, which version
NO_FACILITY = Rule("facility.none", "there is no facility with id %(id)s")
NO_ACTIVE_FACILITY = Rule("facility.none_active", "there is no active facility with id %(id)s")
NO_CHANGE = Rule("facility.no_change", "there is no logged change with id %(id)s")
DEACTIVATED = Rule("facility.deactivated", "facility %(id)s is deactivated; it cannot be changed")
ALREADY_DEACTIVATED = Rule("facility.already_deactivated", "facility %(id)s is already deactivated")
REVERT_CREATED = Rule(
    "facility.revert_created", "change %(change)s created facility %(id)s; deactivate it instead"
)
NOT_A_VERSION = Rule(
    "facility.not_a_version",
    "field 'version': %(value)s is not a version number; send the version you read",
)
STALE_VERSION = Rule(
    "facility.stale_version",
    "facility %(id)s is at version %(version)s, but you edited version %(edited)s; changed "
    "since: %(fields)s. Reload, check their change and apply yours again.",
)
NOTHING_LOGGED = Rule("facility.nothing_logged", "nothing logged")
CHANGED_WHILE_EDITING = Rule(
    "facility.changed_while_editing",
    "facility %(id)s was changed by someone else while you edited it; reload it and apply your "
    "change again",
)
CHANGED_AGAIN = Rule(
    "facility.changed_again",
    "field '%(field)s' of facility %(id)s has changed again since change %(change)s "
    "(now %(now)s); revert the later change first",
)

# -- writes on behalf of an account (scoped.py)
MOVED_OUT_OF_AREA = Rule(
    "facility.moved_out_of_area",
    "this location puts the facility in %(area)s, outside your area %(yours)s; ask an official "
    "of that area",
)

# -- the status feed (status_feed.py)
FEED_NOT_AN_OBJECT = Rule(
    "feed.not_an_object", "%(item)s is not an object with 'id' or 'hcode' and fields"
)
FEED_NOT_AN_ID = Rule("feed.not_an_id", "field 'id': %(value)s is not a facility id")
FEED_NOT_AN_HCODE = Rule(
    "feed.not_an_hcode",
    "field 'hcode': %(value)s is not an MOPH code (5 or 9 letters or digits, like 10697 or "
    "A00012345)",
)
FEED_HCODE_MATCHES = Rule(
    "feed.hcode_matches", "field 'hcode': %(value)s matches %(what)s; send 'id' instead"
)
FEED_NO_ACTIVE = Rule("feed.no_active_facility", "no active facility")
FEED_SEVERAL = Rule("feed.several_facilities", "%(count)s facilities")
FEED_NEEDS_KEY = Rule("feed.needs_key", "each item needs 'id' or 'hcode'")
FEED_DEACTIVATED = Rule("feed.deactivated", "facility %(id)s is deactivated")
FEED_REPEATED = Rule(
    "feed.repeated",
    "facility %(id)s is already in this feed (item %(item)s); send one update per facility",
)
FEED_FIELD = Rule(
    "feed.field",
    "field '%(field)s' cannot be sent in a status feed for a %(type)s; it takes: %(fields)s",
)
FEED_NOTHING = Rule("feed.nothing", "the item changes nothing: give a status or another field")

# -- residents' reports (reports.py)
REPORT_KIND = Rule("report.kind", "report %(kind)s is not one of %(kinds)s")
TOO_MANY_REPORTS = Rule(
    "report.too_many", "you have sent %(count)s reports in the last hour; please try again later"
)
NO_REPORT = Rule("report.none", "there is no report with id %(id)s")
REPORT_RESOLVED = Rule("report.resolved", "report %(id)s was already %(status)s by %(who)s")
REPORT_STATUSES = {
    "accepted": Rule("report.status.accepted", "accepted"),
    "dismissed": Rule("report.status.dismissed", "dismissed"),
}
REPORT_OTHER_FACILITY = Rule(
    "report.other_facility", "report %(id)s is about facility %(facility)s, not %(other)s"
)
REPORT_WRONG_LOCATION = Rule(
    "report.wrong_location", "a wrong-location report is accepted by saving the corrected point"
)
