"""An M&E officer exports a report in the browser (Chromium's download folder set through CDP), and the
downloaded files hold the report as it may leave the clinic: named by report, clinics and period."""

import io
import json
import time
from pathlib import Path

from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from clinic_app.core.actor import system_actor
from clinic_app.reports import services
from tests.browser.conftest import VIEWPORTS
from tests.reports.test_outputs import _pdf_lines, _sheet_grid, table_sheet


def _downloaded(folder: Path, name: str, timeout: float = 30) -> Path:
    target, waited = folder / name, 0.0
    while not (target.exists() and not list(folder.glob("*.crdownload"))):
        assert waited < timeout, f"{name} not downloaded; the folder holds {sorted(p.name for p in folder.iterdir())}"
        time.sleep(0.2)
        waited += 0.2
    return target


def test_an_me_officer_exports_the_mer_report_and_the_files_hold_it(browser, site, tmp_path):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["desktop"])
    site.set_language("me.officer", "en")
    browser.sign_in("me.officer")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.open("/reports/")
    Select(driver.find_element(By.NAME, "format_code")).select_by_value("mer")
    period = Select(driver.find_element(By.NAME, "period_code")).first_selected_option.get_attribute("value")
    assert period.startswith("FY")  # app.js offered the MER's fiscal periods, the last complete one chosen
    driver.find_element(By.CSS_SELECTOR, "main form[action$='/reports/preview'] button[type=submit]").click()
    browser.wait_for("a.btn[href*='as=xlsx']").click()
    workbook = _downloaded(tmp_path, f"mer-all-clinics-{period}.xlsx")
    driver.find_element(By.CSS_SELECTOR, "a.btn[href*='as=pdf']").click()
    pdf = _downloaded(tmp_path, f"mer-all-clinics-{period}.pdf")

    with site.app.test_request_context():
        request = services.ReportRequest(format_code="mer", period_code=period, clinic_codes=[])
        data, _name = services.export(actor=system_actor(), request=request, output="json", threshold=5)
    report = json.loads(data)
    book = load_workbook(io.BytesIO(workbook.read_bytes()))
    for group in report["groups"]:
        for index, table in enumerate(group["tables"]):
            grid, _header = _sheet_grid(table_sheet(book, group, index), table)
            assert grid == table["values"], table["title"]  # small numbers hidden as in the published JSON
    about = {row[0].value: row[1].value for row in book["About"].iter_rows(max_col=2) if row[0].value}
    assert (about["Period"], about["Clinics"]) == (period, "All clinics")
    lines = _pdf_lines(pdf.read_bytes())
    footer = f"{report['format_title']} – {period} ({report['period_start']} – {report['period_end']}) – All clinics"
    assert sum(1 for line in lines if line.startswith(footer)) >= 2  # on every page
    assert browser.console_errors() == []
