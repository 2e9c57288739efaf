"""A planner's coverage question: its parameters, their limits, and parsing them from a request.

The API, the planner page, the statistics and the CLI all turn their arguments into one
:class:`CoverageQuery` here; a bad value is a ValidationError naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app

from importers.vocabulary import AGE_GROUPS, DOSES, FACILITY_TYPES, TEST_METHODS, VACCINE_BRANDS
from registry.coverage import messages as say
from registry.coverage.population import LEVEL_NAMES
from registry.errors import ValidationError
from registry.nearest.catalog import SiteFilter
from registry.query_args import area_code, number_in, parse_choice, parse_flag
from registry.roads.service import profile_named as road_profile

LEVELS = {name: level for level, name in LEVEL_NAMES.items()}
# Types whose beds make "beds per 10,000 people" meaningful.
CAPACITY_TYPES = ("hospital", "field_hospital", "waiting_centre")
PARAMETERS = (
    "type",
    "threshold_km",
    "level",
    "province",
    "layer",
    "open_now",
    "confirmed_only",
    "walk_in",
    "vaccine_brand",
    "dose",
    "age_group",
    "test_method",
    # Travel time on roads: threshold_min instead of threshold_km.
    "threshold_min",
    "profile",
    "roads",
)
SUGGESTION_PARAMETERS = ("k", "candidates")
CANDIDATE_KINDS = ("subdistrict_centres", "grid", *(f"facilities:{t}" for t in FACILITY_TYPES))
MAX_THRESHOLD_KM = 200.0
MAX_THRESHOLD_MIN = 600.0
CURVE_MINUTES = tuple(float(m) for m in range(5, 61, 5))
MAX_K = 50
CURVE_KM = tuple(float(km) for km in range(1, 31))
# Grid candidates are spaced at half the threshold, widened if that would make more points.
MAX_GRID_CANDIDATES = 40_000
MAX_ROAD_GRID_CANDIDATES = 300
KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class CoverageQuery:
    """What a planner asks; every field is checked by :func:`parse_coverage_query`."""

    types: tuple[str, ...]
    threshold_m: float
    level: int
    province: str | None = None
    layer: str | None = None
    open_now: bool = True
    confirmed_only: bool = False
    walk_in: bool | None = None
    vaccine_brand: str | None = None
    dose: str | None = None
    age_group: str | None = None
    test_method: str | None = None
    # Travel time: minutes by road with a travel profile, on the named road layer
    # or every layer; None means straight-line distance (threshold_m).
    threshold_min: float | None = None
    profile: str | None = None
    roads: str | None = None

    @property
    def by_time(self) -> bool:
        return self.threshold_min is not None

    @property
    def threshold_s(self) -> float:
        return float(self.threshold_min) * 60.0

    def site_filter(self, types: tuple[str, ...] | None = None) -> SiteFilter:
        return SiteFilter(
            types=self.types if types is None else types,
            open_now=self.open_now or self.confirmed_only,
            walk_in=self.walk_in,
            vaccine_brand=self.vaccine_brand,
            dose=self.dose,
            age_group=self.age_group,
            test_method=self.test_method,
        )

    @property
    def capacity(self) -> bool:
        """Beds per area are reported when every chosen type has beds."""
        # Beds are shared out by straight-line distance; not (yet) by travel time.
        return not self.by_time and all(t in CAPACITY_TYPES for t in self.types)

    def as_args(self) -> dict[str, str]:
        """The query as URL parameters (the inverse of parse_coverage_query)."""
        args = {
            "type": ",".join(self.types),
            "threshold_km": f"{self.threshold_m / 1000:.12g}",
            "level": LEVEL_NAMES[self.level],
            "open_now": "true" if self.open_now else "false",
        }
        optional = {
            "province": self.province,
            "layer": self.layer,
            "confirmed_only": "true" if self.confirmed_only else None,
            "walk_in": None if self.walk_in is None else str(self.walk_in).lower(),
            "vaccine_brand": self.vaccine_brand,
            "dose": self.dose,
            "age_group": self.age_group,
            "test_method": self.test_method,
        }
        args.update({name: value for name, value in optional.items() if value is not None})
        if self.by_time:
            del args["threshold_km"]
            args["threshold_min"] = f"{self.threshold_min:.12g}"
            args["profile"] = self.profile or ""
            if self.roads:
                args["roads"] = self.roads
        return args


# -- parsing ----------------------------------------------------------------------------------


def parse_coverage_query(args: Mapping[str, str]) -> CoverageQuery:
    """Check every parameter; a bad one is a 400 naming it and quoting the value."""
    types = tuple(
        dict.fromkeys(t.strip() for t in (args.get("type") or "").split(",") if t.strip())
    )
    if not types:
        raise ValidationError(say.GIVE_A_TYPE(choices=list(FACILITY_TYPES)), field="type")
    for facility_type in types:
        if facility_type not in FACILITY_TYPES:
            raise ValidationError(
                say.NOT_A_TYPE(value=repr(facility_type), choices=list(FACILITY_TYPES)),
                field="type",
            )
    threshold_km = number_in(args, "threshold_km", 0.0, MAX_THRESHOLD_KM, default=10.0)
    threshold_min, profile, roads = _travel_args(args)
    level_name = (args.get("level") or "district").strip()
    if level_name not in LEVELS:
        raise ValidationError(
            say.NOT_A_LEVEL(value=repr(level_name), choices=", ".join(LEVELS)), field="level"
        )
    province = None
    raw_province = (args.get("province") or "").strip()
    if raw_province:
        province = area_code(raw_province, (1,))
        if province is None:
            raise ValidationError(
                say.NOT_A_PROVINCE_CODE(value=repr(raw_province)), field="province"
            )
    layer = (args.get("layer") or "").strip() or None
    return CoverageQuery(
        types=types,
        threshold_m=threshold_km * 1000.0,
        level=LEVELS[level_name],
        province=province,
        layer=layer,
        open_now=bool(parse_flag(args, "open_now", True)),
        confirmed_only=bool(parse_flag(args, "confirmed_only", False)),
        walk_in=parse_flag(args, "walk_in", None),
        vaccine_brand=parse_choice(args, "vaccine_brand", VACCINE_BRANDS),
        dose=parse_choice(args, "dose", DOSES),
        age_group=parse_choice(args, "age_group", AGE_GROUPS),
        test_method=parse_choice(args, "test_method", TEST_METHODS),
        threshold_min=threshold_min,
        profile=profile,
        roads=roads,
    )


def _travel_args(args: Mapping[str, str]) -> tuple[float | None, str | None, str | None]:
    """threshold_min, profile and roads, checked; the profile against the configuration."""
    raw = (args.get("threshold_min") or "").strip()
    profile = (args.get("profile") or "").strip() or None
    roads = (args.get("roads") or "").strip() or None
    if not raw:
        if profile or roads:
            name = "profile" if profile else "roads"
            raise ValidationError(say.NEEDS_MINUTES(name=name), field="threshold_min")
        return None, None, None
    if (args.get("threshold_km") or "").strip():
        raise ValidationError(say.KM_OR_MINUTES(), field="threshold_min")
    minutes = number_in(args, "threshold_min", 0.0, MAX_THRESHOLD_MIN, default=0.0)
    if minutes <= 0:
        raise ValidationError(
            say.NOT_MINUTES(value=repr(raw), high=f"{MAX_THRESHOLD_MIN:g}"), field="threshold_min"
        )
    chosen = road_profile(current_app.config, profile)
    return minutes, chosen.name, roads


def parse_suggestion_args(args: Mapping[str, str]) -> tuple[int, str]:
    raw_k = (args.get("k") or "").strip()
    k = 5
    if raw_k:
        if not raw_k.isdecimal() or not 1 <= int(raw_k) <= MAX_K:
            raise ValidationError(say.NOT_A_K(value=repr(raw_k), high=MAX_K), field="k")
        k = int(raw_k)
    candidates = (args.get("candidates") or "subdistrict_centres").strip()
    if candidates not in CANDIDATE_KINDS:
        raise ValidationError(
            say.NOT_A_CANDIDATE_KIND(value=repr(candidates), choices=", ".join(CANDIDATE_KINDS)),
            field="candidates",
        )
    return k, candidates
