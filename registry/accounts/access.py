"""Roles and areas: who may change which facilities, and who may manage which accounts.

An account's area is one area code; it covers every code that starts with it (TH50 covers
TH5001 and TH500101). A facility's area is its most specific derived code. Every write, from
pages, the API, imports and accepted reports, is checked here on the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from importers.messages import Rule, Text, area, joined
from registry.errors import ForbiddenError, ValidationError
from registry.models import Area, Facility, User

NATIONAL_ADMIN = "national_admin"
PROVINCIAL_ADMIN = "provincial_admin"
OFFICIAL = "official"
VOLUNTEER = "volunteer"
PLANNER = "planner"


@dataclass(frozen=True)
class RoleSpec:
    name: str
    label_th: str
    label_en: str
    # Levels the account's area may have: 0 = national (no area), 1 province ... 3 subdistrict.
    area_levels: tuple[int, ...]
    writes_facilities: bool
    manages_users: bool
    rank: int  # an administrator may create accounts of its own rank or lower


ROLES: dict[str, RoleSpec] = {
    spec.name: spec
    for spec in (
        RoleSpec(NATIONAL_ADMIN, "ผู้ดูแลระดับประเทศ", "National administrator", (0,), True, True, 4),
        RoleSpec(
            PROVINCIAL_ADMIN, "ผู้ดูแลระดับจังหวัด", "Provincial administrator", (1,), True, True, 3
        ),
        RoleSpec(OFFICIAL, "เจ้าหน้าที่", "Official", (1, 2, 3), True, False, 2),
        RoleSpec(VOLUNTEER, "อาสาสมัครเก็บข้อมูล", "Data volunteer", (2, 3), False, False, 1),
        RoleSpec(PLANNER, "นักวางแผน", "Planner", (0, 1, 2, 3), False, False, 1),
    )
}
LEVEL_NAMES = {0: "the whole country", 1: "a province", 2: "a district", 3: "a subdistrict"}
# The same, as message parameters ("an official is scoped to a province or a district").
LEVEL_PHRASES = {
    level: Rule(f"access.level.{name.split()[-1]}", name) for level, name in LEVEL_NAMES.items()
}
EITHER = Rule("access.either", "%(first)s or %(rest)s")
NO_AREA = Rule("access.no_area", "'no area'")
UNKNOWN_ROLE = Rule("access.unknown_role", "role %(role)s is not one of %(roles)s")
SCOPED = Rule("access.scoped", "%(role)s is scoped to %(allowed)s; %(code)s is %(level)s")


def role_phrase(role: str) -> str:
    """'a data volunteer', 'an official': a role's name with its article, for messages."""
    label = ROLES[role].label_en.lower()
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def area_level(code: str | None) -> int:
    return 0 if not code else (len(code) - 2) // 2


def check_role_area(role: str, area_code: str | None) -> None:
    """Refuse a role that does not exist or an area of the wrong level for the role."""
    spec = ROLES.get(role)
    if spec is None:
        raise ValidationError(UNKNOWN_ROLE(role=repr(role), roles=", ".join(ROLES)), field="role")
    level = area_level(area_code)
    if level not in spec.area_levels:
        allowed = joined([LEVEL_PHRASES[lv]() for lv in spec.area_levels], EITHER)
        raise ValidationError(
            SCOPED(
                role=role_param(role),
                allowed=allowed,
                code=repr(area_code) if area_code else NO_AREA(),
                level=LEVEL_PHRASES[level](),
            ),
            field="area_code",
        )


def covers(user: User, code: str | None) -> bool:
    """Whether the account's area contains the area ``code`` (national accounts: all)."""
    if user.area_code is None:
        return True
    return code is not None and code.startswith(user.area_code)


def facility_area(facility: Facility) -> str | None:
    return facility.subdistrict_code or facility.district_code or facility.province_code


def area_name(session, code: str | None, language: str = "en") -> str:
    """'Si Phum, Mueang Chiang Mai, Chiang Mai (TH500102)' for messages; None: the country.

    ``language="th"`` gives the Thai names: 'ศรีภูมิ, เมืองเชียงใหม่, เชียงใหม่ (TH500102)'.
    """
    if code is None:
        return "ทั้งประเทศ" if language == "th" else "the whole country"
    names, current = [], code
    while current:
        area = session.get(Area, current)
        if area is None:
            break
        names.append(area.name_th if language == "th" else area.name_en)
        current = area.parent_code
    return f"{', '.join(names)} ({code})" if names else code


def area_param(session, code: str | None) -> dict:
    """An area as a message parameter: pages name it in their language."""
    return area(code, area_name(session, code))


# 'a data volunteer', 'an official': each role's name as a message parameter.
ROLE_PHRASES = {name: Rule(f"access.role.{name}", role_phrase(name)) for name in ROLES}


def role_param(role: str) -> Text | str:
    return ROLE_PHRASES[role]() if role in ROLE_PHRASES else role


CANNOT_WRITE = Rule(
    "access.cannot_write",
    "%(role)s account cannot change facilities; ask an official of the area",
)
OUT_OF_AREA = Rule(
    "access.facility_out_of_area",
    "you cannot %(action)s facility %(id)s: it lies in %(area)s, outside your area %(yours)s",
)
ACTIONS = {
    action: Rule(f"access.action.{action.replace(' ', '_')}", action)
    for action in ("change", "deactivate", "revert", "handle reports of")
}
# Roles by their names alone ("cannot manage official accounts").
ROLE_NAMES = {
    name: Rule(f"access.role_name.{name}", spec.label_en.lower()) for name, spec in ROLES.items()
}
CANNOT_MANAGE = Rule("access.cannot_manage", "%(role)s account cannot manage accounts")
CANNOT_MANAGE_ROLE = Rule("access.cannot_manage_role", "%(role)s cannot manage %(target)s accounts")
MANAGER_OUT_OF_AREA = Rule("access.manager_out_of_area", "%(area)s is outside your area %(yours)s")


def require_writer(user: User) -> None:
    spec = ROLES[user.role]
    if not spec.writes_facilities:
        raise ForbiddenError(CANNOT_WRITE(role=role_param(user.role)))


def require_facility_in_area(session, user: User, facility: Facility, action: str) -> None:
    """403 naming both areas when the facility lies outside the account's area."""
    require_writer(user)
    code = facility_area(facility)
    if not covers(user, code):
        raise ForbiddenError(
            OUT_OF_AREA(
                action=ACTIONS[action]() if action in ACTIONS else action,
                id=facility.id,
                area=area_param(session, code),
                yours=area_param(session, user.area_code),
            ),
            facility_id=facility.id,
            area=code,
            your_area=user.area_code,
        )


def require_user_manager(session, admin: User, role: str, area_code: str | None) -> None:
    """An administrator manages accounts of its rank or lower inside its own area."""
    spec = ROLES[admin.role]
    if not spec.manages_users:
        raise ForbiddenError(CANNOT_MANAGE(role=role_param(admin.role)))
    target = ROLES.get(role)
    if target is not None and target.rank > spec.rank:
        raise ForbiddenError(
            CANNOT_MANAGE_ROLE(role=role_param(admin.role), target=ROLE_NAMES[role]())
        )
    if not covers(admin, area_code):
        raise ForbiddenError(
            MANAGER_OUT_OF_AREA(
                area=area_param(session, area_code), yours=area_param(session, admin.area_code)
            )
        )


def area_prefixes(user: User) -> tuple[str, ...] | None:
    """What the import service takes: None for national accounts, else the area prefix."""
    return None if user.area_code is None else (user.area_code,)


def area_condition(user: User):
    """SQL condition: the facility lies in the account's area (None for national accounts)."""
    code = user.area_code
    if code is None:
        return None
    column = {1: Facility.province_code, 2: Facility.district_code, 3: Facility.subdistrict_code}
    return column[area_level(code)] == code
