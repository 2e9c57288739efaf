"""Every coded rule has Thai, and the registry's refusals read in Thai on Thai pages.

The importers and the registry's services say every problem as a coded
:class:`~importers.messages.Rule`; a page says it through its catalogue. Here: every rule the
packages declare has Thai with the same placeholders and no English sentence in it; and a sweep
of refusals met on pages (bad values on the official's edit form, writes outside one's area,
survey, account and import refusals, an import over a limit, the bulk write's area warnings,
the planner's travel time without roads, a bad address) finds each message in Thai, with no
English word left but codes, quoted values and what people typed.
"""

from __future__ import annotations

import html as markup
import importlib
import io
import pkgutil
import re
from collections.abc import Mapping

import pytest
from babel.messages.mofile import read_mo

import importers
import registry
from importers.messages import RULES, Rule
from registry import i18n
from registry.accounts.access import SCOPED, check_role_area
from registry.errors import ValidationError
from registry.models import Facility, SurveyRecord
from registry.survey import service as survey
from registry.survey.rules import bangkok_today, thai_date
from tests.registry.conftest import add_user, bearer, sign_in
from tests.registry.coverage_layout import LAYER, build_layout, fresh_caches  # noqa: F401
from tests.registry.helpers import BANGKOK, make_facility
from tests.registry.test_import_messages import ENGLISH, PLACEHOLDER, THAI_LETTER
from tests.registry.test_official_pages import _edit_form

# --------------------------------------------------------------------------- the catalogue


def _declared_rules() -> dict[str, str]:
    """Every rule the importers' and the registry's modules declare (alone or in a mapping)."""
    codes = {}
    for package in (importers, registry):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations." in module.name or module.name.endswith("__main__"):
                continue
            for value in vars(importlib.import_module(module.name)).values():
                found = value.values() if isinstance(value, Mapping) else [value]
                codes.update((r.code, r.template) for r in found if isinstance(r, Rule))
    return codes


def test_every_rule_has_thai_with_the_same_placeholders(tmp_path):
    target = i18n.compile_catalogues(tmp_path)
    with (target / "th/LC_MESSAGES/messages.mo").open("rb") as mo_file:
        thai = {m.id: m.string for m in read_mo(io.BytesIO(mo_file.read())) if m.id}
    codes = _declared_rules()
    assert len(codes) > 300
    # A rule made outside any module's namespace would escape this test.
    hidden = {c for c in RULES if c not in codes and not c.startswith(("test.", "example."))}
    assert not hidden, f"rules not declared at a module's top: {sorted(hidden)}"
    missing = sorted(code for code, template in codes.items() if not thai.get(template))
    assert not missing, f"message codes without Thai: {missing}"
    for code, template in codes.items():
        said = thai[template]
        assert set(PLACEHOLDER.findall(said)) == set(PLACEHOLDER.findall(template)), code
        found = ENGLISH.findall(re.sub(r"'[^']*'|`[^`]*`", "", PLACEHOLDER.sub("", said)))
        assert not found, f"{code}: English {found} in {said!r}"
        words = PLACEHOLDER.sub("", template).strip(" ,;:()'")
        assert THAI_LETTER.search(said) or not words, f"{code}: {said!r} is not Thai"


def test_roles_areas_and_their_combinations_read_in_thai(app):
    from registry.message_text import error_text

    with pytest.raises(ValidationError) as refused:
        check_role_area("official", None)
    assert refused.value.text.code == SCOPED.code
    assert refused.value.message == (
        "an official is scoped to a province or a district or a subdistrict; 'no area' is the "
        "whole country"
    )
    with app.test_request_context("/?lang=th"):
        assert error_text(refused.value) == (
            "เจ้าหน้าที่ต้องมีพื้นที่เป็นจังหวัดหรืออำเภอหรือตำบล แต่ 'ไม่มีพื้นที่' เป็นทั้งประเทศ"
        )


# --------------------------------------------------------------------------- the sweep

# Latin letters a Thai refusal may keep: codes and proper names as people use them.
ALLOWED = {"lat", "lon", "id", "hcode", "moph", "dopa", "csv", "xlsx", "json", "api", "url"}
ALLOWED |= {"nul", "th", "km", "m", "utf", "crs", "registry", "import", "epsg", "geojson"}
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.:/@'-]*")
# What pages show a refusal or a warning in.
SAID = re.compile(
    r'<(p|div|ul) [^>]*(?:role="alert"|role="status"|class="readonly-note")[^>]*>(.*?)</\1>'
    r'|<table class="history" id="import-(?:problems|rows)">(.*?)</table>',
    re.DOTALL,
)


def english_words(text: str, typed: tuple[str, ...] = ()) -> set[str]:
    """Latin-letter words left in ``text`` once quoted values, codes and what people typed are
    set aside."""
    for value in sorted(typed, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"'[^']*'|“[^”]*”|`[^`]*`", " ", text)
    words = set()
    for token in LATIN.findall(text):
        token = token.strip(".:'-/@")
        if not token or re.search(r"[\d_/@]|[A-Za-z]\.[A-Za-z]", token):
            continue  # a code: TH5001, threshold_km, all.xlsx
        words.update(w.lower() for w in re.findall(r"[A-Za-z]+", token))
    return words - ALLOWED


def said_on(page) -> str:
    """The text of every refusal, warning and flash message on a page."""
    html = page.get_data(as_text=True)
    parts = [m.group(2) or m.group(3) for m in SAID.finditer(html)]
    text = " ".join(re.sub(r"<[^>]+>", " ", part) for part in parts)
    return markup.unescape(re.sub(r"\s+", " ", text)).strip()


def test_the_checker_finds_english():
    assert english_words("ไม่ใช่ is not TH5001 'beds' threshold_km", ()) == {"is", "not"}
    assert english_words("บันทึกโดย somchai", ("somchai",)) == set()


def _sheet(csv: str, name: str = "s.csv") -> dict:
    return {"source": "sheet", "file": (csv.encode(), name)}


def _survey_form(**values) -> dict:
    base = {
        "area_code": "TH500101",
        "village_no": "๒",
        "village_name": "บ้านทดลอง",
        "survey_date": thai_date(bangkok_today()),
        "residents_general": "120",
        "unvaccinated_general": "15",
    }
    return base | values


class Walk:
    """One refusal to meet: who, what they send, the status and a piece of its Thai."""

    def __init__(self, account, method, path, status, thai, form=None, before=None):
        self.account, self.method, self.path = account, method, path
        self.status, self.thai, self.form, self.before = status, thai, form, before


def _edit(field: str, value: str, status: int, thai: str, account: str = "official") -> Walk:
    return Walk(account, "edit", "/official/facility/{site}/edit", status, thai, {field: value})


def _entered_by_volunteer(session, accounts) -> None:
    surveyor = survey.Surveyor.account(accounts["volunteer"])
    survey.create_record(session, _survey_form(), surveyor)


WALKS = {
    # bad values on the official's edit form, each field named by its Thai label
    "negative beds": _edit("beds_total", "-3", 400, "ไม่ใช่จำนวนเต็มตั้งแต่ 0 ขึ้นไป"),
    "beds in words": _edit("beds_total", "สิบ", 400, "ไม่ใช่จำนวนเต็ม"),
    "latitude out of range": _edit("lat", "95", 400, "ไม่ใช่ละติจูดระหว่าง -90 ถึง 90"),
    "empty Thai name": _edit("name_th", "", 400, "สถานบริการต้องมีชื่อภาษาไทย"),
    "a status that is no choice": _edit("status", "เปิดบ้าง", 400, "ไม่อยู่ในตัวเลือก"),
    "too long a phone": _edit("phone", "0" * 150, 400, "ตัวอักษร เกิน 100 ตัว"),
    # writes outside one's area
    "moved out of the area": Walk(
        "official", "edit", "/official/facility/{site}/edit", 403, "นอกพื้นที่ของคุณ", BANGKOK
    ),
    "status of another area's site": Walk(
        "bangkok_official",
        "post",
        "/official/facility/{site}/status",
        403,
        "กรุงเทพมหานคร",
        {"status": "full", "version": "1"},
    ),
    "edit of another area's site": _edit(
        "beds_total", "5", 403, "ซึ่งอยู่นอกพื้นที่ของคุณ", account="bangkok_official"
    ),
    "deactivation without a reason": Walk(
        "official",
        "post",
        "/official/facility/{site}/deactivate",
        400,
        "ระบุเหตุผลที่ยกเลิกสถานบริการ",
        {"reason": " ", "version": "1"},
    ),
    "a facility that is not there": Walk(None, "get", "/facility/999999", 404, "ไม่มีสถานบริการรหัส"),
    # survey refusals
    "survey outside the area": Walk(
        "volunteer",
        "post",
        "/survey/new",
        403,
        "อยู่นอกพื้นที่ของคุณ",
        _survey_form(area_code="TH100101", village_no="", village_name=""),
    ),
    "survey entered twice": Walk(
        "volunteer",
        "post",
        "/survey/new",
        409,
        "มีแบบสำรวจของวันที่",
        _survey_form(),
        before=_entered_by_volunteer,
    ),
    "survey by a planner": Walk(
        "planner", "post", "/survey/new", 403, "บันทึกหรือแก้ไขแบบสำรวจไม่ได้", _survey_form()
    ),
    # account refusals
    "a user name that is taken": Walk(
        "provincial_admin",
        "post",
        "/admin/users",
        400,
        "มีผู้ใช้แล้ว",
        {"username": "official", "password": "x" * 12, "role": "official", "area_code": "TH50"},
    ),
    "a short password": Walk(
        "provincial_admin",
        "post",
        "/admin/users",
        400,
        "รหัสผ่านต้องยาวอย่างน้อย 10",
        {"username": "newbie", "password": "short", "role": "official", "area_code": "TH50"},
    ),
    "a role of the wrong level": Walk(
        "provincial_admin",
        "post",
        "/admin/users",
        400,
        "ต้องมีพื้นที่เป็นอำเภอหรือตำบล",
        {"username": "newbie", "password": "x" * 12, "role": "volunteer", "area_code": "TH50"},
    ),
    "a more powerful role": Walk(
        "provincial_admin",
        "post",
        "/admin/users",
        403,
        "จัดการบัญชีผู้ดูแลระดับประเทศไม่ได้",
        {"username": "newbie", "password": "x" * 12, "role": "national_admin", "area_code": ""},
    ),
    "an account in another area": Walk(
        "provincial_admin",
        "post",
        "/admin/users",
        403,
        "อยู่นอกพื้นที่ของคุณ",
        {"username": "newbie", "password": "x" * 12, "role": "official", "area_code": "TH10"},
    ),
    "accounts by a volunteer": Walk("volunteer", "get", "/admin/users", 403, "จัดการบัญชีผู้ใช้ไม่ได้"),
    # imports: a row outside one's area, a refused commit, the bulk write's area warnings,
    # a file over the limit
    "an imported row outside the area": Walk(
        "official",
        "import",
        "/official/import/preview",
        200,
        "นอกพื้นที่ของคุณ",
        _sheet("type,name_th,lat,lon\nhospital,รพ.กรุงเทพ,13.7563,100.5018\n"),
    ),
    "area warnings of a bulk write": Walk(
        "national_admin",
        "import",
        "/official/import/preview",
        200,
        ("ลำพูน (TH51) ไม่ตรงกับ เชียงใหม่ (TH50) ซึ่งเป็นที่ตั้งตามพิกัด", "รับไว้แม้ไกลเกิน"),
        _sheet(
            "ประเภท,ชื่อ,ละติจูด,ลองจิจูด,จังหวัด\n"
            "โรงพยาบาล,รพ.ลำพูนแต่อยู่เชียงใหม่,18.7877,98.9934,ลำพูน\n"
            "โรงพยาบาล,รพ.เกาะพีพี,7.737985,98.767652,กระบี่\n"
        ),
    ),
    "an import over the limit": Walk(
        "official",
        "import",
        "/official/import/preview",
        413,
        "ซึ่งเป็นขีดจำกัด",
        _sheet("type,name_th,lat,lon\n" + "hospital,รพ.ห้า,18.7,98.98\n" * 5),
    ),
    # the planner's travel time with no road network loaded, a NUL in a form, statistics of
    # a subdistrict
    "travel time without roads": Walk(
        "planner",
        "get",
        f"/coverage?layer={LAYER}&profile=motorcycle&threshold_min=30",
        400,
        "ยังไม่ได้โหลดโครงข่ายถนน",
        before=lambda session, _accounts: build_layout(session),
    ),
    "a NUL character in a form": Walk(
        "official",
        "post",
        "/official/facility/{site}/status",
        400,
        "มีอักขระ NUL",
        {"status": "full\x00"},
    ),
    "statistics of a subdistrict": Walk(None, "get", "/stats/TH500101", 404, "เป็นตำบล"),
}


@pytest.mark.usefixtures("fresh_caches")
@pytest.mark.parametrize("name", list(WALKS))
def test_a_refusal_reads_in_thai_with_no_english_left(name, app, client, session, accounts):
    walk = WALKS[name]
    app.config["IMPORT_LIMITS"] = {**app.config["IMPORT_LIMITS"], "rows": 3}
    site = make_facility(session)
    if walk.before:
        walk.before(session, accounts)
    session.commit()
    csrf = sign_in(client, accounts[walk.account]) if walk.account else None
    path = walk.path.format(site=site.id) + ("&" if "?" in walk.path else "?") + "lang=th"
    if walk.method == "get":
        page = client.get(path)
    elif walk.method == "edit":
        page = client.post(path, data=_edit_form(site, csrf, **walk.form))
    elif walk.method == "import":
        data, file_name = walk.form["file"]
        form = {"csrf_token": csrf, **walk.form, "file": (io.BytesIO(data), file_name)}
        page = client.post(path, data=form, content_type="multipart/form-data")
    else:
        page = client.post(path, data={"csrf_token": csrf, **walk.form})
    assert page.status_code == walk.status, said_on(page)
    text = said_on(page)
    for thai in (walk.thai,) if isinstance(walk.thai, str) else walk.thai:
        assert thai in text, text
    typed = (*accounts, "รพ.", "newbie")
    assert not english_words(text, typed), f"English {english_words(text, typed)} in: {text}"


# --------------------------------------------------------------------------- whole pages


def _preview(client, csrf, text: str, lang: str):
    return client.post(
        f"/official/import/preview?lang={lang}",
        data={"csrf_token": csrf, "source": "sheet", "file": (io.BytesIO(text.encode()), "s.csv")},
        content_type="multipart/form-data",
    )


SHEET = (
    "ประเภท,ชื่อ,ละติจูด,ลองจิจูด,จังหวัด\n"
    "โรงพยาบาล,รพ.สลับพิกัด,98.99,18.79,เชียงใหม่\n"  # swapped
    "โรงพยาบาล,รพ.นอกประเทศ,1880.5,98.95,เชียงใหม่\n"  # not a latitude
    "โรงพยาบาล,รพ.สะกดผิด,18.80,98.98,เชียงใม่\n"  # misspelled province
    "โรงพยาบาล,รพ.กรุงเทพ,13.7563,100.5018,กรุงเทพมหานคร\n"  # outside the official's area
)


def test_thai_preview_shows_every_problem_and_row_in_thai(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    page = _preview(client, csrf, SHEET, "th")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for thai in ("น่าจะสลับกัน", "อยู่นอกประเทศไทย", "ซึ่งสะกดใกล้เคียงที่สุด", "นอกพื้นที่ของคุณ"):
        assert thai in html, thai
    for english in ("look swapped", "lies outside Thailand", "closest spelling", "outside your"):
        assert english not in html, english
    # The row refused for its area names the area in Thai, in the rows' table too.
    rows = re.search(r'<table class="history" id="import-rows">.*?</table>', html, re.S)
    assert rows and "กรุงเทพมหานคร" in rows.group(0) and "Bangkok" not in rows.group(0)
    # Counts and actions in Thai, file-level cells never "None".
    assert "ใหม่: <strong>2</strong>" in html and "ปฏิเสธ: <strong>2</strong>" in html
    assert "<td>None</td>" not in html

    english = _preview(client, csrf, SHEET, "en").get_data(as_text=True)
    assert "look swapped" in english and "outside your area (Chiang Mai (TH50))" in english


def test_a_refused_commit_of_rows_outside_the_area_says_so_in_thai(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    _preview(client, csrf, "type,name_th,lat,lon\nhospital,รพ.กรุงเทพ,13.7563,100.5018\n", "th")
    html = client.get("/official/import/?lang=th").get_data(as_text=True)
    assert "import-form" in html
    token = re.search(
        r'name="token" value="([^"]+)"',
        _preview(
            client, csrf, "type,name_th,lat,lon\nhospital,รพ.กรุงเทพ,13.7563,100.5018\n", "th"
        ).get_data(as_text=True),
    ).group(1)
    page = client.post("/official/import/commit?lang=th", data={"csrf_token": csrf, "token": token})
    assert page.status_code == 403  # refused for the area alone
    assert "นอกพื้นที่ของคุณ" in said_on(page)
    assert session.query(Facility).count() == 0


def test_a_file_that_cannot_be_read_stays_on_the_form_with_the_reason(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    page = _preview(client, csrf, "", "th")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "'s.csv': ไฟล์ว่าง" in markup.unescape(html)
    assert 'id="import-form"' in html  # the official can choose another file at once


def test_a_move_out_of_the_area_keeps_the_form_and_writes_nothing(client, session, accounts):
    site = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    moved = client.post(
        f"/official/facility/{site.id}/edit?lang=th",
        data=_edit_form(site, csrf, lat=str(BANGKOK["lat"]), lon=str(BANGKOK["lon"])),
    )
    html = moved.get_data(as_text=True)
    assert moved.status_code == 403
    assert "กรุงเทพมหานคร" in said_on(moved) and "Bangkok" not in said_on(moved)
    assert 'id="edit-form"' in html  # the official can put the pin back at once
    version = site.version
    session.expire_all()
    saved = session.get(Facility, site.id)
    assert (saved.version, saved.province_code) == (version, "TH50")  # nothing was written


def test_the_english_page_keeps_the_english_of_the_api(client, session, accounts):
    site = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["official"])
    url = f"/official/facility/{site.id}/edit?lang=en"
    english = client.post(url, data=_edit_form(site, csrf, beds_total="-3"))
    assert "is not a whole number of 0 or more" in said_on(english)
    api = client.patch(
        f"/api/v1/facilities/{site.id}",
        json={"beds_total": -3, "version": site.version},
        headers=bearer(session, accounts["official"]),
    ).get_json()
    assert api["message"] == "field 'beds_total': -3 is not a whole number of 0 or more"
    assert api["message_code"] == "facility.not_count"
    assert api["message_params"] == {"field": "beds_total", "value": "-3"}


def _back_link(html: str) -> str:
    return markup.unescape(re.search(r'<a href="([^"]*)" id="error-back">', html).group(1))


def test_an_error_on_a_page_keeps_the_layout_and_the_language(client, session):
    page = client.get("/facility/999999?lang=th", headers={"Referer": "https://elsewhere.example/"})
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert 'class="top"' in html and "<h1>ไม่พบ</h1>" in html  # the site's header, in Thai
    assert "ไม่มีสถานบริการรหัส 999999" in html
    assert _back_link(html) == "/"  # never back to another site

    ours = "http://registry.test/map"  # the test app's SERVER_NAME
    english = client.get("/facility/999999?lang=en", headers={"Referer": ours})
    html = english.get_data(as_text=True)
    assert "<h1>Not found</h1>" in html and "there is no facility with id 999999" in html
    assert _back_link(html) == ours
    # The API keeps answering JSON, with the code and parameters of the message.
    body = client.get("/api/v1/facilities/999999").get_json()
    assert body["error"] == "not_found" and body["message_code"] == "facility.none"


def test_unknown_addresses_and_expired_forms_answer_in_thai(client, session, accounts):
    missing = client.get("/no/such/page?lang=th")
    assert missing.status_code == 404 and "ไม่มีหน้านี้ในระบบ" in missing.get_data(as_text=True)
    sign_in(client, accounts["official"])
    expired = client.post("/official/import/preview?lang=th", data={"csrf_token": "old"})
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400
    assert "ส่งแบบฟอร์มไม่ได้" in html and "โหลดหน้าใหม่แล้วส่งอีกครั้ง" in html
    assert client.get("/api/v1/no-such-thing").get_json()["error"] == "not_found"


def test_pages_name_areas_choices_fields_and_sources_in_thai(client, session, accounts):
    site = make_facility(session, type="vaccination_site", doses=["booster"], walk_in=True)
    session.commit()
    sign_in(client, accounts["official"])
    area = client.get("/official/?lang=th").get_data(as_text=True)
    assert "เชียงใหม่ (TH50)" in area and "Chiang Mai" not in area
    edit = client.get(f"/official/facility/{site.id}/edit?lang=th").get_data(as_text=True)
    assert "> เข็มกระตุ้น</label>" in edit and "> booster</label>" not in edit
    public = client.get(f"/facility/{site.id}?lang=th").get_data(as_text=True)
    assert "เข็มกระตุ้น" in public and "<td>ใช่</td>" in public  # a list and a yes/no field
    assert "(สร้างใหม่)" in public and "(หน้าเว็บ)" in public  # history: field and source
    english = client.get(f"/facility/{site.id}?lang=en").get_data(as_text=True)
    assert "Booster" in english and "(web)" in english


def test_the_note_on_the_area_reads_in_the_pages_language(client, session):
    site = make_facility(session, province_code="TH51")  # stated Lamphun, lies in Chiang Mai
    session.commit()
    assert "stated province TH51 differs from TH50" in site.area_note  # stored in English
    thai = client.get(f"/facility/{site.id}?lang=th").get_data(as_text=True)
    assert "จังหวัดที่ระบุ ลำพูน (TH51) ไม่ตรงกับ เชียงใหม่ (TH50)" in thai
    assert "differs" not in thai
    english = client.get(f"/facility/{site.id}?lang=en").get_data(as_text=True)
    assert "stated province Lamphun (TH51) differs from Chiang Mai (TH50)" in english


def test_a_volunteer_reads_why_an_entry_cannot_be_changed_in_thai(client, session, accounts):
    other = add_user(session, "volunteer2", "volunteer", "TH5001")
    _entered_by_volunteer(session, accounts)
    session.commit()
    record_id = session.query(SurveyRecord).one().id
    csrf = sign_in(client, other)
    page = client.get(f"/survey/{record_id}/edit?lang=th")
    assert "อาสาสมัครแก้ไขได้เฉพาะรายการที่ตนบันทึก" in said_on(page)
    assert not english_words(said_on(page), ("volunteer", "volunteer2"))
    refused = client.post(
        f"/survey/{record_id}/edit?lang=th",
        data={"csrf_token": csrf, "version": "1", **_survey_form(residents_general="121")},
    )
    assert refused.status_code == 403
    assert "คุณแก้ไขรายการนี้ไม่ได้" in said_on(refused)
    assert not english_words(said_on(refused), ("volunteer", "volunteer2"))


def test_a_refusal_reads_in_thai(client, session, accounts):
    sign_in(client, accounts["volunteer"])
    refused = client.get("/official/import/?lang=th")
    assert refused.status_code == 403
    assert "บัญชีอาสาสมัครเก็บข้อมูลแก้ไขสถานบริการไม่ได้" in refused.get_data(as_text=True)
