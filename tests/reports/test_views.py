"""Report pages: who may preview, download and export; the data-quality lists; form errors."""

import csv
import html
import io
import json
import re
import zipfile

import pytest
from flask import url_for

from clinic_app.reports import quality
from tests.helpers import audit_events, form_state, text
from tests.reports.clinic_history import build_history

QUERY = "format_code=mer&period_code=FY2026Q1&clinics=BBR"
INDEX = "/reports/"
PREVIEW = f"/reports/preview?{QUERY}"
DOWNLOAD = f"/reports/download?{QUERY}&as=json"
LINELIST = "/reports/linelist"
QUALITY = "/reports/quality/positive_without_linkage?period_code=FY2026Q1"
LINELIST_FORM = {"period_code": "FY2026Q1", "output": "zip"}
EXACT = f"/reports/download-exact?{QUERY}"
EXACT_FORM = {"reason": "donor_entry", "note": "DATIM entry for Q1", "output": "json"}

# The records each data-quality check finds in the history (tests/reports/clinic_history.py).
FINDING_VISITS = {
    "positive_without_linkage": ("V10", "c6"),
    "reactive_unconfirmed": ("V15", "c11"),
    "result_not_given": ("V19", "c14"),
    "prep_followup_without_initiation": ("V9", "c5"),
    "cervical_incomplete": ("V13", "c9"),
    "pep_without_outcome": ("V19", "c14"),
}


@pytest.fixture
def history(kept_build, make, clinic, other_clinic):
    return kept_build(build_history, make, clinic, other_clinic)


@pytest.fixture
def browser_for(app, make, clinic, sign_in_as):
    """A signed-in browser for a new user of ``role`` at ``at`` (Beitbridge unless told)."""

    def open_as(role, at=None):
        user = make.user(role=role, clinic=at or clinic)
        return sign_in_as(user, on=app.test_client()), user

    return open_as


def plain(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def get(browser, url):
    return browser.get(url)


def post_linelist(browser):
    response = browser.post(LINELIST, data=LINELIST_FORM)
    response.get_data()  # read the spooled file, then let it go (as a browser's download does)
    response.close()
    return response


def zipped_rows(response) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert sorted(archive.namelist()) == ["about.csv", "codebook.csv", "linelist.csv"]
        return list(csv.DictReader(io.StringIO(archive.read("linelist.csv").decode())))


# --------------------------------------------------------------------------- who may do what
# The README's table: the line list and the exact export for M&E and data administrators only.
ACCESS = {
    #                 index preview download linelist(get) linelist(post) quality exact
    "me_officer": (200, 200, 200, 200, 200, 403, 200),
    "data_admin": (200, 200, 200, 200, 200, 200, 200),
    "admin": (200, 200, 200, 403, 403, 403, 403),
    "nurse": (200, 200, 403, 403, 403, 200, 403),
    "peer_educator": (403, 403, 403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("role", list(ACCESS))
def test_who_may_see_and_export_reports(history, browser_for, role):
    browser, _user = browser_for(role)
    answers = (
        get(browser, INDEX).status_code,
        get(browser, PREVIEW).status_code,
        get(browser, DOWNLOAD).status_code,
        get(browser, LINELIST).status_code,
        post_linelist(browser).status_code,
        get(browser, QUALITY).status_code,
        browser.post(EXACT, data=EXACT_FORM).status_code,
    )
    assert answers == ACCESS[role]


@pytest.mark.parametrize("role", ["me_officer", "data_admin", "admin"])
def test_exporters_download_the_report_with_small_numbers_hidden(history, browser_for, role):
    browser, user = browser_for(role)
    response = get(browser, DOWNLOAD)
    assert response.headers["Content-Disposition"] == 'attachment; filename="mer-BBR-FY2026Q1.json"'
    report = json.loads(response.get_data())
    totals = {t["indicator"]: t["total"] for g in report["groups"] for t in g["tables"]}
    assert (totals["PrEP_NEW"], totals["PrEP_CT"], totals["GEND_GBV"]) == ("<5", "<5", "<5")
    assert totals["HTS_TST"] in (12, "*")
    (event,) = audit_events("report.export")
    assert event.actor_id == user.id and "period=FY2026Q1" in event.detail and "output=json" in event.detail


@pytest.mark.parametrize("role", ["me_officer", "data_admin"])
def test_the_exact_export_is_a_separate_audited_choice_with_a_reason(history, browser_for, role):
    browser, user = browser_for(role)
    response = browser.post(EXACT, data=EXACT_FORM)
    assert response.headers["Content-Disposition"] == 'attachment; filename="mer-BBR-FY2026Q1-exact.json"'
    report = json.loads(response.get_data())
    totals = {t["indicator"]: t["total"] for g in report["groups"] for t in g["tables"]}
    assert (totals["HTS_TST"], totals["PrEP_NEW"], totals["PrEP_CT"], totals["GEND_GBV"]) == (12, 1, 3, 2)
    (event,) = audit_events("report.export_exact")
    assert event.actor_id == user.id
    assert "reason=donor_entry" in event.detail and "note=DATIM entry for Q1" in event.detail
    assert audit_events("report.export") == []


def test_the_exact_export_without_a_reason_is_refused_beside_the_field(history, browser_for):
    browser, _user = browser_for("me_officer")
    response = browser.post(EXACT, data={"output": "json"})
    assert response.status_code == 422
    assert form_state(response).errors["reason"]
    assert audit_events("report.export_exact") == []


@pytest.mark.parametrize("role", ["me_officer", "data_admin"])
def test_line_list_exporters_get_the_csv_zip_with_its_codebook(history, browser_for, role):
    browser, user = browser_for(role)
    response = post_linelist(browser)
    assert response.mimetype == "application/zip"
    rows = zipped_rows(response)
    assert rows and all(re.fullmatch(r"\d{4}-\d{2}", r["month"]) for r in rows)
    (event,) = audit_events("linelist.export")
    assert event.actor_id == user.id


def test_unsigned_visitors_are_sent_to_sign_in(history, client):
    for url in (INDEX, PREVIEW, DOWNLOAD, LINELIST, QUALITY):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_nurse_previews_without_download_links_and_with_links_to_fix_records(history, browser_for):
    browser, _user = browser_for("nurse")
    page = get(browser, PREVIEW)
    body = page.get_data(as_text=True)
    assert "/reports/download" not in body
    for code in FINDING_VISITS:
        assert f'href="/reports/quality/{code}?period_code=FY2026Q1&amp;clinics=BBR"' in body
    assert "/reports/quality/sex_or_age_missing" not in body  # nothing to fix, no link


def test_an_me_officer_sees_the_counts_but_no_links_to_records(history, browser_for):
    browser, _user = browser_for("me_officer")
    page = get(browser, PREVIEW)
    body = page.get_data(as_text=True)
    assert "/reports/quality/" not in body
    assert "/reports/download?" in body
    shown = plain(page)
    for code in FINDING_VISITS:
        assert f"{quality.CHECKS_BY_CODE[code].title}: 1" in shown


def test_the_preview_shows_no_client_identifiers(history, browser_for):
    browser, _user = browser_for("me_officer")
    body = text(get(browser, PREVIEW))
    for person in history.clients.values():
        for value in (person.client_number, person.uic, str(person.id), person.alias, person.phone):
            if value:
                assert value not in body


# --------------------------------------------------------------------------- the data-quality lists
@pytest.mark.parametrize("role", ["nurse", "data_admin"])
@pytest.mark.parametrize("code", list(FINDING_VISITS))
def test_the_quality_list_links_to_each_record_to_fix(app, history, browser_for, role, code):
    browser, _user = browser_for(role)
    response = get(browser, f"/reports/quality/{code}?period_code=FY2026Q1")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    visit_key, client_key = FINDING_VISITS[code]
    visit, person = history.visits[visit_key], history.clients[client_key]
    with app.test_request_context():
        edit = url_for("visits.edit", visit_id=visit.id)
        detail = url_for("clients.detail", client_id=person.id)
    assert f'href="{edit}"' in body
    assert f'href="{detail}"' in body
    assert person.client_number in body
    assert visit.service_date.isoformat() in body
    assert len(re.findall(r'href="/visits/[^"]+/edit"', body)) == 1


def test_the_quality_list_says_when_there_is_nothing_to_fix(history, browser_for):
    browser, _user = browser_for("nurse")
    response = get(browser, "/reports/quality/sex_or_age_missing?period_code=FY2026Q1")
    assert response.status_code == 200
    assert "Nothing to fix at this clinic." in text(response)


def test_the_quality_list_shows_only_the_staff_members_clinic(history, browser_for, other_clinic):
    browser, _user = browser_for("nurse", at=other_clinic)
    response = get(browser, QUALITY)
    assert response.status_code == 200
    assert "Nothing to fix at this clinic." in text(response)
    assert history.clients["c6"].client_number not in response.get_data(as_text=True)


def test_the_quality_list_says_which_other_clinic_of_the_report_holds_records_to_fix(
    history, browser_for, other_clinic
):
    """A report over every clinic: records at Beitbridge are counted there, never listed at another clinic."""
    browser, _user = browser_for("nurse", at=other_clinic)
    response = get(browser, QUALITY)  # no clinic ticked: all clinics
    shown = plain(response)
    assert "At other clinics of the report" in shown
    assert "Beitbridge: 1 record to fix" in shown
    assert f"At {other_clinic.name}" in shown
    assert history.clients["c6"].client_number not in response.get_data(as_text=True)
    # The report ticked only Beitbridge: the same.
    response = get(browser, QUALITY + "&clinics=BBR")
    assert "Beitbridge: 1 record to fix" in plain(response)


def test_the_quality_list_of_the_staff_members_clinic_keeps_its_links_when_others_are_in_scope(
    app, history, browser_for
):
    browser, _user = browser_for("nurse")
    response = get(browser, QUALITY + "&clinics=BBR&clinics=" + history.other_clinic.code)
    body = response.get_data(as_text=True)
    assert len(re.findall(r'href="/visits/[^"]+/edit"', body)) == 1
    assert "At other clinics of the report" not in plain(response)  # nothing to fix at the other one


@pytest.mark.parametrize(
    "url",
    [
        "/reports/quality/no_such_check?period_code=FY2026Q1",
        "/reports/quality/cervical_incomplete?period_code=FY2026Q9",
    ],
)
def test_the_quality_list_of_an_unknown_check_or_period_is_not_found(history, browser_for, url):
    browser, _user = browser_for("nurse")
    assert get(browser, url).status_code == 404


# --------------------------------------------------------------------------- form errors
def _field_blocks(body: str) -> list[str]:
    return re.findall(r'<div class="field[^"]*">.*?</div>', body, flags=re.S)


@pytest.mark.parametrize("period", ["FY2026Q5", "2026-13", "next quarter"])
def test_a_period_not_in_the_list_is_refused_beside_the_field(history, browser_for, period):
    browser, _user = browser_for("me_officer")
    response = get(browser, f"/reports/preview?format_code=mer&period_code={period}")
    assert response.status_code == 422
    body = html.unescape(response.get_data(as_text=True))
    (block,) = [b for b in _field_blocks(body) if 'name="period_code"' in b]
    assert "has-error" in block
    assert "Choose a period from the list." in block


def test_the_period_is_chosen_from_a_list_of_real_periods_of_the_report(history, browser_for):
    browser, _user = browser_for("me_officer")
    body = html.unescape(get(browser, "/reports/?format_code=mer").get_data(as_text=True))
    (block,) = [b for b in _field_blocks(body) if 'name="period_code"' in b]
    assert '<select id="period_code" name="period_code"' in block
    assert "<input" not in block  # no code to type
    assert 'label="PEPFAR fiscal quarters (Oct-Sep year)" data-kind="fiscal_quarter"' in block
    assert re.search(r'<option value="FY\d{4}Q\d" selected>', block)  # the last complete quarter
    assert "in progress" in block
    assert '"mer": ["fiscal_quarter", "fiscal_half", "fiscal_year"]' in block  # app.js narrows the list


def test_a_future_period_is_refused_beside_the_field(history, browser_for):
    browser, _user = browser_for("me_officer")
    response = get(browser, "/reports/preview?format_code=mer&period_code=FY2099Q1")
    assert response.status_code == 422
    body = html.unescape(response.get_data(as_text=True))
    (block,) = [b for b in _field_blocks(body) if 'name="period_code"' in b]
    assert "FY2099Q1 has not started yet: choose a period up to today." in block
    assert get(browser, "/reports/download?format_code=mer&period_code=FY2099Q1&as=json").status_code == 400
    assert audit_events("report.export") == []


def test_a_period_of_another_kind_than_the_report_is_refused_beside_the_field(history, browser_for):
    browser, _user = browser_for("me_officer")
    response = get(browser, "/reports/preview?format_code=mer&period_code=2025-12")
    assert response.status_code == 422
    body = html.unescape(response.get_data(as_text=True))
    (block,) = [b for b in _field_blocks(body) if 'name="period_code"' in b]
    assert "This report is made for: PEPFAR fiscal quarters (Oct-Sep year), PEPFAR fiscal halves" in block


def test_an_unknown_clinic_is_refused_with_422(history, browser_for):
    browser, _user = browser_for("me_officer")
    response = get(browser, "/reports/preview?format_code=mer&period_code=FY2026Q1&clinics=XXX")
    assert response.status_code == 422
    assert "Unknown clinic code: XXX" in text(response)


def test_a_bad_download_is_refused_and_not_audited(history, browser_for):
    browser, _user = browser_for("me_officer")
    assert get(browser, "/reports/download?format_code=mer&period_code=FY2026Q5&as=json").status_code == 400
    assert get(browser, f"/reports/download?{QUERY}&as=docx").status_code == 400
    assert audit_events("report.export") == []


def test_a_bad_line_list_period_is_refused_beside_the_field(history, browser_for):
    browser, _user = browser_for("me_officer")
    response = browser.post(LINELIST, data={**LINELIST_FORM, "period_code": "FY2026Q5"})
    assert response.status_code == 422
    body = html.unescape(response.get_data(as_text=True))
    (block,) = [b for b in _field_blocks(body) if 'name="period_code"' in b]
    assert "Choose a period from the list, up to today." in block
    assert audit_events("linelist.export") == []
