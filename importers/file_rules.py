"""What the importers say about a whole file, each under a message code with named parameters:
files that cannot be read (an :class:`~importers.errors.ImportFormatError` names the file
through :data:`IN_FILE`), the import limits, the readers' notes on sheets, headers and
geometries, and road files.

As in :mod:`importers.rules`, the English templates are what the CLI, the API and stored
reports say, and pages translate the code
(registry/translations/th/LC_MESSAGES/import_rules.po). A parameter given as ``why`` is a
library's own diagnostic (the JSON parser's, GDAL's, the operating system's), quoted as it
came.
"""

from __future__ import annotations

from importers.messages import Rule

IN_FILE = Rule("file.problem", "'%(file)s': %(problem)s")
# A list of parts, one Text nested in the next, so that each part is translated in turn.
LIST_NEXT = Rule("list.next", "%(first)s, %(rest)s")
LIST_AND = Rule("list.and", "%(first)s and %(rest)s")

# -- any file (importers/formats/base.py, importers/normalize/read.py)
FILE_EMPTY = Rule("file.empty", "the file is empty")
FILE_MISSING = Rule("file.missing", "the file does not exist")
FILE_IS_FOLDER = Rule("file.is_folder", "is a folder, not a file")
FILE_CANNOT_OPEN = Rule("file.cannot_open", "the file cannot be opened (%(why)s)")
NO_COLUMNS = Rule("file.no_columns", "the file has no columns")
NO_ROWS = Rule("file.no_rows", "the file has no rows")
NO_HEADER = Rule("file.no_header", "no header row found")
NO_DATA_ROWS = Rule("file.no_data_rows", "has a header but no data rows")
HEADER_BELOW = Rule(
    "file.header_below",
    "the header is row %(row)s; the %(count)s rows above it (titles, notes) were not read",
)
HEADER_REPEATED_COLUMN = Rule(
    "file.header_repeated_column",
    "appears %(count)s times in the header (columns %(letters)s); only the first is read: "
    "rename or remove the others",
)
HEADER_ROW_AGAIN = Rule("file.header_row_again", "repeats the header row; skipped")
SHEET_READ = Rule(
    "file.sheet_read",
    "is the sheet read (%(why)s); not read: %(others)s; pass sheet= to choose another",
)
LAYER_READ = Rule(
    "file.layer_read",
    "is the layer read (%(why)s); not read: %(others)s; pass sheet= to choose another",
)
FIRST_WITH_HEADERS = Rule("file.first_with_headers", "the first with recognisable headers")
NO_SHEET_WITH_HEADERS = Rule("file.no_sheet_with_headers", "no sheet has recognisable headers")
FIRST_POINT_LAYER = Rule("file.first_point_layer", "the first point layer")
FIRST_LAYER = Rule("file.first_layer", "the first layer")
NOT_A_POINT = Rule("file.not_a_point", "is not a point; a facility needs one point")

# -- telling the format (importers/formats/__init__.py)
FORMAT_UNKNOWN = Rule(
    "formats.format_unknown", "format %(format)s is not known; known formats: %(names)s"
)
NO_EXTENSION = Rule(
    "formats.no_extension",
    "has no file extension to tell its format; name it with one of %(known)s, or pass format=",
)
EXTENSION_REFUSED = Rule(
    "formats.extension_refused", "'%(suffix)s' files cannot be imported; %(advice)s"
)
KNOWN_FORMATS = Rule("formats.known_formats", "known formats: %(known)s")
KNOWN_FORMAT = Rule("formats.known_format", "%(extensions)s (%(label)s)")
XLS_ADVICE = Rule(
    "formats.xls_advice", "Excel 97-2003 workbooks are not supported; save it as .xlsx"
)
SHP_ADVICE = Rule(
    "formats.shp_advice",
    "send a shapefile as a .zip holding its .shp, .shx, .dbf and .prj files",
)
ODS_ADVICE = Rule("formats.ods_advice", "save the spreadsheet as .xlsx or CSV UTF-8")
ZIP_LABEL = Rule("formats.zip_label", "zipped Shapefile, KMZ, or one zipped file")
SHAPEFILE_LABEL = Rule("formats.shapefile_label", "zipped Shapefile")

# -- CSV (importers/formats/delimited.py)
BAD_UTF16 = Rule("csv.bad_utf16", "starts like UTF-16 text but cannot be decoded as UTF-16")
NUL_BYTES = Rule(
    "csv.nul_bytes",
    "contains NUL bytes: it is a binary file or UTF-16 text without a byte-order mark, not "
    "CSV; save it as 'CSV UTF-8'",
)
UNDECODABLE = Rule(
    "csv.undecodable",
    "the text is neither UTF-8 nor TIS-620/cp874 (byte %(byte)s at position %(position)s); "
    "save it as 'CSV UTF-8'",
)
NOT_THAI = Rule(
    "csv.not_thai",
    "the text is not UTF-8 and does not read as Thai in TIS-620/cp874 either (another "
    "encoding?); save it as 'CSV UTF-8'",
)
CSV_CUT = Rule(
    "csv.cut",
    "cannot be read as CSV (%(why)s); the file may be cut off inside a quoted value",
)

# -- Excel (importers/formats/excel.py)
XLS_WORKBOOK = Rule(
    "excel.xls",
    "is an Excel 97-2003 workbook (.xls); open it in Excel or LibreOffice and save it as .xlsx",
)
XLSX_DAMAGED = Rule(
    "excel.damaged", "is not a readable .xlsx workbook: the file is cut off or damaged"
)
XLSX_UNREADABLE = Rule("excel.unreadable", "is not a readable .xlsx workbook (%(why)s)")
SHEET_DAMAGED = Rule(
    "excel.sheet_damaged",
    "sheet %(sheet)s cannot be read: the file is cut off or damaged (%(why)s)",
)
SHEET_EMPTY = Rule("excel.sheet_empty", "sheet %(sheet)s is empty")
NO_SUCH_SHEET = Rule("excel.no_such_sheet", "has no sheet %(sheet)s; its sheets are: %(sheets)s")
EVERY_SHEET_EMPTY = Rule("excel.every_sheet_empty", "every sheet is empty")

# -- GeoJSON and JSON (importers/formats/geojson.py)
NO_FEATURES = Rule("geojson.no_features", "has no features")
NOT_AN_OBJECT = Rule("geojson.not_an_object", "is not a JSON object; skipped")
JSON_NOT_UTF8 = Rule(
    "geojson.not_utf8",
    "is not UTF-8 text (byte %(byte)s at position %(position)s); GeoJSON must be UTF-8",
)
JSON_TOO_DEEP = Rule("geojson.too_deep", "nests lists or objects too deeply to be GeoJSON")
JSON_INVALID = Rule(
    "geojson.invalid", "is not valid JSON (%(why)s at line %(line)s, column %(column)s)"
)
JSON_CUT = Rule(
    "geojson.cut",
    "is not valid JSON (%(why)s at line %(line)s, column %(column)s); the file is cut off",
)
NO_FEATURES_LIST = Rule(
    "geojson.no_features_list", "is JSON but not GeoJSON: it has no 'features' list"
)
NOT_GEOJSON = Rule("geojson.not_geojson", "is JSON but neither GeoJSON nor a list of records")
NOT_A_GEOMETRY = Rule("geojson.not_a_geometry", "is not a GeoJSON geometry")
NOT_A_NUMBER_PAIR = Rule("geojson.not_a_number_pair", "is not a pair of numbers")
NOT_FINITE = Rule("geojson.not_finite", "is not finite")
CRS_MEMBER_IGNORED = Rule(
    "geojson.crs_member_ignored",
    "is a 'crs' member this reader does not follow; coordinates are read as degrees unless "
    "they look like UTM metres",
)

# -- KML (importers/formats/kml.py)
NO_PLACEMARKS = Rule("kml.no_placemarks", "has no Placemarks")
NOT_KML = Rule("kml.not_kml", "is XML but not KML (its root element is <%(tag)s>)")
KML_DTD = Rule("kml.dtd", "declares a DTD or entities, which KML does not use")
KML_EXTERNAL = Rule("kml.external", "refers to external entities, which KML does not use")
XML_INVALID = Rule(
    "kml.invalid", "is not valid XML (line %(line)s, column %(column)s); the file may be cut off"
)
NOT_LON_LAT = Rule("kml.not_lon_lat", "is not 'longitude,latitude' coordinates")

# -- GeoPackage, Shapefile and zip archives (importers/formats/ogr.py, archive.py)
NOT_A_GEOPACKAGE = Rule("ogr.not_a_geopackage", "is not a GeoPackage (not an SQLite database)")
GEOPACKAGE_UNREADABLE = Rule(
    "ogr.geopackage_unreadable",
    "cannot be opened as a GeoPackage (%(why)s); the file may be cut off",
)
NO_LAYERS = Rule("ogr.no_layers", "has no layers")
NO_SUCH_LAYER = Rule("ogr.no_such_layer", "has no layer %(layer)s; its layers are: %(layers)s")
ZIP_DAMAGED = Rule("zip.damaged", "is not a readable zip archive: the file is cut off or damaged")
NO_SHP = Rule("ogr.no_shp", "holds no .shp file")
SHAPEFILE_PART_MISSING = Rule(
    "ogr.part_missing",
    "has %(shp)s but no %(missing)s; zip the .shp, .shx, .dbf and .prj files together",
)
NO_PRJ = Rule("ogr.no_prj", "comes without a .prj file, so its coordinate system is not declared")
CANNOT_UNPACK = Rule("ogr.cannot_unpack", "cannot be unpacked (%(why)s); the archive is damaged")
OGR_UNREADABLE = Rule(
    "ogr.unreadable", "cannot be read (%(why)s); the file may be cut off or damaged"
)
GDAL_SAYS = Rule("ogr.gdal_says", "GDAL: %(message)s")
ZIP_NOTHING_TO_READ = Rule(
    "zip.nothing_to_read",
    "holds no shapefile and no file that can be imported (it holds: %(names)s)",
)
ZIP_EMPTY = Rule(
    "zip.empty", "holds no shapefile and no file that can be imported (it holds: nothing)"
)
ZIP_SEVERAL = Rule(
    "zip.several",
    "holds several files that could be imported (%(names)s); send one at a time",
)

# -- the import limits (importers/limits.py)
REFUSED = Rule("limits.refused", "%(what)s; %(advice)s")
ADVICE = Rule(
    "limits.advice",
    "split the file, or ask an administrator to import it with `registry import`",
)
BYTES = Rule("limits.bytes", "%(count)s bytes")
EXPANDS_TO = Rule(
    "limits.expands_to",
    "expands to %(size)s, more than the limit of %(limit)s of data per import",
)
MEMBER_EXPANDS_TO = Rule(
    "limits.member_expands_to",
    "%(member)s expands to %(size)s, more than the limit of %(limit)s of data per import",
)
EXPANDS_BEYOND = Rule(
    "limits.expands_beyond", "expands to more than %(limit)s of data, the limit per import"
)
MEMBER_EXPANDS_BEYOND = Rule(
    "limits.member_expands_beyond",
    "%(member)s expands to more than %(limit)s of data, the limit per import",
)
FILE_TOO_BIG = Rule(
    "limits.file_too_big", "is %(size)s, more than the limit of %(limit)s of data per import"
)
STREAM_TOO_BIG = Rule(
    "limits.stream_too_big", "is more than %(limit)s, the limit of data per import"
)
TOO_MANY_ROWS = Rule("limits.rows", "has more than %(limit)s rows, the limit per import")
TOO_MANY_LINES = Rule(
    "limits.lines",
    "holds more than %(limit)s lines or rows (blank ones included), the limit read per import",
)
TOO_MANY_CELLS = Rule(
    "limits.cells",
    "holds more than %(limit)s cells, values or elements (blank ones included), the limit read "
    "per import",
)
TOO_MANY_MEMBERS = Rule(
    "limits.members", "holds %(count)s files, more than the limit of %(limit)s in one archive"
)

# -- road files (importers/roads/)
ROAD_JSON_UNKNOWN = Rule(
    "roads.json_unknown",
    "is JSON but neither Overpass output ('elements'), a derived graph ('coords' and 'edges') "
    "nor GeoJSON road lines",
)
NOT_A_ROAD_FILE = Rule(
    "roads.not_a_road_file",
    "is not a road file this registry reads; give OpenStreetMap .osm.pbf, Overpass API JSON "
    "(.json), derived graph JSON (.graph.json: coords and edges), road lines in GeoPackage "
    "(.gpkg), Shapefile (.shp or .zip) or GeoJSON (.geojson)",
)
GZIP_TOO_BIG = Rule(
    "roads.gzip_too_big", "inflates to more than %(gb)s GB; give the file uncompressed"
)
GZIP_UNREADABLE = Rule("roads.gzip_unreadable", "is not a readable gzip file (%(why)s)")
ROAD_FILE_UNREADABLE = Rule("roads.unreadable", "cannot be read: %(why)s")
GRAPH_NOT_NUMERIC = Rule(
    "roads.graph_not_numeric",
    "is not a derived graph JSON with numeric 'coords' and 'edges' (%(why)s)",
)
GRAPH_SHAPE = Rule(
    "roads.graph_shape",
    "'coords' must be a flat list of lon, lat pairs and 'edges' of u, v, length triples",
)
GRAPH_NO_EDGES = Rule("roads.graph_no_edges", "holds no road lines ('edges' is empty)")
GRAPH_BAD_EDGE = Rule(
    "roads.graph_bad_edge",
    "edge %(edge)s: nodes %(u)s, %(v)s are not node numbers 0 to %(last)s",
)
LINES_UNREADABLE = Rule("roads.lines_unreadable", "is not a readable vector file (%(why)s)")
LINES_NO_CRS = Rule(
    "roads.lines_no_crs",
    "has no coordinate reference system; give it one (a .prj for a shapefile)",
)
LINES_NO_FEATURES = Rule("roads.lines_no_features", "holds no road lines (no features)")
LINES_NOT_A_LINE = Rule(
    "roads.lines_not_a_line",
    "feature %(feature)s: geometry %(kind)s is not a road line (LineString)",
)
PBF_UNREADABLE = Rule(
    "roads.pbf_unreadable", "is not a readable OpenStreetMap .osm.pbf file (%(why)s)"
)
OVERPASS_INVALID = Rule("roads.overpass_invalid", "is not Overpass API JSON (%(why)s)")
NO_HIGHWAYS = Rule(
    "roads.no_highways",
    "holds no road lines (no way with a highway tag such as residential, primary or footway)",
)
