"""Cell values in the words Thai officials and volunteers write, read into registry values.

Each parser takes one raw cell (already known not to be empty) and returns the registry value,
or raises :class:`ValueError` whose message is a rule phrased to follow the quoted value
(``"is not a facility type; accepted: ..."``), so the caller can report
``row 5, column 'ประเภท': 'xyz' is not a facility type; accepted: ...``.

One module per kind of value: :mod:`.words` (lookups and empty cells), :mod:`.choices` (types,
statuses, yes/no), :mod:`.lists`, :mod:`.numbers` (counts and MOPH codes), :mod:`.phones` and
:mod:`.dates` (Buddhist-era years, Thai month names, Bangkok time).
"""

from importers.values.choices import (
    FACILITY_TYPE_WORDS,
    STATUS_WORDS,
    parse_bool,
    parse_facility_type,
    parse_status,
)
from importers.values.dates import BANGKOK, BUDDHIST_ERA_OFFSET, THAI_MONTHS, parse_datetime
from importers.values.lists import LIST_WORDS, list_rule, parse_list
from importers.values.numbers import HCODE_PATTERN, parse_hcode, parse_int
from importers.values.phones import PHONE_RULE, parse_phones
from importers.values.words import EMPTY_MARKERS, clean_text, is_empty, word_key

__all__ = [
    "BANGKOK",
    "BUDDHIST_ERA_OFFSET",
    "EMPTY_MARKERS",
    "FACILITY_TYPE_WORDS",
    "HCODE_PATTERN",
    "LIST_WORDS",
    "PHONE_RULE",
    "STATUS_WORDS",
    "THAI_MONTHS",
    "clean_text",
    "is_empty",
    "list_rule",
    "parse_bool",
    "parse_datetime",
    "parse_facility_type",
    "parse_hcode",
    "parse_int",
    "parse_list",
    "parse_phones",
    "parse_status",
    "word_key",
]
