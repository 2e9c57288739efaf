"""The importers' rules, each under a message code with named parameters.

The English templates are what the CLI, the API and stored reports say; pages translate the
code (registry/translations/th/LC_MESSAGES/import_rules.po) and fill in the parameters. A rule
phrased to follow the quoted value starts in lower case (``'1375.5' is not a latitude ...``).
"""

from __future__ import annotations

from .messages import Rule

# -- values (importers/values/)
NOT_A_TYPE = Rule(
    "value.not_a_type", "is not a facility type; accepted: %(accepted)s (or %(codes)s)"
)
NOT_A_STATUS = Rule("value.not_a_status", "is not a status; accepted: %(accepted)s (or %(codes)s)")
NOT_YES_NO = Rule("value.not_yes_no", "is not yes or no; accepted: %(accepted)s")
NOT_WHOLE = Rule("value.not_whole", "is not a whole number")
NEGATIVE = Rule("value.negative", "is negative; counts cannot be")
NOT_IN_LIST = Rule(
    "value.not_in_list", "is not one of the accepted %(what)s: %(accepted)s; dropped"
)
NOT_A_PHONE = Rule(
    "value.not_a_phone",
    "is not a Thai phone number (9 digits starting 02-07, 10 digits starting 06, 08 or 09, "
    "or a 4-digit hotline starting 1); dropped",
)
NOT_A_DATE = Rule(
    "value.not_a_date", "is not a date; write it like 15/06/2564, 2021-06-15 or 15 มิ.ย. 64"
)
NO_SUCH_MONTH = Rule("value.no_such_month", "has no month called %(name)s")
INVALID_DATE = Rule("value.invalid_date", "is not a valid date (%(why)s)")
IMPOSSIBLE_YEAR = Rule("value.impossible_year", "gives the year %(year)s, which cannot be right")
NOT_AN_HCODE = Rule(
    "value.not_an_hcode",
    "is not an MOPH hcode (5 or 9 letters or digits, like 10697, 04007 or A00012345); dropped",
)
HCODE_PADDED = Rule("value.hcode_padded", "was read as '%(code)s' (leading zeros restored)")

# -- coordinates (importers/coords/)
NOT_A_NUMBER = Rule("coords.not_a_number", "is not a number")
NOT_FINITE_NUMBER = Rule("coords.not_finite_number", "is not a finite number")
NOT_A_COORDINATE = Rule(
    "coords.not_a_coordinate", "is not a number or a degrees-minutes-seconds coordinate"
)
MINUTES_OVER_60 = Rule("coords.minutes_over_60", "has minutes or seconds of 60 or more")
POINT_OUTSIDE = Rule(
    "coords.point_outside",
    "the point (latitude %(lat)s, longitude %(lon)s) lies outside Thailand",
)
NOT_A_LATITUDE = Rule(
    "coords.not_a_latitude", "is not a latitude between %(low)s and %(high)s: %(point)s"
)
NOT_A_LONGITUDE = Rule(
    "coords.not_a_longitude", "is not a longitude between %(low)s and %(high)s: %(point)s"
)
NOT_IN_DEGREES = Rule("coords.not_in_degrees", "is not in degrees")
AT_OUTSIDE = Rule(
    "coords.at_outside", "is at longitude %(lon)s, latitude %(lat)s, outside Thailand"
)
NOT_CONVERTIBLE = Rule("coords.not_convertible", "cannot be converted to longitude and latitude")
READ_AS_CRS = Rule(
    "coords.read_as_crs", "(with column %(column)s %(value)s, read as %(crs)s) %(where)s"
)

# -- rows and columns (importers/normalize/)
NAME_EMPTY = Rule("rows.name_empty", "the name is empty; every facility needs a name")
LONGITUDE_EMPTY = Rule("rows.longitude_empty", "the longitude is empty (latitude %(value)s)")
LATITUDE_EMPTY = Rule("rows.latitude_empty", "the latitude is empty (longitude %(value)s)")
