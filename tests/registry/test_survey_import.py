"""Survey sheets from paper: Thai headers, Thai digits, BE dates, TIS-620, Excel with title rows;
all or nothing with a report naming row, column, value and rule; pages and the CLI."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from registry.models import PopulationLayer, SurveyChange, SurveyRecord
from registry.survey import records as survey_records
from registry.survey import service as survey
from registry.survey.service import Surveyor
from registry.survey.sheet_columns import template_headers
from registry.survey.sheets import (
    SurveyImportRejectedError,
    commit_survey_upload,
    preview_survey_upload,
)
from tests.registry.conftest import sign_in

HEADER = (
    "รหัสตำบล,จังหวัด,อำเภอ,ตำบล,หมู่ที่,ชื่อหมู่บ้าน,วันที่สำรวจ,"
    "ประชาชนทั่วไป อยู่จริง,ประชาชนทั่วไป ยังไม่ได้รับวัคซีน,"
    "ผู้สูงอายุ (60 ปีขึ้นไป) อยู่จริง,ผู้สูงอายุ (60 ปีขึ้นไป) ยังไม่ได้รับวัคซีน,"
    "ผู้ป่วยติดเตียง อยู่จริง,ผู้ป่วยติดเตียง ยังไม่ได้รับวัคซีน,ส่งต่อเยี่ยมบ้าน"
)
GOOD_ROWS = [
    # By code, Thai digits, a Buddhist-era date.
    "TH500101,,,,๑,บ้านหนึ่ง,๑๕/๑๑/๒๕๖๔,๑๐๐,๑๐,๒๐,๕,๒,๒,๑",
    # By names with the prefixes people write, "อ.เมือง" for the capital district.
    ",จ.เชียงใหม่,อ.เมือง,ต.สุเทพ,2,,16/11/64,80,8,10,1,1,0,0",
    # A whole subdistrict of another district, by its DOPA code.
    "500501,,,,,,2021-11-17,500,50,90,9,4,3,3",
]
ADMIN = Surveyor("provincial office", "web", "official", "TH50")


def csv_file(*rows: str, header: str = HEADER, title: bool = True) -> bytes:
    lines = (["แบบสำรวจผู้ยังไม่ได้รับวัคซีน อำเภอเมืองเชียงใหม่"] if title else []) + [header, *rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def records(session) -> int:
    return session.scalar(select(func.count()).select_from(SurveyRecord))


def test_a_good_csv_is_previewed_then_committed(session):
    data = csv_file(*GOOD_ROWS)
    preview = preview_survey_upload(session, data, "survey.csv", ADMIN)
    assert preview.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert [p for p in preview.problems if p["severity"] == "error"] == []
    assert records(session) == 0  # a preview writes nothing
    outcome = commit_survey_upload(session, data, "survey.csv", ADMIN)
    session.commit()
    assert outcome.committed and records(session) == 3
    by_area = {r.area_code: r for r in survey_records.latest_records(session)}
    assert set(by_area) == {"TH500101", "TH500108", "TH500501"}
    assert by_area["TH500101"].residents_general == 100
    assert by_area["TH500101"].survey_date.isoformat() == "2021-11-15"
    assert by_area["TH500108"].village_no == 2
    assert by_area["TH500501"].village_no is None
    record = by_area["TH500101"]
    assert (record.source, record.entered_by) == ("import", "provincial office")
    assert record.source_ref == f"file:{outcome.file_sha256[:16]}"
    # The layer was brought up to date once, for the three subdistricts.
    layer = session.scalar(select(PopulationLayer))
    assert layer.total_population == (10 + 5) + (8 + 1) + (50 + 9)
    # The same file again changes nothing.
    again = commit_survey_upload(session, data, "survey.csv", ADMIN)
    assert again.counts["unchanged"] == 3 and records(session) == 3


def test_excel_with_a_merged_title_and_tis620_csv(session):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["แบบสำรวจ ต.ศรีภูมิ"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["รหัสตำบล", "หมู่ที่", "วันที่สำรวจ", "ประชาชนทั่วไป อยู่จริง", "ประชาชนทั่วไป ยังไม่ได้รับวัคซีน"])
    sheet.append(["TH500101", 4, "15/11/2564", 40, 4])
    out = io.BytesIO()
    workbook.save(out)
    outcome = commit_survey_upload(session, out.getvalue(), "sheet.xlsx", ADMIN)
    assert outcome.counts["created"] == 1
    assert any("read as 0" in p["message"] for p in outcome.problems)  # missing columns noted
    thai = "รหัสตำบล,หมู่ที่,วันที่สำรวจ,ประชาชนทั่วไป อยู่จริง\nTH500101,5,15/11/2564,30\n"
    outcome = commit_survey_upload(session, thai.encode("cp874"), "tis620.csv", ADMIN)
    assert outcome.counts["created"] == 1
    assert {r.village_no for r in survey_records.latest_records(session)} == {4, 5}


def test_a_bad_file_writes_nothing_and_names_row_column_value_rule(session):
    rows = [
        GOOD_ROWS[0],
        "TH500101,,,,3,,15/11/2564,100,101,0,0,0,0,0",  # unvaccinated above residents
        ",เชียงใหม่,เมืองเชียงใหม่,ต.ไม่มีจริง,1,,15/11/2564,10,1,0,0,0,0,0",  # unknown name
        "TH100101,,,,1,,15/11/2564,10,1,0,0,0,0,0",  # Bangkok: outside the office's area
        "TH500101,,,,๑,,15/11/2564,1,1,0,0,0,0,0",  # the first row's village and date again
        "TH500101,,,,6,,15/11/2600,10,1,0,0,0,0,0",  # a future date
    ]
    with pytest.raises(SurveyImportRejectedError) as caught:
        commit_survey_upload(session, csv_file(*rows), "bad.csv", ADMIN)
    session.rollback()
    assert records(session) == 0
    assert session.scalar(select(func.count()).select_from(SurveyChange)) == 0
    assert session.scalar(select(func.count()).select_from(PopulationLayer)) == 0
    outcome = caught.value.outcome
    messages = [p["message"] for p in outcome.errors]
    header_unvaccinated = "ประชาชนทั่วไป ยังไม่ได้รับวัคซีน"
    assert (
        f"row 4, column '{header_unvaccinated}': '101' is more than the 100 residents counted "
        "in the group “General public”" in messages[0]
    )
    assert "row 5, column 'ตำบล': 'ต.ไม่มีจริง' is not a subdistrict of เมืองเชียงใหม่" in messages[1]
    assert "row 6, column 'รหัสตำบล': 'TH100101' is outside your area" in messages[2]
    assert "row 7, column 'วันที่สำรวจ': '15/11/2564' repeats row 3" in messages[3]
    assert "row 8, column 'วันที่สำรวจ': '15/11/2600' is after today" in messages[4]
    assert outcome.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 5}
    assert "nothing was imported: 5 errors in 5 rows (4, 5, 6, 7, 8)" in caught.value.message


def test_personal_data_columns_are_never_read(session):
    header = "รหัสตำบล,ชื่อ-สกุล,เลขบัตรประชาชน,วันที่สำรวจ,ประชาชนทั่วไป อยู่จริง"
    data = csv_file("TH500101,นายสมชาย ใจดี,1500100000001,15/11/2564,5", header=header)
    outcome = commit_survey_upload(session, data, "people.csv", ADMIN)
    warned = {p["column"] for p in outcome.problems if "personal data" in p["message"]}
    assert warned == {"ชื่อ-สกุล", "เลขบัตรประชาชน"}
    history = survey.record_history(session, outcome.rows[0]["record_id"])
    assert "สมชาย" not in str(history[0].new_value) and "1500100000001" not in str(
        history[0].new_value
    )


def test_a_file_without_the_needed_columns_is_refused_whole(session):
    data = csv_file("บ้านหนึ่ง,5", header="ชื่อหมู่บ้าน,ประชาชนทั่วไป อยู่จริง")
    with pytest.raises(SurveyImportRejectedError) as caught:
        commit_survey_upload(session, data, "x.csv", ADMIN)
    rules = " ".join(p["message"] for p in caught.value.outcome.errors)
    assert "no subdistrict column" in rules and "no survey date column" in rules


def test_a_changed_row_corrects_the_record_if_allowed(session):
    commit_survey_upload(session, csv_file(GOOD_ROWS[0]), "a.csv", ADMIN)
    session.commit()
    changed = GOOD_ROWS[0].replace(",๑๐,๒๐,", ",๙,๒๐,")
    volunteer = Surveyor("vol", "web", "volunteer", "TH5001")
    with pytest.raises(SurveyImportRejectedError) as caught:
        commit_survey_upload(session, csv_file(changed), "b.csv", volunteer)
    assert "entered by provincial office" in caught.value.outcome.errors[0]["message"]
    session.rollback()
    outcome = commit_survey_upload(session, csv_file(changed), "b.csv", ADMIN)
    assert outcome.counts["updated"] == 1
    change = session.scalar(
        select(SurveyChange).where(SurveyChange.field == "unvaccinated_general")
    )
    assert (change.old_value, change.new_value, change.source) == (10, 9, "import")


def test_the_template_reads_back(session):
    headers = template_headers("th")
    row = ["TH500101", "", "", "", "7", "", "15/11/2564", "10", "1"] + [""] * (len(headers) - 9)
    data = ("\n".join([",".join(headers), ",".join(row)]) + "\n").encode()
    outcome = preview_survey_upload(session, data, "template.csv", ADMIN)
    assert outcome.counts["created"] == 1 and outcome.errors == []
    assert not [p for p in outcome.problems if "not a survey column" in p["message"]]
    english = template_headers("en")
    outcome = preview_survey_upload(
        session, (",".join(english) + "\n" + ",".join(row) + "\n").encode(), "en.csv", ADMIN
    )
    assert outcome.counts["created"] == 1, outcome.problems


def _preview_page(client, csrf: str, data: bytes, name: str = "survey.csv"):
    return client.post(
        "/survey/upload/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_pages_preview_then_commit(client, session, accounts):
    csrf = sign_in(client, accounts["official"])
    page = _preview_page(client, csrf, csv_file(*GOOD_ROWS))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="commit-form"' in html
    assert records(session) == 0
    token = html.split('name="token" value="')[1].split('"')[0]
    done = client.post("/survey/upload/commit", data={"csrf_token": csrf, "token": token})
    assert done.status_code == 200 and 'id="upload-done"' in done.get_data(as_text=True)
    assert records(session) == 3


def test_upload_page_shows_errors_in_thai_and_offers_no_commit(client, session, accounts):
    csrf = sign_in(client, accounts["volunteer"])
    bad = csv_file("TH500101,,,,3,,15/11/2564,100,101,0,0,0,0,0")
    page = client.post(
        "/survey/upload/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(bad), "bad.csv")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="commit-form"' not in html
    assert "แถว 3, คอลัมน์ “ประชาชนทั่วไป ยังไม่ได้รับวัคซีน”: “101” มากกว่าจำนวนผู้อยู่จริง" in html
    assert records(session) == 0


def test_template_downloads(client, accounts):
    sign_in(client, accounts["volunteer"])
    text = client.get("/survey/upload/template.csv").get_data(as_text=True)
    assert text.startswith("\ufeffรหัสตำบล,จังหวัด,อำเภอ,ตำบล,หมู่ที่")
    workbook = load_workbook(io.BytesIO(client.get("/survey/upload/template.xlsx").data))
    assert workbook.active["A1"].value == "รหัสตำบล"
    assert client.get("/survey/upload/template.pdf").status_code == 404


def test_cli_import_dry_run_then_for_real_and_layer(app, session, tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(csv_file(*GOOD_ROWS))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["survey", "import", str(path), "--by", "cli person", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run, nothing written" in result.output and "3 created" in result.output
    assert records(session) == 0
    result = runner.invoke(args=["survey", "import", str(path), "--by", "cli person"])
    assert result.exit_code == 0, result.output
    assert records(session) == 3
    result = runner.invoke(args=["survey", "layer"])
    assert result.exit_code == 0 and "survey-unvaccinated" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file("TH500101,,,,9,,15/11/2564,1,2,0,0,0,0,0"))
    result = runner.invoke(args=["survey", "import", str(bad), "--by", "cli person"])
    assert (
        result.exit_code == 1
        and "row 3" in result.output
        and "nothing was imported" in (result.output)
    )


def test_the_upload_page_keeps_to_the_configured_import_limits(app, client, session, accounts):
    app.config["IMPORT_LIMITS"] = {**app.config["IMPORT_LIMITS"], "rows": 2}
    page = _preview_page(client, sign_in(client, accounts["official"]), csv_file(*GOOD_ROWS))
    html = page.get_data(as_text=True)
    assert page.status_code == 413 and 'id="commit-form"' not in html
    assert "มีเกิน 2 แถว ซึ่งเป็นขีดจำกัดต่อการนำเข้าหนึ่งครั้ง" in html
    assert "registry survey import" in html
    assert records(session) == 0


def test_the_command_line_reads_survey_sheets_within_its_own_limits(app, session, tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(csv_file(*GOOD_ROWS))
    app.config["IMPORT_LIMITS"] = {**app.config["IMPORT_LIMITS"], "rows": 2}  # the web's
    runner = app.test_cli_runner()
    command = ["survey", "import", str(path), "--by", "cli person", "--dry-run"]
    done = runner.invoke(args=command)
    assert done.exit_code == 0 and "3 created" in done.output, done.output
    app.config["CLI_IMPORT_LIMITS"] = {**app.config["CLI_IMPORT_LIMITS"], "rows": 2}
    refused = runner.invoke(args=command)
    assert refused.exit_code != 0
    assert "has more than 2 rows, the limit per import" in refused.output
