"""The training manual's screenshots, taken from the real pages.

Each role's walk drives the pages the way docs/manual/<lang>/<role>.md tells a person to,
asserts what each step shows, and saves a screenshot named <role>-<step>-<lang>.png. At the
end of a walk every label the manual prints in bold must have appeared on the pages walked,
so renaming a button fails here until the manual says the new name.

Screenshots go to test-artifacts/manual/<backend>/ on an ordinary run. With
REGISTRY_MANUAL_SCREENSHOTS=1 (scripts/manual-screenshots) the SpatiaLite run writes them to
docs/manual/img/ instead; no ordinary test run rewrites the committed images.
"""

from __future__ import annotations

import importlib.util
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from registry.accounts.service import create_user, find_user
from registry.db import db
from registry.facilities.reports import submit_report
from registry.facilities.service import Actor, create_facility, update_facility
from registry.models import Facility, ResidentReport, utcnow
from tests.e2e.accounts import PASSWORD
from tests.e2e.conftest import ARTIFACTS, XSS_NAME, RecordedPage

ROOT = Path(__file__).resolve().parents[2]
MANUAL = ROOT / "docs" / "manual"
LANGS = ("th", "en")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# The people in the screenshots (names made up): user name, role, area, display name.
USERS = {
    "official": ("somchai.p", "official", "TH50", "สมชาย พรหมมา"),
    "volunteer": ("malee.k", "volunteer", "TH5001", "มาลี แก้วมา"),
    "admin": ("pranee.s", "provincial_admin", "TH50", "ปราณี สุขใจ"),
    "planner": ("anan.w", "planner", "TH50", "อนันต์ วงศ์ดี"),
}
BOLD = re.compile(r"\*\*(.+?)\*\*")


def _load_build():
    spec = importlib.util.spec_from_file_location("manual_build", MANUAL / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _normalise(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _out_dir(backend: str) -> Path:
    if os.environ.get("REGISTRY_MANUAL_SCREENSHOTS") == "1" and backend == "spatialite":
        return MANUAL / "img"
    return ARTIFACTS / "manual" / backend


class Walk:
    """One role's walk in one language: the page, its screenshots and every text it showed."""

    def __init__(self, browser, live_server, backend: str, role: str, lang: str, phone: bool):
        touch = {"is_mobile": True, "has_touch": True} if phone else {}
        self.context = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            # 1.5: sharp enough to print 4 cm wide, small enough to keep the images light.
            device_scale_factor=1.5 if phone else 1,
            locale="th-TH" if lang == "th" else "en-GB",
            timezone_id="Asia/Bangkok",
            **touch,
        )
        self.recorded = RecordedPage(self.context.new_page(), live_server.url)
        self.page = self.recorded.page
        self.role, self.lang = role, lang
        self.out = _out_dir(backend)
        self.seen: list[str] = []

    def go(self, path: str) -> None:
        joiner = "&" if "?" in path else "?"
        self.recorded.goto(f"{path}{joiner}lang={self.lang}")
        self.look()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.look()

    def look(self) -> None:
        self.seen.append(self.page.inner_text("body"))

    def shot(
        self,
        step: int,
        top=None,
        bottom=None,
        *,
        max_height: float | None = None,
        width: float | None = None,
    ) -> Path:
        """Save step ``step``: the viewport, or the page from element ``top`` to the end of
        element ``bottom`` (``top`` itself when not given), cut at ``max_height`` CSS pixels;
        on a desktop only the page's main column, or its first ``width`` CSS pixels."""
        self.look()
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"{self.role}-{step}-{self.lang}.png"
        if top is None:
            self.page.screenshot(path=str(path))
        else:
            clip = self._clip(top, bottom, max_height, width)
            self.page.screenshot(path=str(path), clip=clip, full_page=True)
        return path

    def _clip(self, top, bottom, max_height, width) -> dict:
        if self.page.viewport_size["width"] > PHONE["width"]:
            column = _page_box(self.page.locator("main"))
            x, full = column["x"], column["width"]
        else:
            x, full = 0, self.page.viewport_size["width"]
        start = _page_box(top)
        end = _page_box(bottom if bottom is not None else top)
        y = max(0, start["y"] - 8)
        height = end["y"] + end["height"] + 8 - y
        return {
            "x": x,
            "y": y,
            "width": min(full, width or full),
            "height": min(height, max_height or height),
        }

    def sign_in(self, username: str) -> None:
        self.go("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_url(re.compile(r"^(?!.*/login)"))
        self.settle()

    def check_manual(self) -> None:
        """Every bold label of this role's manual page appeared on the pages walked."""
        manual = MANUAL / self.lang / f"{self.role}.md"
        labels = {_normalise(m) for m in BOLD.findall(manual.read_text(encoding="utf-8"))}
        seen = _normalise(" ".join(self.seen))
        missing = sorted(label for label in labels if label not in seen)
        assert not missing, (
            f"{manual.relative_to(ROOT)} names {missing}; the pages do not show them"
        )
        assert self.recorded.errors == [], self.recorded.errors
        assert self.recorded.foreign_requests() == [], self.recorded.foreign_requests()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def manual_users(e2e_app):
    """The four accounts, made through the account service as an administrator would."""
    with e2e_app.app_context():
        for username, role, area, name in USERS.values():
            if find_user(db.session, username) is None:
                create_user(
                    db.session,
                    username=username,
                    password=PASSWORD,
                    role=role,
                    area_code=area,
                    display_name=name,
                    created_by="manual",
                )
        db.session.commit()


@pytest.fixture
def walk(browser, live_server, backend, manual_users):
    """Start a role's walk: walk(role, lang, phone=...); its browser context closes after."""
    walks: list[Walk] = []

    def start(role: str, lang: str, *, phone: bool) -> Walk:
        walks.append(Walk(browser, live_server, backend, role, lang, phone))
        return walks[-1]

    yield start
    for w in walks:
        w.close()


def _page_box(locator) -> dict:
    """The element's box in page coordinates (not the viewport's)."""
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; }"
    )


def _confirm(app, facility_ids, hours_ago: float, by: str) -> None:
    """Confirm sites open as an official would have, ``hours_ago`` hours ago."""
    with app.app_context():
        for facility_id in facility_ids:
            facility = db.session.get(Facility, facility_id)
            update_facility(
                db.session,
                facility_id,
                {
                    "status": "open",
                    "status_confirmed_at": utcnow() - timedelta(hours=hours_ago),
                    "status_confirmed_by": by,
                },
                Actor(by, "web"),
                expected_version=facility.version,
            )
        db.session.commit()


# -- residents ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_resident(walk, e2e_app, lang):
    w = walk("resident", lang, phone=True)
    w.go("/")
    w.page.fill("#place", {"th": "แม่ริม", "en": "Mae Rim"}[lang])
    w.page.check("input[name=type][value=vaccination_site]")
    w.page.click("#search-form button[type=submit]")
    w.settle()
    links = w.page.locator("#results li a.name")
    assert links.count() == 10
    # Two of the nearest were confirmed open this morning: they show the green badge. Only
    # two, so that open-now answers elsewhere still fall back to unconfirmed sites.
    ids = [int(href.rsplit("/", 1)[1]) for href in links.evaluate_all("a => a.map(x => x.href)")]
    _confirm(e2e_app, ids[:2], 2, USERS["official"][0])
    w.page.reload(wait_until="networkidle")
    w.look()
    assert w.page.locator("#results li .badge.status-open").count() == 2
    notice = w.page.locator("#unconfirmed-notice")  # too few confirmed: call before you go
    assert notice.count() == 1
    w.shot(1, w.page.locator("header.top"), notice)
    w.page.click("#search-form details.filters summary")
    w.look()  # the filters the manual names
    w.page.click("#search-form details.filters summary")

    shown = w.page.locator("#results li")
    assert float(shown.first.locator(".distance").inner_text().split()[0]) < 2
    assert XSS_NAME not in " ".join(shown.all_inner_texts()[:3])
    w.shot(2, shown.first, shown.nth(2))

    links.first.click()
    w.settle()
    assert "/facility/" in w.page.url
    assert w.page.locator(".meta .badge.status-open").count() == 1
    w.shot(3, w.page.locator("#facility-name"), w.page.locator("table.fields"), max_height=900)

    report = w.page.locator("#report")
    assert report.locator("button[value=closed]").count() == 1
    w.page.fill("#report input[name=note]", {"th": "ปิดวันอาทิตย์", "en": "Closed on Sundays"}[lang])
    w.shot(4, report)

    # A name several places share: the page asks which one, with district and province.
    w.go("/")
    w.page.fill("#place", {"th": "ช้างเผือก", "en": "Chang Phueak"}[lang])
    w.page.click("#search-form button[type=submit]")
    w.settle()
    choices = w.page.locator("#place-choice a")
    assert choices.count() == 3
    w.shot(5, w.page.locator("#search-form .where"), w.page.locator("#place-choice"))
    choices.first.click()
    w.settle()
    assert w.page.locator("#results li").count() == 10
    w.check_manual()


# -- officials ---------------------------------------------------------------------------

# A provincial sheet as offices keep them: Thai headers, one row with latitude and longitude
# swapped, one row with a latitude typed wrong. The English walk uploads the same sheet with
# English headers and names.
SHEET = {
    "th": (
        ["ชื่อจุดบริการ", "ประเภท", "ละติจูด", "ลองจิจูด", "เบอร์โทร", "เตียงสีเขียว"],
        [
            ["จุดพักคอยวัดพระสิงห์", "จุดพักคอย", 18.7886, 98.9817, "053-000101", 30],
            ["จุดพักคอยเทศบาลนครเชียงใหม่", "จุดพักคอย", 18.7905, 98.9889, "053-000102", 40],
            ["จุดพักคอยชุมชนช้างคลาน", "จุดพักคอย", 98.9958, 18.7780, "053-000103", 25],
            ["จุดพักคอยตำบลสุเทพ", "จุดพักคอย", 1880.5, 98.9540, "053-000104", 20],
        ],
    ),
    "en": (
        ["name", "type", "lat", "lon", "phone", "green beds"],
        [
            ["Wat Phra Singh waiting centre", "waiting centre", 18.7876, 98.9807, "053-000201", 30],
            ["City hall waiting centre", "waiting centre", 18.7915, 98.9899, "053-000202", 40],
            ["Chang Khlan waiting centre", "waiting centre", 98.9968, 18.7770, "053-000203", 25],
            ["Suthep waiting centre", "waiting centre", 1880.5, 98.9550, "053-000204", 20],
        ],
    ),
}


def _sheet(tmp_path: Path, lang: str) -> Path:
    header, rows = SHEET[lang]
    book = Workbook()
    sheet = book.active
    sheet.append([{"th": "รายชื่อจุดพักคอย จังหวัดเชียงใหม่", "en": "Waiting centres"}[lang]])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / {"th": "จุดพักคอย-เชียงใหม่.xlsx", "en": "waiting-centres.xlsx"}[lang]
    book.save(path)
    return path


def _reported_site(app, lang: str) -> tuple[int, int, int]:
    """A waiting centre in Chiang Mai; residents report it full, and on the wrong spot."""
    name = {"th": "จุดพักคอยวัดสวนดอก", "en": "Wat Suan Dok waiting centre"}[lang]
    note = {"th": "เตียงเต็มตั้งแต่เช้า", "en": "No beds since this morning"}[lang]
    with app.app_context():
        facility = create_facility(
            db.session,
            {
                "type": "waiting_centre",
                "name_th": name,
                "lon": 98.9680,
                "lat": 18.7880,
                "beds_green_total": 40,
                "beds_green_available": 6,
            },
            Actor("manual", "cli"),
        ).facility
        full = submit_report(
            db.session, facility.id, "full", note, client=f"manual-{lang}", per_hour=5
        )
        moved = submit_report(
            db.session, facility.id, "wrong_location", None, client=f"manual-{lang}", per_hour=5
        )
        db.session.commit()
        return facility.id, full.id, moved.id


@pytest.mark.parametrize("lang", LANGS)
def test_official(walk, e2e_app, tmp_path, lang):
    w = walk("official", lang, phone=False)
    username = USERS["official"][0]
    w.go("/login")  # a mistyped password first: the manual says what the message means
    w.page.fill("input[name=username]", username)
    w.page.fill("input[name=password]", "not the password")
    w.page.click("#login-form button[type=submit]")
    w.settle()
    assert w.page.locator("#login-error").count() == 1
    w.sign_in(username)
    assert "/official/" in w.page.url

    # Keep sites current: the least recently confirmed first, one tap to confirm.
    w.page.select_option("#area-filters select[name=type]", "hospital")
    w.page.check("#area-filters input[name=stale]")
    w.page.click("#area-filters button[type=submit]")
    w.settle()
    rows = w.page.locator("#area-list li.site")
    first = rows.first
    site_id = int(first.get_attribute("id").split("-")[1])
    assert "stale" in first.get_attribute("class")
    first.locator("button[data-action=open]").click()
    w.settle()
    with e2e_app.app_context():
        assert db.session.get(Facility, site_id).status_confirmed_by == username
    assert w.page.locator(".flashes").count() == 1
    w.shot(1, w.page.locator(".flashes"), rows.first)

    # The edit form; a colleague saves first, and the form says so and keeps my edit.
    w.go(f"/official/facility/{site_id}/edit")  # the name in the list links here
    phone = {"th": "053-111222", "en": "053-111333"}[lang]
    w.page.fill("#field-phone", phone)
    with e2e_app.app_context():
        facility = db.session.get(Facility, site_id)
        update_facility(
            db.session,
            site_id,
            {"opening_hours": "08:00-16:00"},
            Actor("colleague", "web"),
            expected_version=facility.version,
        )
        db.session.commit()
    w.page.click("#save")
    w.settle()
    assert w.page.locator("#conflict").count() == 1
    assert w.page.input_value("#field-phone") == phone
    w.page.click("#save")
    w.settle()
    with e2e_app.app_context():
        saved = db.session.get(Facility, site_id)
        assert (saved.phone, saved.opening_hours) == (phone, "08:00-16:00")
    w.page.click("#history-link")
    w.settle()
    assert w.page.locator("#history tr.change button.revert").count() >= 2

    # Import a sheet: preview, read the problems, commit the valid rows.
    w.page.click("header nav a[href$='/official/import/']")
    w.settle()
    sheet = _sheet(tmp_path, lang)
    w.page.set_input_files("#import-form input[name=file]", str(sheet))
    w.page.fill("#import-form input[name=source]", f"chiang_mai_sheet_{lang}")
    w.page.click("#import-form button[type=submit]")
    w.settle()
    counts = {
        item.get_attribute("data-action"): int(item.locator("strong").inner_text())
        for item in w.page.locator("#import-counts li").all()
    }
    assert counts.get("created") == 3 and counts.get("rejected") == 1, counts
    problems = w.page.locator("#import-problems")
    assert "1880.5" in problems.inner_text()
    outside = "อยู่นอกประเทศไทย" if lang == "th" else "lies outside Thailand"
    assert outside in problems.inner_text()  # the problem reads in the page's language
    # The preview's heading names the file, just above its counts (the page may also list
    # earlier imports under a heading of their own).
    preview = w.page.locator("main h2:has(+ #import-counts)")
    assert preview.inner_text() == sheet.name
    w.shot(2, preview, problems, max_height=520)
    w.page.check("#commit-form input[name=valid_rows_only]")
    w.page.click("#commit-form button[type=submit]")
    w.settle()
    assert w.page.locator("#import-done").count() == 1

    # Handle a resident's report: accept it, and the site is full.
    facility_id, full_id, moved_id = _reported_site(e2e_app, lang)
    w.page.click("header nav a[href$='/official/reports']")
    w.settle()
    full, moved = w.page.locator(f"#report-{full_id}"), w.page.locator(f"#report-{moved_id}")
    assert full.locator("button.accept").count() == 1
    assert moved.locator(f"a[href$='report={moved_id}']").count() == 1  # correct the location
    w.shot(3, full, moved)
    full.locator("button.accept").click()
    w.settle()
    w.page.locator(f"#report-{moved_id} button.dismiss").click()
    w.settle()
    with e2e_app.app_context():
        assert db.session.get(Facility, facility_id).status == "full"
        assert db.session.get(ResidentReport, full_id).status != "open"
        assert db.session.get(ResidentReport, moved_id).status != "open"
    w.check_manual()


# -- data volunteers ----------------------------------------------------------------------

# One village of Suthep, Mueang Chiang Mai, per language (one entry per village and date):
# people living there and still unvaccinated, by group, as counted on paper.
VILLAGE = {"th": ("11", "บ้านดอยปุย"), "en": ("5", "Ban Khun Chang Khian")}
COUNTS = {
    "general": (120, 14),
    "elderly": (45, 6),
    # No unvaccinated bedridden: tests/e2e/test_stats.py counts on its own few being alone.
    "bedridden": (3, 0),
    "migrant": (30, 12),
    "children_5_11": (18, 9),
    "students_12_18": (22, 5),
}


@pytest.mark.parametrize("lang", LANGS)
def test_volunteer(walk, e2e_app, lang):
    w = walk("volunteer", lang, phone=True)
    w.sign_in(USERS["volunteer"][0])
    assert w.page.url.endswith("/survey")  # a volunteer lands on their survey entries
    w.settle()
    w.page.click("#new-entry")
    w.settle()
    form = w.page.locator("#survey-form")
    w.page.select_option("#f-area_code", "TH500108")  # Suthep
    moo, village = VILLAGE[lang]
    w.page.fill("#f-village_no", moo)
    w.page.fill("#f-village_name", village)
    assert w.page.input_value("#f-survey_date")  # today, already filled in
    groups = [
        name.removeprefix("residents_")
        for name in form.locator("input[data-count^='residents_']").evaluate_all(
            "inputs => inputs.map(i => i.name)"
        )
    ]
    assert set(groups) == set(COUNTS), groups
    for group, (living, unvaccinated) in COUNTS.items():
        w.page.fill(f"#f-residents_{group}", str(living))
        # A slip of the pen: more elderly unvaccinated than living there.
        w.page.fill(f"#f-unvaccinated_{group}", "60" if group == "elderly" else str(unvaccinated))
    w.page.fill("#f-referred_site", "20")
    w.page.fill("#f-referred_home_visit", "2")
    w.page.click("#survey-form details:has(#use-location) summary")
    w.look()  # the village centre: "use where I am now"
    w.shot(1, w.page.locator("main h1"), w.page.locator("#f-survey_date"))
    w.shot(2, w.page.locator("#counts-grid"), w.page.locator("#sums"))
    w.page.click("#save")
    w.settle()
    problems = w.page.locator("#form-problems")
    assert problems.locator("li[data-field=unvaccinated_elderly]").count() == 1
    w.shot(3, problems)

    w.page.fill("#f-unvaccinated_elderly", str(COUNTS["elderly"][1]))
    w.page.click("#save")
    w.settle()
    assert w.page.locator(".flashes").count() == 1
    entry = w.page.locator("#entries li.entry").first
    assert village in entry.inner_text()
    assert f"{sum(u for _, u in COUNTS.values())}" in entry.inner_text()  # 48 unvaccinated
    w.shot(4, w.page.locator(".flashes"), entry)

    # A correction of one's own entry: saved, and written down in its history.
    entry.locator("a[href$='/edit']").click()
    w.settle()
    w.page.fill("#f-referred_site", "21")
    w.page.click("#save")
    w.settle()
    assert w.page.locator("#history tr.change[data-field=referred_site]").count() == 1
    assert w.page.locator("#withdraw-form button").count() == 1
    w.check_manual()


# -- planners ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_planner(walk, lang):
    w = walk("planner", lang, phone=False)
    w.go("/")
    w.page.click("#nav-coverage")
    w.settle()
    for box in w.page.locator("#coverage-form input[name=type]").all():
        box.set_checked(box.get_attribute("value") == "vaccination_site")
    w.page.select_option("#level", "district")
    w.page.select_option("#province", "TH50")
    w.page.click("#coverage-form details.filters summary")
    w.look()  # the filters the manual names
    w.page.fill("#threshold_km", "500")  # too far: the browser refuses it, as the manual says
    assert w.page.eval_on_selector("#threshold_km", "e => [e.validity.valid, e.max]") == [
        False,
        "200",
    ]
    w.page.fill("#threshold_km", "10")
    w.page.click("#coverage-form button[type=submit]")
    w.settle()
    assert w.page.locator("#coverage-map path.coverage-area").count() == 25
    assert w.page.locator("#suggestions li.suggestion").count() == 5
    uncovered = int(w.page.inner_text("#total-uncovered").replace(",", ""))
    assert uncovered > 0
    w.shot(1, w.page.locator("main h1"), w.page.locator(".planner-layout"))

    rows = w.page.locator("#coverage-table tbody tr")
    assert rows.count() == 25
    w.shot(2, w.page.locator("#downloads"), rows.nth(3))
    with w.page.expect_download() as info:
        w.page.click("#download-csv")
    assert info.value.suggested_filename.endswith(".csv")
    w.check_manual()


# -- provincial administrators ------------------------------------------------------------

# Survey entries of Mueang Chiang Mai over three weeks, as volunteers would have made them, so
# the statistics page has progress, groups and a trend to show.
SURVEYED = [
    # subdistrict, village no., village name, days ago, residents and unvaccinated by group
    (
        "TH500101",
        "2",
        "บ้านศรีภูมิ",
        20,
        {"general": (210, 31), "elderly": (64, 9), "bedridden": (2, 0)},
    ),
    (
        "TH500102",
        "1",
        "บ้านพระสิงห์",
        13,
        {"general": (180, 22), "elderly": (51, 4), "migrant": (40, 17)},
    ),
    ("TH500105", "3", "บ้านช้างคลาน", 6, {"general": (260, 40), "children_5_11": (35, 19)}),
    ("TH500109", "7", "บ้านแม่เหียะ", 1, {"general": (150, 12), "students_12_18": (28, 6)}),
]


@pytest.fixture(scope="module")
def survey_entries(e2e_app, manual_users):
    from registry.survey.rules import bangkok_today
    from registry.survey.service import Surveyor, create_record

    volunteer = USERS["volunteer"]
    by = Surveyor(volunteer[0], "web", volunteer[1], volunteer[2])
    with e2e_app.app_context():
        for area, moo, village, days_ago, counts in SURVEYED:
            values = {
                "area_code": area,
                "village_no": moo,
                "village_name": village,
                "survey_date": (bangkok_today() - timedelta(days=days_ago)).isoformat(),
            }
            for group, (living, unvaccinated) in counts.items():
                values[f"residents_{group}"] = living
                values[f"unvaccinated_{group}"] = unvaccinated
            create_record(db.session, values, by)
        db.session.commit()


@pytest.mark.parametrize("lang", LANGS)
def test_admin(walk, e2e_app, survey_entries, lang):
    w = walk("admin", lang, phone=False)
    w.sign_in(USERS["admin"][0])
    w.page.click("header nav a[href$='/admin/users']")
    w.settle()
    username = f"suthep-volunteer-{lang}"
    form = w.page.locator("#add-user")

    def fill(name: str, area: str) -> None:
        form.locator("input[name=username]").fill(name)
        form.locator("input[name=display_name]").fill(
            {"th": "อาสาสมัคร ตำบลสุเทพ", "en": "Suthep volunteer"}[lang]
        )
        form.locator("select[name=role]").select_option("volunteer")
        form.locator("input[name=area_code]").fill(area)
        form.locator("input[name=password]").fill("a long password 1")

    fill(username, "TH500108")
    w.shot(1, w.page.locator("main h2"), form, width=520)
    form.locator("button[type=submit]").click()
    w.settle()
    assert username in w.page.inner_text(".flashes")
    row = w.page.locator("#users tr", has_text=username)
    assert row.locator("button.danger").count() == 1  # Disable
    w.shot(2, w.page.locator(".flashes"), w.page.locator("#users"), max_height=420)
    assert row.locator(".badge-active").count() == 1  # the status column
    row.locator("button.danger").click()  # Disable: the page asks first, and names the account
    w.settle()
    confirm = w.page.locator("#confirm-disable")
    assert username in confirm.inner_text()
    assert row.locator(".badge-active").count() == 1  # nothing changed before the answer
    confirm.locator("#confirm-disable-button").click()
    w.settle()
    row = w.page.locator("#users tr", has_text=username)
    assert row.locator(".badge-disabled").count() == 1
    assert row.locator("button.danger").count() == 0  # Enable
    row.locator("button").click()  # enable again
    w.settle()
    row = w.page.locator("#users tr", has_text=username)
    assert row.locator(".badge-active").count() == 1
    assert row.locator("button.danger").count() == 1

    fill(f"{username}-2", "TH50")  # a province: too wide for a volunteer, and the page says so
    form.locator("button[type=submit]").click()
    w.settle()
    assert "TH50" in w.page.inner_text("main .error")

    # The province's statistics: exact counts for the administrator, then the public view.
    w.page.click("#nav-stats")
    w.page.locator("main a[href^='/stats/TH50']:visible").first.click()  # Chiang Mai
    w.settle()
    assert "/stats/TH50" in w.page.url
    assert "exact" in w.page.get_attribute("#view-note", "class")
    reported = w.page.inner_text("#figure-surveyed")
    assert reported.split("/")[0].strip() != "0", reported
    w.shot(3, w.page.locator("main h1"), w.page.locator(".headline"))
    summary = w.page.locator("#survey-summary")
    bedridden = w.page.locator("#table-survey_groups tr[data-code=bedridden] td").first
    exact = int(bedridden.inner_text().replace(",", ""))  # at least the 2 entered above
    assert exact >= 2
    w.shot(4, w.page.locator("#survey h2"), w.page.locator("#table-survey_groups"))
    with w.page.expect_download() as info:
        w.page.click("#download-survey_groups-csv")
    assert info.value.suggested_filename.endswith(".csv")
    w.page.click("#view-note a")  # the public view: small counts hidden
    w.settle()
    assert "exact" not in w.page.get_attribute("#view-note", "class")
    shown = w.page.locator("#table-survey_groups tr[data-code=bedridden] td").first.inner_text()
    if exact < 5:
        assert shown.strip() == "<5"
    else:
        assert int(shown) % 5 == 0 and abs(int(shown) - exact) <= 2, (shown, exact)
    assert summary.count() == 1
    w.check_manual()


# -- the manual itself ---------------------------------------------------------------------

IMAGE = re.compile(r"!\[[^\]]*\]\(\.\./img/([^)\s]+)")
MAX_IMAGES_BYTES = 3_000_000


def test_printed_pages_are_current():
    build = _load_build()
    stale = [
        str(path.relative_to(ROOT))
        for path, text in build.pages().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, (
        f"{stale} differ from their Markdown: run .venv/bin/python docs/manual/build.py"
    )


def test_every_screenshot_is_shown_and_exists():
    """Each page shows its own role's screenshots in its language; each image is shown."""
    build = _load_build()
    shown = set()
    for lang in build.LANGS:
        for role in build.ROLES:
            names = IMAGE.findall((MANUAL / lang / f"{role}.md").read_text(encoding="utf-8"))
            own = re.compile(rf"{role}-\d+-{lang}\.png")
            assert all(own.fullmatch(name) for name in names), (lang, role, names)
            shown.update(names)
    present = {path.name for path in (MANUAL / "img").glob("*.png")}
    assert shown - present == set(), f"pages show missing images: {sorted(shown - present)}"
    assert present - shown == set(), f"images no page shows: {sorted(present - shown)}"
    size = sum((MANUAL / "img" / name).stat().st_size for name in present)
    assert size < MAX_IMAGES_BYTES, f"the screenshots weigh {size:,} bytes"


@pytest.mark.parametrize("lang", LANGS)
def test_each_role_prints_on_one_a4_sheet(browser, tmp_path, lang):
    build = _load_build()
    base = f'<head>\n<base href="{(MANUAL / "print").as_uri()}/">'
    page = browser.new_page()
    try:
        for role in build.ROLES:
            markdown = (MANUAL / lang / f"{role}.md").read_text(encoding="utf-8")
            printed = tmp_path / f"{role}-{lang}.html"
            printed.write_text(
                build.render_page(markdown, lang).replace("<head>", base, 1), encoding="utf-8"
            )
            page.goto(printed.as_uri(), wait_until="networkidle")
            broken = page.eval_on_selector_all(
                "img", "imgs => imgs.filter(i => !i.naturalWidth).map(i => i.src)"
            )
            assert broken == [], f"{lang}/{role}.md: these images did not load: {broken}"
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            sheets = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
            assert sheets == 1, f"{lang}/{role}.md prints on {sheets} A4 pages, not 1"
    finally:
        page.close()
