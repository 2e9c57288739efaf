"""The importers' rules about rows, values, columns and options, each under a message code
with named parameters (what they say about whole files is in :mod:`importers.file_rules`).

The English templates are what the CLI, the API and stored reports say; pages translate the
code (registry/translations/th/LC_MESSAGES/import_rules.po) and fill in the parameters. A rule
phrased to follow the quoted value starts in lower case (``'1375.5' is not a latitude ...``).
"""

from __future__ import annotations

from importers.messages import Rule

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
NOT_A_PAIR = Rule("coords.not_a_pair", 'is not a coordinate pair like "13.7563, 100.5018"')
MIXED_DMS = Rule("coords.mixed_dms", "mixes decimals with further minutes or seconds")
METRES_GUESSED = Rule(
    "coords.metres_guessed",
    "holds metres, not degrees, and the file declares no CRS: read as %(crs)s, which puts "
    "%(hits)s of %(total)s such points in Thailand; pass crs= if that is wrong (Indian 1975 "
    "UTM is EPSG:24047 or EPSG:24048)",
)
METRES_NOWHERE = Rule(
    "coords.metres_nowhere",
    "(with column %(column)s %(value)s) looks like metres but is no UTM 47N or 48N point in "
    "Thailand; pass crs= to say which CRS it is",
)
READ_AS = Rule("coords.read_as", "read as latitude %(lat)s, longitude %(lon)s")
LOOK_SWAPPED = Rule(
    "coords.look_swapped",
    "and column %(column)s %(value)s look swapped (latitude and longitude exchanged); %(where)s",
)
LOOK_SWAPPED_IN = Rule(
    "coords.look_swapped_in",
    "and column %(column)s %(value)s look swapped and fit %(crs)s; %(where)s",
)
FITS_OTHER_CRS = Rule(
    "coords.fits_other_crs",
    "(with column %(column)s %(value)s) fits %(crs)s, not %(primary)s like the other rows; "
    "%(where)s",
)
CRS_NAMED = Rule("coords.crs_named", "%(code)s (%(name)s)")
DECLARED_CRS = Rule("coords.declared_crs", "the declared CRS (%(name)s)")
CRS_UNKNOWN = Rule(
    "coords.crs_unknown",
    "crs %(value)s is not a coordinate reference system pyproj knows; use for example "
    "EPSG:4326, EPSG:32647, EPSG:32648, EPSG:24047 or EPSG:24048",
)
CRS_NOT_FOR_POINTS = Rule(
    "coords.crs_not_for_points", "crs %(value)s is neither geographic nor projected"
)

# -- rows and columns (importers/normalize/)
NAME_EMPTY = Rule("rows.name_empty", "the name is empty; every facility needs a name")
LONGITUDE_EMPTY = Rule("rows.longitude_empty", "the longitude is empty (latitude %(value)s)")
LATITUDE_EMPTY = Rule("rows.latitude_empty", "the latitude is empty (longitude %(value)s)")
NO_NAME_COLUMN = Rule(
    "rows.no_name_column",
    "no column holds the facility name (looked for headers like name, ชื่อ, ชื่อหน่วยบริการ, "
    "h_name); columns found: %(columns)s",
)
NAME_BORROWED = Rule("rows.name_borrowed", "is used as the Thai name too: the row has no Thai name")
NO_TYPE_COLUMN = Rule(
    "rows.no_type_column",
    "no column holds the facility type (ประเภท, type) and no facility_type was given; pass one "
    "of %(types)s",
)
TYPE_EMPTY = Rule(
    "rows.type_empty", "the type is empty and no facility_type was given for such rows"
)
CRS_OVERRIDDEN = Rule(
    "rows.crs_overridden", "is the CRS the file declares; crs=%(crs)s was used instead"
)
NO_LONGITUDE_COLUMN = Rule(
    "rows.no_longitude_column",
    "is the only coordinate column: no column holds the longitude (map it with mapping=)",
)
NO_LATITUDE_COLUMN = Rule(
    "rows.no_latitude_column",
    "is the only coordinate column: no column holds the latitude (map it with mapping=)",
)
NO_LOCATION_COLUMN = Rule(
    "rows.no_location_column",
    "no column holds the location (looked for lat/latitude/ละติจูด and lon/longitude/ลองจิจูด, "
    "or พิกัด); map them with mapping=",
)
LOCATION_MISSING = Rule(
    "rows.location_missing", "the location is missing; every facility needs a point"
)
REPEATED_HCODE = Rule(
    "rows.repeated_hcode",
    "repeats the hcode of row %(row)s; each hcode may appear only once in a file",
)
REPEATED_ID = Rule(
    "rows.repeated_id", "repeats the id of row %(row)s; each id may appear only once in a file"
)
NOT_A_PROVINCE = Rule(
    "rows.not_a_province",
    "is not a Thai province name or code; ignored (the province is taken from the location)",
)
PROVINCE_CLOSEST = Rule(
    "rows.province_closest",
    "was read as %(name_th)s (%(name_en)s, %(code)s), the closest spelling",
)
NOT_CARRIED = Rule(
    "rows.not_carried",
    "has values in %(amount)s whose type (%(types)s) has no field %(field)s; ignored "
    "(rows %(rows)s)",
)
ONE_ROW = Rule("rows.one_row", "%(count)s row")
ROWS = Rule("rows.rows", "%(count)s rows")
NOT_A_CHOICE = Rule("rows.not_a_choice", "is not one of %(choices)s")

# -- columns and mappings (importers/columns.py)
MAPPED_COLUMN_ABSENT = Rule(
    "columns.mapped_column_absent", "is named in the mapping but the file has no such column"
)
ALSO_HOLDS = Rule(
    "columns.also_holds", "also holds %(field)s, already read from column %(column)s; not read"
)
NOT_A_FIELD = Rule(
    "columns.not_a_field",
    "is not a registry field and was not read (map it with mapping= if it should be)",
)
MAPPING_NOT_A_HEADER = Rule(
    "columns.mapping_not_a_header", "mapping: %(source)s is not a column header"
)
MAPPING_NOT_A_TARGET = Rule(
    "columns.mapping_not_a_target",
    "mapping: column %(source)s -> %(target)s: %(target)s is not a registry field; use one of "
    "%(targets)s, or 'ignore'",
)
MAPPING_FILE_UNREADABLE = Rule(
    "columns.mapping_file_unreadable", "mapping file %(file)s cannot be read: %(why)s"
)
MAPPING_FILE_NOT_JSON = Rule(
    "columns.mapping_file_not_json", "mapping file %(file)s is not JSON: %(why)s"
)
MAPPING_FILE_NOT_OBJECT = Rule(
    "columns.mapping_file_not_object",
    "mapping file %(file)s must hold one JSON object: header -> field",
)
MAPPING_FILE_SHORT_LINE = Rule(
    "columns.mapping_file_short_line",
    "mapping file %(file)s, line %(line)s: expected two cells (source header, field), got %(got)s",
)
MAPPING_FILE_KIND = Rule(
    "columns.mapping_file_kind",
    "mapping file %(file)s: use a .json object or a two-column .csv file",
)

# -- the options of an import (importers/normalize/read.py)
TYPE_OPTION = Rule("options.facility_type", "facility_type %(value)s %(rule)s")
BYTES_NEED_NAME = Rule(
    "options.bytes_need_name", "bytes need file_name= or format= to tell their format"
)
