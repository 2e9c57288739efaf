"""Statistics numbers against the raw data: facilities, freshness, beds, survey, coverage, ranking.

Every expected number is worked out here from the rows themselves (a plain grouped count, a
loop over the records), never from the statistics service.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from importers.vocabulary import FACILITY_TYPES, STATUSES, SURVEY_GROUPS
from registry.config import FRESHNESS_TTL_HOURS
from registry.coverage import query as coverage_query
from registry.coverage import service as coverage_service
from registry.facilities.freshness import status_is_stale
from registry.facilities.service import Actor, create_facility, deactivate_facility
from registry.models import Area, Facility, SurveyRecord, utcnow
from registry.stats import service
from tests.registry.coverage_layout import build_layout, fresh_caches  # noqa: F401  (fixture)
from tests.registry.helpers import BANGKOK, CHIANG_MAI, make_facility

CONFIG = {"FRESHNESS_TTL_HOURS": FRESHNESS_TTL_HOURS}
# Phra Sing (TH500102) and Si Phum (TH500101) in Mueang Chiang Mai (TH5001); Ban Luang
# (TH500203) in Chom Thong (TH5002); Phraborom Maharatchawang (TH100101) in Bangkok.
PHRA_SING, SI_PHUM, BAN_LUANG, BANGKOK_SUB = "TH500102", "TH500101", "TH500203", "TH100101"


@pytest.fixture(autouse=True)
def fresh_survey_parts():
    """Survey parts are cached by a stamp that rolled-back tests could repeat."""
    service.survey_parts.clear()
    yield
    service.survey_parts.clear()


def add_survey(
    session, area_code, survey_date, *, village_no=None, village_name=None, deleted=False, **counts
) -> SurveyRecord:
    """A survey record written straight to the table (the survey pages are another module's)."""
    values = {name: counts.get(name, 0) for name in _count_fields()}
    record = SurveyRecord(
        area_code=area_code,
        village_no=village_no,
        village_name=village_name,
        survey_date=survey_date,
        entered_by="tester",
        entered_at=utcnow(),
        source="web",
        deleted_at=utcnow() if deleted else None,
        **values,
    )
    session.add(record)
    session.flush()
    return record


def _count_fields():
    fields = [f"{kind}_{g}" for kind in ("residents", "unvaccinated") for g in SURVEY_GROUPS]
    return [*fields, "referred_site", "referred_home_visit"]


def expected_latest(session, prefix: str | None, until: date | None = None) -> list:
    """The records that count, worked out with plain loops (see registry.survey.service).

    The latest non-withdrawn record per village (its number, else its name) and per
    subdistrict-wide entry; then per subdistrict the subdistrict-wide record if it is at least
    as new as its newest village record, else the villages' records.
    """
    best: dict[tuple, SurveyRecord] = {}
    for record in session.scalars(select(SurveyRecord)):
        if record.deleted_at is not None or (until and record.survey_date > until):
            continue
        if prefix and not record.area_code.startswith(prefix):
            continue
        village = record.village_no if record.village_no is not None else record.village_name
        key = (record.area_code, village)
        kept = best.get(key)
        if kept is None or (record.survey_date, record.id) > (kept.survey_date, kept.id):
            best[key] = record
    counted = []
    for code in {area for area, _village in best}:
        whole = best.get((code, None))
        villages = [r for (area, v), r in best.items() if area == code and v is not None]
        if whole and (not villages or whole.survey_date >= max(v.survey_date for v in villages)):
            counted.append(whole)
        else:
            counted += villages
    return counted


def statistics(session, code, **options):
    scope = service.find_scope(session, code)
    return service.area_statistics(session, scope, CONFIG, **options)


def rows_by(table, key):
    return {row[key]: row for row in table.rows}


# -- facilities -------------------------------------------------------------------------------


@pytest.fixture
def facilities(session):
    """Sites of every status in Chiang Mai (two districts) and Bangkok, one deactivated."""
    made = [
        make_facility(session, type="hospital", status="open"),
        make_facility(session, type="hospital", status="full"),
        make_facility(session, type="vaccination_site", status="open"),
        make_facility(session, type="vaccination_site", status="temporarily_closed"),
        make_facility(session, type="covid_test_point", status="closed"),
        # Chom Thong district, Chiang Mai
        make_facility(session, type="waiting_centre", status="open", lon=98.56, lat=18.42),
        make_facility(session, type="hospital", status="open", **BANGKOK),
        make_facility(session, type="field_hospital", status="full", **BANGKOK),
    ]
    gone = make_facility(session, type="hospital", status="open")
    deactivate_facility(
        session, gone.id, Actor("t", "web"), reason="duplicate", expected_version=gone.version
    )
    session.commit()
    return made


@pytest.mark.parametrize("code", [None, "TH50", "TH5001", "TH5002", "TH10"])
def test_facilities_by_type_and_status_match_a_plain_count(session, facilities, code):
    statement = select(Facility.type, Facility.status, func.count()).where(
        Facility.deleted_at.is_(None)
    )
    if code is not None:
        column = Facility.province_code if len(code) == 4 else Facility.district_code
        statement = statement.where(column == code)
    counted = {
        (t, s): n for t, s, n in session.execute(statement.group_by(Facility.type, Facility.status))
    }

    table = statistics(session, code).tables["facilities"]
    rows = rows_by(table, "type")
    for facility_type in FACILITY_TYPES:
        for status in STATUSES:
            assert rows[facility_type][status] == counted.get((facility_type, status), 0)
        assert rows[facility_type]["total"] == sum(
            n for (t, _s), n in counted.items() if t == facility_type
        )
    assert rows["total"]["total"] == sum(counted.values())
    assert sum(counted.values()) > 0


def test_freshness_shares_follow_the_freshness_rule(session):
    now = utcnow()
    ages = [1, 10, 71, 73, 200]  # hours since confirmation; 72 h is the limit for every type
    for hours, facility_type in zip(ages, FACILITY_TYPES, strict=True):
        make_facility(session, type=facility_type, status_confirmed_at=now - timedelta(hours=hours))
        make_facility(session, type=facility_type, status_confirmed_at=now - timedelta(hours=5))
    never = create_facility(
        session,
        {"type": "hospital", "name_th": "ไม่เคยยืนยัน", **CHIANG_MAI},
        Actor("t", "web"),
        confirm_status=False,
    ).facility
    session.commit()

    stats = statistics(session, "TH50", now=now)
    rows = rows_by(stats.tables["freshness"], "type")
    everyone = session.scalars(select(Facility).where(Facility.province_code == "TH50")).all()
    for facility_type in (*FACILITY_TYPES, "total"):
        mine = [f for f in everyone if facility_type in ("total", f.type)]
        fresh = [f for f in mine if not status_is_stale(CONFIG, f, now)]
        row = rows[facility_type]
        assert row["facilities"] == len(mine)
        assert row["confirmed_in_time"] == len(fresh)
        assert row["share_in_time"] == pytest.approx(len(fresh) / len(mine))
    assert rows["total"]["never_confirmed"] == 1
    assert rows["hospital"]["share_in_time"] == pytest.approx(2 / 3)  # 1 h, 5 h in; never out
    assert rows["field_hospital"]["oldest_confirmation"] == now - timedelta(hours=73)

    # The administrators' list: never confirmed first, then the oldest confirmations.
    stale = stats.tables["stale_facilities"].rows
    assert stale[0]["id"] == never.id
    expected = sorted(
        (f for f in everyone if status_is_stale(CONFIG, f, now) and f.id != never.id),
        key=lambda f: f.status_confirmed_at,
    )
    assert [row["id"] for row in stale[1:]] == [f.id for f in expected]
    assert stats.tables["stale_facilities"].admin_only


def test_beds_and_occupancy_count_only_sites_reporting_both(session):
    make_facility(
        session, type="hospital", beds_total=100, covid_beds_total=20, covid_beds_occupied=15
    )
    make_facility(session, type="hospital", beds_total=50, covid_beds_total=10)  # no occupancy
    make_facility(
        session,
        type="field_hospital",
        beds_green_total=30,
        beds_green_available=12,
        beds_red_total=4,
        beds_red_available=1,
    )
    make_facility(session, type="waiting_centre", beds_total=60, beds_yellow_total=8)
    session.commit()
    rows = {
        (row["type"], row["beds_kind"]): row
        for row in statistics(session, "TH50").tables["capacity"].rows
    }
    assert rows[("hospital", "all")]["beds"] == 150
    covid = rows[("hospital", "covid")]
    assert (covid["facilities_reporting"], covid["beds"], covid["occupied"]) == (1, 20, 15)
    assert covid["available"] == 5 and covid["occupancy"] == pytest.approx(0.75)
    green = rows[("field_hospital", "green")]
    assert (green["beds"], green["occupied"], green["available"]) == (30, 18, 12)
    assert rows[("field_hospital", "red")]["occupied"] == 3
    # Beds of a field hospital with no total: the sum by severity, as coverage counts them.
    assert rows[("field_hospital", "all")]["beds"] == 34
    assert rows[("waiting_centre", "all")]["beds"] == 60
    assert rows[("waiting_centre", "yellow")]["facilities_reporting"] == 0


# -- survey -----------------------------------------------------------------------------------


@pytest.fixture
def survey(session):
    """Villages in two Chiang Mai districts and Bangkok; one corrected, one withdrawn."""
    day = date(2021, 11, 1)  # a Monday
    add_survey(
        session,
        PHRA_SING,
        day,
        village_no=1,
        village_name="บ้านหนึ่ง",
        residents_general=40,
        unvaccinated_general=10,
        residents_elderly=12,
        unvaccinated_elderly=3,
        referred_site=2,
    )
    # A later count of the same village replaces the first one.
    add_survey(
        session,
        PHRA_SING,
        day + timedelta(days=9),
        village_no=1,
        village_name="Ban Nueng",  # the same village: its number says so
        residents_general=41,
        unvaccinated_general=8,
        residents_elderly=12,
        unvaccinated_elderly=2,
        residents_bedridden=2,
        unvaccinated_bedridden=2,
        referred_home_visit=2,
    )
    add_survey(
        session,
        PHRA_SING,
        day + timedelta(days=2),
        village_no=2,
        residents_children_5_11=30,
        unvaccinated_children_5_11=30,
    )
    add_survey(
        session,
        SI_PHUM,
        day + timedelta(days=3),
        residents_migrant=25,
        unvaccinated_migrant=20,
        residents_students_12_18=9,
        unvaccinated_students_12_18=1,
    )
    add_survey(
        session,
        SI_PHUM,
        day + timedelta(days=3),
        deleted=True,
        residents_general=500,
        unvaccinated_general=500,
    )
    add_survey(
        session, BAN_LUANG, day + timedelta(days=16), residents_elderly=50, unvaccinated_elderly=4
    )
    add_survey(session, BANGKOK_SUB, day, residents_general=70, unvaccinated_general=7)
    # Older than Phra Sing's villages: they count, not this subdistrict-wide record.
    add_survey(session, PHRA_SING, day, residents_general=1000, unvaccinated_general=900)
    # Older than Ban Luang's subdistrict-wide record: counts only until that one is made.
    add_survey(
        session,
        BAN_LUANG,
        day + timedelta(days=5),
        village_no=3,
        residents_elderly=7,
        unvaccinated_elderly=7,
    )
    session.commit()


def _group_totals(records):
    totals = defaultdict(int)
    for record in records:
        for group in SURVEY_GROUPS:
            totals[("residents", group)] += getattr(record, f"residents_{group}")
            totals[("unvaccinated", group)] += getattr(record, f"unvaccinated_{group}")
    return totals


@pytest.mark.parametrize("code", [None, "TH50", "TH5001", "TH5002", "TH10"])
def test_survey_totals_by_group_match_the_latest_records(session, survey, code):
    latest = expected_latest(session, code)
    totals = _group_totals(latest)
    stats = statistics(session, code)
    rows = rows_by(stats.tables["survey_groups"], "group")
    for group in SURVEY_GROUPS:
        assert rows[group]["residents"] == totals[("residents", group)]
        assert rows[group]["unvaccinated"] == totals[("unvaccinated", group)]
    residents = sum(v for (kind, _g), v in totals.items() if kind == "residents")
    assert rows["total"]["residents"] == residents > 0

    summary = stats.tables["survey_summary"].rows[0]
    subdistricts = session.scalar(
        select(func.count())
        .select_from(Area)
        .where(Area.level == 3, Area.code.startswith(code or "TH"))
    )
    assert summary["subdistricts"] == subdistricts
    assert summary["subdistricts_reported"] == len({r.area_code for r in latest})
    assert summary["villages_reported"] == len(latest)
    assert summary["share_reported"] == pytest.approx(
        len({r.area_code for r in latest}) / subdistricts
    )
    assert summary["referred_home_visit"] == sum(r.referred_home_visit for r in latest)
    assert summary["referred_site"] == sum(r.referred_site for r in latest)


def test_the_corrected_and_the_withdrawn_records_are_not_counted(session, survey):
    rows = rows_by(statistics(session, "TH5001").tables["survey_groups"], "group")
    assert rows["general"]["residents"] == 41  # the later count of village 1, not 40 + 41
    assert rows["elderly"]["unvaccinated"] == 2
    assert rows["migrant"]["residents"] == 25  # Si Phum's withdrawn 500 is left out
    assert rows["total"]["unvaccinated"] == 8 + 2 + 2 + 30 + 20 + 1


def test_the_weekly_trend_is_the_standing_at_each_weeks_end(session, survey):
    rows = statistics(session, "TH50").tables["survey_trend"].rows
    weeks = [date(2021, 11, 1), date(2021, 11, 8), date(2021, 11, 15)]
    assert [row["week_start"] for row in rows] == weeks
    records = session.scalars(
        select(SurveyRecord).where(
            SurveyRecord.deleted_at.is_(None), SurveyRecord.area_code.startswith("TH50")
        )
    ).all()
    for row in rows:
        # A record corrected after the week's end still counts for that week.
        standing = expected_latest(session, "TH50", until=row["week_end"])
        assert row["unvaccinated"] == sum(
            getattr(r, f"unvaccinated_{g}") for r in standing for g in SURVEY_GROUPS
        )
        assert row["subdistricts_reported"] == len({r.area_code for r in standing})
        assert row["records_in_week"] == sum(
            row["week_start"] <= r.survey_date <= row["week_end"] for r in records
        )
    # Week 1: Phra Sing's villages 1 (first count) and 2, Si Phum, Ban Luang's village 3.
    assert rows[0]["unvaccinated"] == 13 + 30 + 21 + 7
    # Week 2: village 1's correction (8 + 2 + 2) replaces its first count.
    assert rows[1]["unvaccinated"] == 12 + 30 + 21 + 7
    # Week 3: Ban Luang's subdistrict-wide count (4) replaces its village's.
    assert rows[2]["unvaccinated"] == 12 + 30 + 21 + 4


def test_the_records_counted_are_the_survey_services(session, survey):
    """The survey pages and layer count with registry.survey.service: the same records."""
    from registry.stats.survey import latest, survey_frame
    from registry.survey.records import counted_records

    for code in (None, "TH50", "TH5001", "TH500102", "TH10"):
        mine = set(latest(survey_frame(session, code))["id"])
        assert mine == {r.id for r in counted_records(session, code)}
        assert mine == {r.id for r in expected_latest(session, code)}


def test_the_survey_per_subdistrict_is_for_administrators(session, survey):
    table = statistics(session, "TH50").tables["survey_subdistricts"]
    assert table.admin_only
    rows = rows_by(table, "code")
    assert set(rows) == {PHRA_SING, SI_PHUM, BAN_LUANG}
    assert rows[PHRA_SING]["villages_reported"] == 2
    assert rows[PHRA_SING]["residents_bedridden"] == 2
    assert rows[PHRA_SING]["name_en"] == session.get(Area, PHRA_SING).name_en


# -- coverage, ranking, scope -----------------------------------------------------------------


@pytest.mark.usefixtures("fresh_caches")
def test_coverage_and_ranking_match_the_coverage_service(session, app, survey):
    build_layout(session)  # 300 people in Chiang Mai (100 within 10 km), 50 in Bangkok
    config = app.config
    scope = service.find_scope(session, "TH50")
    stats = service.area_statistics(session, scope, config, threshold_km=10)
    query = coverage_query.parse_coverage_query(
        {"type": "vaccination_site", "threshold_km": "10", "level": "district", "province": "TH50"}
    )
    answer = coverage_service.coverage(session, query, config)
    coverage = rows_by(stats.tables["coverage"], "code")
    assert coverage["TH50"]["population"] == answer.totals["population"] == 300
    assert coverage["TH50"]["covered"] == answer.totals["covered"] == 100
    assert coverage["TH50"]["share_covered"] == pytest.approx(1 / 3)
    assert stats.coverage_layer["name"] == "test-layout"

    ranking = stats.tables["ranking"].rows
    assert len(ranking) == session.scalar(
        select(func.count()).select_from(Area).where(Area.parent_code == "TH50")
    )
    assert [row["rank"] for row in ranking] == list(range(1, len(ranking) + 1))
    shares = [row["share_covered"] for row in ranking if row["share_covered"] is not None]
    assert shares == sorted(shares, reverse=True) and shares[0] == 1.0  # the gate's district
    mueang = rows_by(stats.tables["ranking"], "code")["TH5001"]
    assert mueang["residents"] == sum(
        getattr(r, f"residents_{g}")
        for r in expected_latest(session, "TH5001")
        for g in SURVEY_GROUPS
    )
    assert mueang["subdistricts"] == 16 and mueang["subdistricts_reported"] == 2
    assert mueang["facilities"] == 1  # the layout's vaccination site

    # Ranked by unvaccinated instead: Mueang (63) before Chom Thong (4).
    by_unvaccinated = service.area_statistics(session, scope, config, ranking="unvaccinated")
    order = [row["code"] for row in by_unvaccinated.tables["ranking"].rows]
    assert order.index("TH5001") == 0 and order.index("TH5002") == 1

    # A district page: coverage of its subdistricts, from the province's answer.
    district = service.area_statistics(session, service.find_scope(session, "TH5001"), config)
    assert set(rows_by(district.tables["coverage"], "code")) <= {
        *service.find_scope(session, "TH5001").children.index,
        "TH5001",
    }


def test_coverage_without_a_population_layer_says_why(session):
    stats = statistics(session, "TH50")
    assert "no population layer" in stats.coverage_error
    assert stats.tables["coverage"].rows == []
    assert all(row["share_covered"] is None for row in stats.tables["ranking"].rows)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("TH50", "TH50"), ("th50", "TH50"), ("50", "TH50"), ("", None), ("TH", None)],
)
def test_area_codes_are_normalised(raw, expected):
    assert service.normalise_code(raw) == expected


@pytest.mark.parametrize("raw", ["TH5", "Chiang Mai", "TH50x1", "1234567"])
def test_a_bad_area_code_is_a_404_quoting_it(raw):
    with pytest.raises(service.NotFoundError, match=repr(raw).replace("(", r"\(")):
        service.normalise_code(raw)


def test_scope_names_parents_and_children(session):
    scope = service.find_scope(session, "TH5001")
    assert scope.level == 2 and scope.name_en == "Mueang Chiang Mai"
    assert [code for code, _th, _en in scope.parents] == ["TH50"]
    assert len(scope.children) == len(scope.subdistricts) == 16
    with pytest.raises(service.NotFoundError, match="subdistrict"):
        service.find_scope(session, PHRA_SING)
    with pytest.raises(service.NotFoundError, match="TH99"):
        service.find_scope(session, "TH99")


def test_a_survey_write_refreshes_the_cached_survey_figures(session, survey):
    def unvaccinated():
        return rows_by(statistics(session, "TH5002").tables["survey_groups"], "group")["total"][
            "unvaccinated"
        ]

    before = unvaccinated()
    assert unvaccinated() == before  # the second answer comes from the cache
    record = add_survey(session, BAN_LUANG, date(2021, 12, 1), residents_elderly=9,
                        unvaccinated_elderly=9)  # fmt: skip
    session.commit()
    assert unvaccinated() == 9  # the newer subdistrict-wide count replaces the older one
    record.unvaccinated_elderly = 6  # a correction (the version goes up)
    session.commit()
    assert unvaccinated() == 6
    record.deleted_at = utcnow()  # withdrawn
    session.commit()
    assert unvaccinated() == before


def test_a_long_campaign_has_every_week_and_ends_at_the_standing(session, survey):
    add_survey(session, SI_PHUM, date(2022, 12, 7), residents_general=50, unvaccinated_general=5)
    session.commit()
    stats = statistics(session, "TH50")
    rows = stats.tables["survey_trend"].rows
    starts = [row["week_start"] for row in rows]
    assert starts[0] == date(2021, 11, 1) and starts[-1] == date(2022, 12, 5)
    assert all(b - a == timedelta(days=7) for a, b in pairwise(starts))
    quiet = rows[10]  # January 2022: nothing new, the standing carries over
    assert quiet["records_in_week"] == 0 and quiet["unvaccinated"] == rows[2]["unvaccinated"]
    summary = stats.tables["survey_summary"].rows[0]
    assert rows[-1]["unvaccinated"] == summary["unvaccinated"] == 12 + 30 + 5 + 4
    assert rows[-1]["residents"] == summary["residents"]
