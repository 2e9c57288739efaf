"""Problem texts in Thai: what the importers and the registry's services say, for Thai pages.

The importers, the bulk write and the facility service phrase every problem in English, one
rule at a time, and that text stays what the CLI, the API and the stored batch reports carry.
A Thai page shows it through ``THAI``: each English rule written as a template, ``{name}``
standing for the part that varies, next to its Thai wording. A varying part that is itself a
rule of the table (the "lies outside Thailand" clause inside a latitude rule) is translated in
turn; a ``{field}`` part goes through the page's own field labels.

A rule missing from the table is shown in English. ``tests/registry/test_problem_text.py``
runs the bad-file corpus and the services' own messages through it, so a new or reworded rule
without its Thai fails there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from flask_babel import gettext as _

from registry.accounts.access import ROLES, role_phrase
from registry.i18n import current_language

THAI: dict[str, str] = {
    # -- coordinates (importers/coords.py)
    "is not a latitude between {low} and {high}: {point}": (
        "ไม่ใช่ละติจูดระหว่าง {low} ถึง {high}: {point}"
    ),
    "is not a longitude between {low} and {high}: {point}": (
        "ไม่ใช่ลองจิจูดระหว่าง {low} ถึง {high}: {point}"
    ),
    "the point (latitude {lat}, longitude {lon}) lies outside Thailand": (
        "จุด (ละติจูด {lat}, ลองจิจูด {lon}) อยู่นอกประเทศไทย"
    ),
    "and column {column} {value} look swapped (latitude and longitude exchanged); {where}": (
        "กับคอลัมน์ {column} {value} น่าจะสลับกัน (ละติจูดกับลองจิจูดสลับที่); {where}"
    ),
    "and column {column} {value} look swapped and fit {crs}; {where}": (
        "กับคอลัมน์ {column} {value} น่าจะสลับกัน และตรงกับ {crs}; {where}"
    ),
    "(with column {column} {value}) fits {crs}, not {primary} like the other rows; {where}": (
        "(กับคอลัมน์ {column} {value}) ตรงกับ {crs} ไม่ใช่ {primary} อย่างแถวอื่น; {where}"
    ),
    "read as latitude {lat}, longitude {lon}": "อ่านเป็นละติจูด {lat} ลองจิจูด {lon}",
    "holds metres, not degrees, and the file declares no CRS: read as {crs}, which puts {hits} "
    "of {total} such points in Thailand; pass crs= if that is wrong (Indian 1975 UTM is "
    "EPSG:24047 or EPSG:24048)": (
        "เป็นเมตร ไม่ใช่องศา และไฟล์ไม่ได้ระบุระบบพิกัด: อ่านเป็น {crs} ซึ่งทำให้ {hits} จาก "
        "{total} จุดอยู่ในประเทศไทย; ถ้าไม่ถูก ให้ระบุระบบพิกัด (crs=) (Indian 1975 UTM คือ "
        "EPSG:24047 หรือ EPSG:24048)"
    ),
    "(with column {column} {value}) looks like metres but is no UTM 47N or 48N point in "
    "Thailand; pass crs= to say which CRS it is": (
        "(กับคอลัมน์ {column} {value}) ดูเหมือนเป็นเมตร แต่ไม่ใช่จุด UTM 47N หรือ 48N "
        "ในประเทศไทย; ระบุระบบพิกัด (crs=) ว่าเป็นระบบใด"
    ),
    "(with column {column} {value}, read as {crs}) {where}": (
        "(กับคอลัมน์ {column} {value} อ่านเป็น {crs}) {where}"
    ),
    "is not in degrees": "ไม่ใช่หน่วยองศา",
    "is at longitude {lon}, latitude {lat}, outside Thailand": (
        "อยู่ที่ลองจิจูด {lon} ละติจูด {lat} นอกประเทศไทย"
    ),
    "cannot be converted to longitude and latitude": "แปลงเป็นลองจิจูดและละติจูดไม่ได้",
    "is not a number or a degrees-minutes-seconds coordinate": (
        "ไม่ใช่ตัวเลข หรือพิกัดแบบองศา ลิปดา ฟิลิปดา"
    ),
    "has minutes or seconds of 60 or more": "มีลิปดาหรือฟิลิปดาตั้งแต่ 60 ขึ้นไป",
    # -- columns and values (importers/normalize.py, columns.py, values.py)
    "is the only coordinate column: no column holds the {missing} (map it with mapping=)": (
        "เป็นคอลัมน์พิกัดเพียงคอลัมน์เดียว: ไม่มีคอลัมน์ใดเป็น{missing} (กำหนดด้วย mapping=)"
    ),
    "latitude": "ละติจูด",
    "longitude": "ลองจิจูด",
    "is the CRS the file declares; crs={crs} was used instead": (
        "คือระบบพิกัดที่ไฟล์ระบุ; ใช้ crs={crs} แทน"
    ),
    "no column holds the location (looked for lat/latitude/ละติจูด and lon/longitude/ลองจิจูด, "
    "or พิกัด); map them with mapping=": (
        "ไม่มีคอลัมน์ตำแหน่ง (มองหา lat/latitude/ละติจูด และ lon/longitude/ลองจิจูด หรือ พิกัด); "
        "กำหนดด้วย mapping="
    ),
    "no column holds the facility name (looked for headers like name, ชื่อ, ชื่อหน่วยบริการ, "
    "h_name); columns found: {columns}": (
        "ไม่มีคอลัมน์ชื่อสถานบริการ (มองหาหัวคอลัมน์ เช่น name, ชื่อ, ชื่อหน่วยบริการ, h_name); คอลัมน์ที่พบ: {columns}"
    ),
    "no column holds the facility type (ประเภท, type) and no facility_type was given; pass one "
    "of {types}": ("ไม่มีคอลัมน์ประเภท (ประเภท, type) และไม่ได้เลือกประเภทของทุกแถว; เลือกหนึ่งใน {types}"),
    "the name is empty; every facility needs a name": "ชื่อว่าง; สถานบริการทุกแห่งต้องมีชื่อ",
    "repeats the {what} of row {row}; each {what} may appear only once in a file": (
        "ซ้ำกับ{what} ของแถว {row}; {what} หนึ่งค่าใช้ได้ครั้งเดียวในไฟล์"
    ),
    "hcode": "รหัสสถานพยาบาล (hcode)",
    "id": "รหัสในแหล่งข้อมูล (id)",
    "is not a Thai province name or code; ignored (the province is taken from the location)": (
        "ไม่ใช่ชื่อหรือรหัสจังหวัดของไทย; ไม่ใช้ (ใช้จังหวัดตามตำแหน่งแทน)"
    ),
    "was read as {name} ({name_en}, {code}), the closest spelling": (
        "อ่านเป็น {name} ({name_en}, {code}) ซึ่งสะกดใกล้เคียงที่สุด"
    ),
    "has values in {amount} whose type ({types}) has no field {field}; ignored (rows {rows})": (
        "มีค่าใน {amount} ที่ประเภท ({types}) ไม่มีช่อง {field}; ไม่ใช้ (แถว {rows})"
    ),
    "{n} row": "{n} แถว",
    "{n} rows": "{n} แถว",
    "is not a registry field and was not read (map it with mapping= if it should be)": (
        "ไม่ใช่ช่องข้อมูลของทะเบียน จึงไม่ได้อ่าน (ถ้าต้องการ กำหนดด้วย mapping=)"
    ),
    "also holds {field}, already read from column {column}; not read": (
        "เป็น {field} เช่นกัน ซึ่งอ่านจากคอลัมน์ {column} แล้ว; ไม่ได้อ่าน"
    ),
    "is named in the mapping but the file has no such column": ("มีชื่อใน mapping แต่ไฟล์ไม่มีคอลัมน์นี้"),
    "is not a facility type; accepted: {accepted} (or {codes})": (
        "ไม่ใช่ประเภทสถานบริการ; ที่รับได้: {accepted} (หรือ {codes})"
    ),
    "is not a status; accepted: {accepted} (or {codes})": (
        "ไม่ใช่สถานะ; ที่รับได้: {accepted} (หรือ {codes})"
    ),
    "is not yes or no; accepted: {accepted}": "ไม่ใช่ ใช่ หรือ ไม่; ที่รับได้: {accepted}",
    "is not one of the accepted {what}: {accepted}; dropped": (
        "ไม่อยู่ในรายการ {what} ที่รับได้: {accepted}; ไม่นำเข้า"
    ),
    "is not a whole number": "ไม่ใช่จำนวนเต็ม",
    "is negative; counts cannot be": "ติดลบ; จำนวนติดลบไม่ได้",
    "is not a date; write it like 15/06/2564, 2021-06-15 or 15 มิ.ย. 64": (
        "ไม่ใช่วันที่; เขียนแบบ 15/06/2564, 2021-06-15 หรือ 15 มิ.ย. 64"
    ),
    "has no month called {name}": "ไม่มีเดือนชื่อ {name}",
    "is not a valid date ({why})": "ไม่ใช่วันที่ที่มีอยู่จริง ({why})",
    "gives the year {year}, which cannot be right": "ให้ปี {year} ซึ่งเป็นไปไม่ได้",
    "is not an MOPH hcode (5 or 9 letters or digits, like 10697, 04007 or A00012345); dropped": (
        "ไม่ใช่รหัสสถานพยาบาลของ สธ. (hcode: ตัวอักษรหรือตัวเลข 5 หรือ 9 ตัว เช่น 10697, 04007 "
        "หรือ A00012345); ไม่นำเข้า"
    ),
    "was read as {code} (leading zeros restored)": "อ่านเป็น {code} (เติมเลข 0 ข้างหน้าคืน)",
    "is not a Thai phone number (9 digits starting 02-07, 10 digits starting 06, 08 or 09, "
    "or a 4-digit hotline starting 1); dropped": (
        "ไม่ใช่หมายเลขโทรศัพท์ไทย (9 หลักขึ้นต้น 02-07, 10 หลักขึ้นต้น 06, 08 หรือ 09 "
        "หรือสายด่วน 4 หลักขึ้นต้น 1); ไม่นำเข้า"
    ),
    # -- sheets, headers and geometries (importers/formats)
    "the header is row {row}; the {count} rows above it (titles, notes) were not read": (
        "หัวตารางอยู่แถว {row}; {count} แถวด้านบน (ชื่อเรื่อง หมายเหตุ) ไม่ได้อ่าน"
    ),
    "appears {count} times in the header (columns {letters}); only the first is read: rename "
    "or remove the others": (
        "มี {count} คอลัมน์ในหัวตาราง (คอลัมน์ {letters}); อ่านเฉพาะคอลัมน์แรก: เปลี่ยนชื่อหรือลบคอลัมน์อื่น"
    ),
    "repeats the header row; skipped": "ซ้ำกับแถวหัวตาราง; ข้ามไป",
    "is the {kind} read ({why}); not read: {others}; pass sheet= to choose another": (
        "คือ{kind}ที่อ่าน ({why}); ไม่ได้อ่าน: {others}; เลือกอันอื่นด้วย sheet="
    ),
    "sheet": "ชีต",
    "layer": "ชั้นข้อมูล",
    "the first with recognisable headers": "อันแรกที่มีหัวตารางที่รู้จัก",
    "is not a point; a facility needs one point": "ไม่ใช่จุด; สถานบริการต้องมีพิกัดหนึ่งจุด",
    "is not a GeoJSON geometry": "ไม่ใช่รูปเรขาคณิตของ GeoJSON",
    "is not a pair of numbers": "ไม่ใช่ตัวเลขหนึ่งคู่",
    "is not finite": "ไม่ใช่ตัวเลขที่มีค่าจำกัด",
    "is not a JSON object; skipped": "ไม่ใช่ออบเจกต์ JSON; ข้ามไป",
    "is not 'longitude,latitude' coordinates": "ไม่ใช่พิกัดแบบ 'ลองจิจูด,ละติจูด'",
    "comes without a .prj file, so its coordinate system is not declared": (
        "ไม่มีไฟล์ .prj จึงไม่ได้ระบุระบบพิกัด"
    ),
    "is a 'crs' member this reader does not follow; coordinates are read as degrees unless "
    "they look like UTM metres": (
        "เป็นสมาชิก 'crs' ที่โปรแกรมอ่านไม่รองรับ; อ่านพิกัดเป็นองศา เว้นแต่ดูเหมือนเมตรแบบ UTM"
    ),
    # -- where a point lies (registry/areas/service.py, bulk.py)
    "location (lat {lat}, lon {lon}) lies {metres} m outside every subdistrict; assigned to the "
    "nearest, {code}{because}": (
        "ตำแหน่ง (ละติจูด {lat}, ลองจิจูด {lon}) อยู่นอกทุกตำบล {metres} ม.; "
        "ให้อยู่ในตำบลที่ใกล้ที่สุด {code}{because}"
    ),
    "; accepted beyond {km} km because the stated province agrees": (
        "; รับไว้แม้ไกลเกิน {km} กม. เพราะตรงกับจังหวัดที่ระบุ"
    ),
    "stated {level} {stated} differs from {found}, where the location lies": (
        "{level}ที่ระบุ {stated} ไม่ตรงกับ {found} ซึ่งเป็นที่ตั้งตามพิกัด"
    ),
    "province": "จังหวัด",
    "district": "อำเภอ",
    "subdistrict": "ตำบล",
    "location (lat {lat}, lon {lon}) is outside Thailand: no subdistrict lies within {km} km "
    "of it": "ตำแหน่ง (ละติจูด {lat}, ลองจิจูด {lon}) อยู่นอกประเทศไทย: ไม่มีตำบลใดอยู่ในระยะ {km} กม.",
    "location lies in {code}, outside your area ({areas})": (
        "ตำแหน่งอยู่ใน {code} นอกพื้นที่ของคุณ ({areas})"
    ),
    # -- the facility form (registry/facilities/service.py, scoped.py)
    "field '{field}': {value} is not a whole number": "ช่อง {field}: {value} ไม่ใช่จำนวนเต็ม",
    "field '{field}': {value} is not a whole number of 0 or more": (
        "ช่อง {field}: {value} ไม่ใช่จำนวนเต็มตั้งแต่ 0 ขึ้นไป"
    ),
    "field '{field}': {value} is not a number": "ช่อง {field}: {value} ไม่ใช่ตัวเลข",
    "field '{field}': {value} is not one of {choices}": (
        "ช่อง {field}: {value} ไม่อยู่ในตัวเลือก ({choices})"
    ),
    "field '{field}': {value} is not a {kind} between {low} and {high}": (
        "ช่อง {field}: {value} ไม่ใช่{kind}ระหว่าง {low} ถึง {high}"
    ),
    "field '{field}': {length} characters is longer than {limit}": (
        "ช่อง {field}: ยาว {length} ตัวอักษร เกิน {limit}"
    ),
    "field 'name_th': a facility needs a Thai name": "สถานบริการต้องมีชื่อภาษาไทย",
    "field 'status': a facility needs a status": "สถานบริการต้องมีสถานะ",
    "a facility needs a location: give 'lat' and 'lon'": (
        "สถานบริการต้องมีตำแหน่ง: กรอกละติจูดและลองจิจูด"
    ),
    "place the site on the map or give 'lat' and 'lon'": ("ปักหมุดบนแผนที่ หรือกรอกละติจูดและลองจิจูด"),
    "this location puts the facility in {area}, outside your area {yours}; ask an official of "
    "that area": (
        "ตำแหน่งนี้ทำให้สถานบริการอยู่ใน {area} ซึ่งอยู่นอกพื้นที่ของคุณ ({yours}); ให้เจ้าหน้าที่ของพื้นที่นั้นแก้ไข"
    ),
    "facility {id} is deactivated; it cannot be changed": ("สถานบริการ {id} ถูกยกเลิกแล้ว จึงแก้ไขไม่ได้"),
    "there is no facility with id {id}": "ไม่มีสถานบริการรหัส {id}",
    # -- accounts and roles (registry/accounts/access.py, accounts.py, survey.py)
    "{role} account cannot change facilities; ask an official of the area": (
        "บัญชี{role}แก้ไขสถานบริการไม่ได้; ติดต่อเจ้าหน้าที่ของพื้นที่"
    ),
    "{role} account cannot manage accounts": "บัญชี{role}จัดการบัญชีผู้ใช้ไม่ได้",
    "{role} account cannot enter or correct survey records; volunteers, officials and "
    "administrators of the area can": (
        "บัญชี{role}บันทึกหรือแก้ไขแบบสำรวจไม่ได้; อาสาสมัคร เจ้าหน้าที่ และผู้ดูแลของพื้นที่ทำได้"
    ),
    "{role} is scoped to {allowed}; {code} is {level}": (
        "{role}ต้องมีพื้นที่เป็น{allowed}; {code} เป็น{level}"
    ),
    "{area} is outside your area {yours}": "{area} อยู่นอกพื้นที่ของคุณ {yours}",
    "{role} cannot manage {target} accounts": "{role}จัดการบัญชี{target}ไม่ได้",
    "user name {name} is taken": "ชื่อผู้ใช้ {name} มีผู้ใช้แล้ว",
    "user name {name} must be 3-100 letters, digits or . _ @ -": (
        "ชื่อผู้ใช้ {name} ต้องเป็นตัวอักษร ตัวเลข หรือ . _ @ - ยาว 3-100 ตัว"
    ),
    "area code {code} is not a known area": "รหัสพื้นที่ {code} ไม่มีในระบบ",
    "a password needs at least {count} characters": "รหัสผ่านต้องยาวอย่างน้อย {count} ตัวอักษร",
    "{place} already has a survey on {date} (record {id}, entered by {who}); correct that "
    "record instead of entering it again": (
        "{place} มีแบบสำรวจของวันที่ {date} แล้ว (รายการ {id} บันทึกโดย {who}); ให้แก้ไขรายการนั้นแทนการบันทึกซ้ำ"
    ),
    "the whole country": "ทั้งประเทศ",
    "a province": "จังหวัด",
    "a district": "อำเภอ",
    "a subdistrict": "ตำบล",
    "no area": "ไม่มีพื้นที่",
    "{either} or {orelse}": "{either}หรือ{orelse}",
    "the longitude is empty (latitude {value})": "ลองจิจูดว่าง (ละติจูด {value})",
    "the latitude is empty (longitude {value})": "ละติจูดว่าง (ลองจิจูด {value})",
    # -- files that cannot be read at all (ImportFormatError: "'name': rule")
    "'{file}': {rule}": "'{file}': {rule}",
    "the file is empty": "ไฟล์ว่าง",
    "has a header but no data rows": "มีหัวตารางแต่ไม่มีแถวข้อมูล",
    "the file has no rows": "ไฟล์ไม่มีแถวข้อมูล",
    "no header row found": "ไม่พบแถวหัวตาราง",
    "contains NUL bytes: it is a binary file or UTF-16 text without a byte-order mark, not CSV; "
    "save it as 'CSV UTF-8'": (
        "มีไบต์ NUL: เป็นไฟล์ไบนารีหรือข้อความ UTF-16 ที่ไม่มี BOM ไม่ใช่ CSV; บันทึกใหม่เป็น 'CSV UTF-8'"
    ),
    "the text is neither UTF-8 nor TIS-620/cp874 ({position}); save it as 'CSV UTF-8'": (
        "ข้อความไม่ใช่ทั้ง UTF-8 และ TIS-620/cp874 ({position}); บันทึกใหม่เป็น 'CSV UTF-8'"
    ),
    "the text is not UTF-8 and does not read as Thai in TIS-620/cp874 either (another "
    "encoding?); save it as 'CSV UTF-8'": (
        "ข้อความไม่ใช่ UTF-8 และอ่านเป็นภาษาไทยแบบ TIS-620/cp874 ไม่ได้ (รหัสอักขระอื่น?); "
        "บันทึกใหม่เป็น 'CSV UTF-8'"
    ),
    "cannot be read as CSV ({why}); the file may be cut off inside a quoted value": (
        "อ่านเป็น CSV ไม่ได้ ({why}); ไฟล์อาจถูกตัดขาดกลางค่าในเครื่องหมายคำพูด"
    ),
    "'{suffix}' files cannot be imported; {advice}": "นำเข้าไฟล์ '{suffix}' ไม่ได้; {advice}",
    "is an Excel 97-2003 workbook (.xls); open it in Excel or LibreOffice and save it as .xlsx": (
        "เป็นสมุดงาน Excel 97-2003 (.xls); เปิดใน Excel หรือ LibreOffice แล้วบันทึกเป็น .xlsx"
    ),
    "is not a readable .xlsx workbook: the file is cut off or damaged": (
        "ไม่ใช่สมุดงาน .xlsx ที่อ่านได้: ไฟล์ถูกตัดขาดหรือเสียหาย"
    ),
    "no sheet has recognisable headers": "ไม่มีชีตใดที่มีหัวตารางที่รู้จัก",
    "every sheet is empty": "ทุกชีตว่าง",
    "is not a readable zip archive: the file is cut off or damaged": (
        "ไม่ใช่ไฟล์ zip ที่อ่านได้: ไฟล์ถูกตัดขาดหรือเสียหาย"
    ),
    "has {shp} but no {absent}; zip the .shp, .shx, .dbf and .prj files together": (
        "มี {shp} แต่ไม่มี {absent}; บีบอัดไฟล์ .shp, .shx, .dbf และ .prj ไว้ใน zip เดียวกัน"
    ),
    "is not valid JSON ({why}); the file is cut off": "ไม่ใช่ JSON ที่ถูกต้อง ({why}); ไฟล์ถูกตัดขาด",
    "is not valid JSON ({why})": "ไม่ใช่ JSON ที่ถูกต้อง ({why})",
    "is JSON but not GeoJSON: it has no 'features' list": (
        "เป็น JSON แต่ไม่ใช่ GeoJSON: ไม่มีรายการ 'features'"
    ),
    "has no features": "ไม่มีข้อมูลจุด (features)",
    "is not valid XML ({position}); the file may be cut off": (
        "ไม่ใช่ XML ที่ถูกต้อง ({position}); ไฟล์อาจถูกตัดขาด"
    ),
    "has no Placemarks": "ไม่มี Placemark",
    "declares a DTD or entities, which KML does not use": ("ประกาศ DTD หรือ entity ซึ่งไฟล์ KML ไม่ใช้"),
    "refers to external entities, which KML does not use": ("อ้างถึง entity ภายนอก ซึ่งไฟล์ KML ไม่ใช้"),
    "is XML but not KML (its root element is <{tag}>)": (
        "เป็น XML แต่ไม่ใช่ KML (element หลักคือ <{tag}>)"
    ),
    # -- import limits (importers/limits.py) and the duplicate check (services/imports.py)
    "expands to {size}, more than the limit of {maximum} of data per import": (
        "เมื่อแตกไฟล์แล้วมีขนาด {size} เกินขีดจำกัด {maximum} ต่อการนำเข้าหนึ่งครั้ง"
    ),
    "{member} expands to {size}, more than the limit of {maximum} of data per import": (
        "{member} เมื่อแตกไฟล์แล้วมีขนาด {size} เกินขีดจำกัด {maximum} ต่อการนำเข้าหนึ่งครั้ง"
    ),
    "expands to more than {maximum} of data, the limit per import": (
        "เมื่อแตกไฟล์แล้วมีขนาดเกิน {maximum} ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง"
    ),
    "{member} expands to more than {maximum} of data, the limit per import": (
        "{member} เมื่อแตกไฟล์แล้วมีขนาดเกิน {maximum} ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง"
    ),
    "is {size}, more than the limit of {maximum} of data per import": (
        "มีขนาด {size} เกินขีดจำกัด {maximum} ต่อการนำเข้าหนึ่งครั้ง"
    ),
    "is more than {maximum}, the limit of data per import": (
        "มีขนาดเกิน {maximum} ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง"
    ),
    "has more than {limit} rows, the limit per import": (
        "มีเกิน {limit} แถว ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง"
    ),
    "holds more than {limit} lines or rows (blank ones included), the limit read per import": (
        "มีเกิน {limit} บรรทัดหรือแถว (นับแถวว่างด้วย) ซึ่งเป็นขีดจำกัดที่อ่านได้ต่อการนำเข้าหนึ่งครั้ง"
    ),
    "holds more than {limit} cells, values or elements (blank ones included), the limit read "
    "per import": ("มีเกิน {limit} ช่อง ค่า หรือ element (นับที่ว่างด้วย) ซึ่งเป็นขีดจำกัดที่อ่านได้ต่อการนำเข้าหนึ่งครั้ง"),
    "holds {count} files, more than the limit of {limit} in one archive": (
        "มี {count} ไฟล์ เกินขีดจำกัด {limit} ไฟล์ใน zip เดียว"
    ),
    "split the file, or ask an administrator to import it with `registry import`": (
        "แบ่งไฟล์ให้เล็กลง หรือให้ผู้ดูแลระบบนำเข้าด้วยคำสั่ง `registry import`"
    ),
    "split the file, or ask an administrator to import it with `registry survey import`": (
        "แบ่งไฟล์ให้เล็กลง หรือให้ผู้ดูแลระบบนำเข้าด้วยคำสั่ง `registry survey import`"
    ),
    "names were not compared {between}: {count} pairs lie within {metres} m of each other, "
    "more than the limit of {limit} comparisons per import": (
        "ไม่ได้เทียบชื่อ{between}: มี {count} คู่ที่อยู่ห่างกันไม่เกิน {metres} เมตร "
        "เกินขีดจำกัด {limit} การเทียบต่อการนำเข้าหนึ่งครั้ง"
    ),
    "the registry is busy with another change (an import, say) and this request waited "
    "{seconds}; nothing was written: send it again in a few seconds": (
        "ทะเบียนกำลังบันทึกการเปลี่ยนแปลงอื่นอยู่ (เช่น การนำเข้าไฟล์) และคำขอนี้รอแล้ว {seconds}; "
        "ยังไม่ได้บันทึกสิ่งใด: ส่งอีกครั้งในอีกไม่กี่วินาที"
    ),
    "among the new facilities": "ระหว่างสถานบริการใหม่",
    "between the new and the stored facilities": "ระหว่างสถานบริการใหม่กับที่มีอยู่แล้ว",
    "{count} likely duplicate pairs were found; only the first {limit} are flagged, the limit "
    "per import": (
        "พบ {count} คู่ที่น่าจะซ้ำกัน; ทำเครื่องหมายเพียง {limit} คู่แรก ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง"
    ),
}


# Role names, as the refusals say them ("a data volunteer account cannot ...").
THAI.update({role_phrase(name): spec.label_th for name, spec in ROLES.items()})
THAI.update({spec.label_en.lower(): spec.label_th for spec in ROLES.values()})

# Parts that are numbers match only numbers, so that "{n} row" cannot take "repeats the
# header row". Parts that are rules or words of the table must translate (or be empty), or
# the template does not apply.
_NUMBERS = {
    "n",
    "count",
    "row",
    "hits",
    "total",
    "metres",
    "km",
    "year",
    "low",
    "high",
    "length",
    "limit",
    "id",
}
_NUMBER = r"[-+]?[\d.,]+(?:e[-+]?\d+)?"
_TRANSLATED = {
    "rule",
    "point",
    "where",
    "missing",
    "what",
    "kind",
    "level",
    "because",
    "amount",
    "role",
    "allowed",
    "either",
    "orelse",
    "target",
}


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """Each English template with a part to fill in, as a whole-text pattern."""
    patterns = []
    for english, thai in THAI.items():
        parts = re.split(r"\{(\w+)\}", english)
        if len(parts) == 1:
            continue
        regex, seen = "", set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            elif part in seen:
                regex += f"(?P={part})"
            else:
                regex += f"(?P<{part}>{_NUMBER if part in _NUMBERS else '.*?'})"
                seen.add(part)
        patterns.append((re.compile(regex + r"\Z", re.DOTALL), thai))
    return patterns


def thai_rule(rule: str, field_label: Callable[[str], str] | None = None) -> str | None:
    """The Thai of an English rule text, or None when the table has no template for it.

    ``field_label`` names a ``{field}`` part (a registry field such as ``beds_total``) as the
    page labels it; without it the name stays as written.
    """
    if rule in THAI and not re.search(r"\{\w+\}", rule):
        return THAI[rule]
    for pattern, thai in _patterns():
        found = pattern.match(rule)
        if found is None:
            continue
        parts = {}
        for name, value in found.groupdict().items():
            if name == "field" and field_label is not None:
                parts[name] = field_label(value)
                continue
            translated = thai_rule(value, field_label) if value else value
            if translated is None and name in _TRANSLATED:
                break
            parts[name] = value if translated is None else translated
        else:
            return thai.format(**parts)
    return None


def rule_text(rule: str | None, field_label: Callable[[str], str] | None = None) -> str:
    """A problem's rule in the page's language (English where the table has no Thai)."""
    if not rule:
        return ""
    if current_language() != "th":
        return rule
    thai = thai_rule(rule, field_label)
    if thai is None:
        # Several notes of one row, joined by the bulk write ("...; stated district ...").
        pieces = [thai_rule(piece, field_label) for piece in rule.split("; ")]
        thai = "; ".join(pieces) if None not in pieces else None
    return thai or rule


def action_label(action: str) -> str:
    """What an import does with a row, as the page says it."""
    labels = {
        "created": _("new"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "rejected": _("refused"),
    }
    return labels.get(action, action)
