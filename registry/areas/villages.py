"""DOPA's village list (หมู่บ้าน): load it, find a village by name or number, match typed ones.

A village is known by DOPA's 8-digit code: its tambon's six digits and its number within the
tambon (หมู่ที่), so ``50010203`` is Mu 3 of tambon 500102. The list (``th_muban_villages``,
DOPA's administrative code list, about 2022) has Thai and English names and no coordinates;
only current villages are loaded (67 flagged obsolete are left out).

Volunteers pick their village from the list of their subdistrict (:func:`search_villages`:
by number, Thai or English name, Thai digits and "หมู่ 3" / "Mu 3" / "ม.3" understood); a
record then carries the code. A typed number or name is matched to the list the same way
(:func:`match_village`); a name that matches no listed village is still accepted, since new
villages exist, and the record is flagged for an official (its code stays empty).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from geo.villages import bare_key as name_key
from importers.coords import to_ascii_digits
from registry.errors import ValidationError
from registry.models import Village

VILLAGE_FILE = Path("villages") / "th_muban_villages.csv.gz"
VILLAGE_SOURCE = (
    "กรมการปกครอง (DOPA), administrative code list of villages (about 2022), via "
    "Ahoerstemeier/tambon @ b5dfcce"
)
_COLUMNS = ("muban_geocode", "tambon_geocode", "tambon_pcode", "name_th", "name_en", "obsolete")
_CODE = re.compile(r"\d{8}")
# "หมู่ 3", "หมู่ที่ 3", "ม.3", "Mu 3", "Moo 3", "#3" or a bare "3".
_NUMBER = re.compile(r"^(?:หมู่ที่|หมู่|ม\.|mu|moo|m\.|#)?\s*0*(\d{1,2})$")
_INSERT_CHUNK = 5_000


@dataclass(frozen=True)
class VillageChoice:
    code: str
    number: int
    name_th: str
    name_en: str | None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "number": self.number,
            "name_th": self.name_th,
            "name_en": self.name_en,
        }


def load_villages(session: Session, data_dir: Path) -> tuple[str, int]:
    """Load the bundled list once; a second run with the same list changes nothing.

    Returns the action (``loaded``, ``unchanged``) and the number of villages.
    """
    rows = read_village_file(data_dir / VILLAGE_FILE)
    stored = session.scalar(select(func.count()).select_from(Village))
    if stored == len(rows):
        return "unchanged", stored
    session.execute(delete(Village))
    # Core statements: the ORM's bulk path costs more than the database for 75,000 rows.
    connection = session.connection()
    for start in range(0, len(rows), _INSERT_CHUNK):
        connection.execute(insert(Village.__table__), rows[start : start + _INSERT_CHUNK])
    village_index.clear()
    return "loaded", len(rows)


def read_village_file(path: Path) -> list[dict]:
    """Current villages of DOPA's list as rows for the ``village`` table."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig")
        reader = csv.DictReader(text)
        missing = [name for name in _COLUMNS if name not in (reader.fieldnames or ())]
        if missing:
            raise ValidationError(
                f"'{path.name}' lacks the column(s) {', '.join(missing)}; DOPA's village list "
                f"has {', '.join(_COLUMNS)}",
                field="file",
            )
        rows = []
        for number, record in enumerate(reader, start=2):
            code = record["muban_geocode"].strip()
            if not _CODE.fullmatch(code) or code[:6] != record["tambon_geocode"].strip():
                raise ValidationError(
                    f"'{path.name}' row {number}, column 'muban_geocode': {code!r} is not an "
                    "8-digit village code starting with its tambon_geocode",
                    field="muban_geocode",
                )
            if "1" in (record["obsolete"].strip(), (record.get("tambon_obsolete") or "").strip()):
                continue
            rows.append(
                {
                    "code": code,
                    "subdistrict_code": record["tambon_pcode"].strip(),
                    "number": int(code[6:]),
                    "name_th": record["name_th"].strip(),
                    "name_en": record["name_en"].strip() or None,
                    "source": "dopa_muban",
                }
            )
    return rows


class _VillageIndex:
    """Villages per subdistrict, read once per database and subdistrict (the list is fixed)."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], tuple[VillageChoice, ...]] = {}

    def of(self, session: Session, subdistrict_code: str) -> tuple[VillageChoice, ...]:
        key = (str(session.get_bind().engine.url), subdistrict_code)
        cached = self._lists.get(key)
        if cached is None:
            rows = session.execute(
                select(Village.code, Village.number, Village.name_th, Village.name_en)
                .where(Village.subdistrict_code == subdistrict_code)
                .order_by(Village.code)
            ).all()
            cached = tuple(VillageChoice(*row) for row in rows)
            if len(self._lists) > 20_000:
                self._lists.clear()
            self._lists[key] = cached
        return cached

    def clear(self) -> None:
        self._lists.clear()


village_index = _VillageIndex()


def villages_of(session: Session, subdistrict_code: str) -> tuple[VillageChoice, ...]:
    return village_index.of(session, subdistrict_code)


def typed_number(text: str) -> int | None:
    """The village number in "3", "๓", "หมู่ 3", "ม.3", "Mu 3"; None if it is not one."""
    match = _NUMBER.match(to_ascii_digits(str(text)).strip().lower())
    return int(match.group(1)) if match else None


def search_villages(
    session: Session, subdistrict_code: str, query: str = "", limit: int = 50
) -> list[VillageChoice]:
    """Villages of a subdistrict whose number or Thai or English name matches ``query``.

    An empty query lists them all by number. A number matches that village; text matches
    names containing it (ignoring case, spaces and a leading "บ้าน"/"Ban"), names starting
    with it first.
    """
    villages = villages_of(session, subdistrict_code)
    query = (query or "").strip()
    if not query:
        return list(villages[:limit])
    number = typed_number(query)
    if number is not None:
        return [v for v in villages if v.number == number][:limit]
    key = name_key(query)
    if not key:
        return list(villages[:limit])
    scored = []
    for village in villages:
        names = (name_key(village.name_th), name_key(village.name_en or ""))
        if any(name.startswith(key) for name in names):
            scored.append((0, village.number, village))
        elif any(key in name for name in names):
            scored.append((1, village.number, village))
    return [village for *_, village in sorted(scored, key=lambda s: s[:2])][:limit]


def match_village(
    session: Session, subdistrict_code: str, number: int | None, name: str | None
) -> VillageChoice | None:
    """The listed village a typed number or name stands for, or None (unlisted or ambiguous).

    A number decides when given; else a name equal (as :func:`name_key` compares) to exactly
    one listed Thai or English name.
    """
    villages = villages_of(session, subdistrict_code)
    if number is not None:
        return next((v for v in villages if v.number == number), None)
    if not name:
        return None
    key = name_key(name)
    found = [v for v in villages if key in (name_key(v.name_th), name_key(v.name_en or ""))]
    return found[0] if len(found) == 1 else None


def village_by_code(session: Session, code: str) -> VillageChoice | None:
    row = session.execute(
        select(Village.code, Village.number, Village.name_th, Village.name_en).where(
            Village.code == code
        )
    ).first()
    return VillageChoice(*row) if row else None
