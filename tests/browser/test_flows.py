"""The nurse's day end to end in the browser: register, record a visit that breaks a rule, fix it;
a visit sent after the session timed out, signed in again and sent with nothing retyped."""

import time
from uuid import UUID, uuid4

from selenium.webdriver.common.by import By

from clinic_app.clients.models import Client
from clinic_app.extensions import db
from clinic_app.visits.models import PepCourse, Visit
from tests.browser.conftest import VIEWPORTS
from tests.browser.driving import fill, open_sections


def _register(browser, driver) -> str:
    """Register a new client through the form; returns the client page's path."""
    browser.open("/clients/new")
    letters = uuid4().hex[:2].translate(str.maketrans("0123456789", "abcdefghij")).upper()
    born = f"19{70 + uuid4().int % 30}-0{1 + uuid4().int % 9}-1{uuid4().int % 9}"
    fill(
        driver,
        "main form[data-draft]",
        {
            "mother_letters": letters,
            "own_letters": "QX",
            "sex": "female",
            "date_of_birth": born,
            "key_population": "fsw",
            "nationality": "ZW",
            "consent_given": True,
        },
    )
    driver.find_element(By.CSS_SELECTOR, "main form[data-draft] button[type=submit]").click()
    browser.wait_for(".alert.success, input[name=confirm_new]")
    if driver.find_elements(By.NAME, "confirm_new"):  # a look-alike record exists: this is someone else
        fill(driver, "main form[data-draft]", {"confirm_new": True})
        driver.find_element(By.CSS_SELECTOR, "main form[data-draft] button[type=submit]").click()
        browser.wait_for(".alert.success")
    return driver.current_url.removeprefix(browser.site.base_url)


def _visits_of(site, client_path: str) -> list[Visit]:
    client_id = client_path.rstrip("/").rsplit("/", 1)[1]
    with site.app.app_context():
        client = db.session.get(Client, UUID(client_id))
        visits = list(db.session.query(Visit).filter(Visit.client_id == client.id))
        for visit in visits:
            _ = visit.pep_course, visit.hiv_test
        db.session.expunge_all()
        return visits


def test_a_visit_that_breaks_a_rule_shows_every_error_keeps_the_entries_and_saves_once_fixed(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["desktop"])
    site.set_language("nurse", "en")
    browser.sign_in("nurse")
    client_path = _register(browser, driver)
    driver.find_element(By.CSS_SELECTOR, "main a.btn[href$='/new']").click()
    browser.wait_for("form[data-draft^='visit-new-']")
    open_sections(driver, "hiv-previous_status", "pep-exposure", "commodities-male_condoms")
    fill(
        driver,
        "form[data-draft^='visit-new-']",
        {
            "hiv-previous_status": "negative",
            "hiv-modality": "facility_kp",
            "hiv-screening_result": "non_reactive",
            "hiv-result_received": True,
            "pep-exposure": "sexual_violence",
            "pep-hours_since_exposure": "80",
            "pep-regimen": "tdf_3tc_dtg",
            "commodities-male_condoms": "20",
        },
    )
    driver.find_element(By.CSS_SELECTOR, "form[data-draft^='visit-new-'] button[type=submit]").click()
    error = browser.wait_for("#pep-hours_since_exposure-err")
    assert "PEP is not given more than 72 hours after exposure" in error.text
    assert "and violence support" in error.text
    look = browser.look(None, shot="flow-visit-rule-error")
    assert look.problems == []
    # Everything typed is still there, and nothing was saved.
    assert driver.find_element(By.NAME, "commodities-male_condoms").get_attribute("value") == "20"
    assert driver.find_element(By.NAME, "hiv-screening_result").get_attribute("value") == "non_reactive"
    assert _visits_of(site, client_path) == []
    fill(driver, "form[data-draft^='visit-new-']", {"pep-hours_since_exposure": "30"})
    driver.find_element(By.CSS_SELECTOR, "form[data-draft^='visit-new-'] button[type=submit]").click()
    assert "recorded" in browser.wait_for(".alert.success").text
    [visit] = _visits_of(site, client_path)
    assert visit.pep_course.hours_since_exposure == 30
    assert isinstance(visit.pep_course, PepCourse)


def test_a_visit_sent_after_the_time_out_is_saved_after_signing_in_again_without_retyping(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("nurse", "en")
    browser.sign_in("nurse")
    client_path = _register(browser, driver)
    form_path = client_path.replace("/clients/", "/visits/for/") + "/new"
    browser.open(form_path)
    open_sections(driver, "commodities-male_condoms")
    fill(driver, "form[data-draft^='visit-new-']", {"commodities-male_condoms": "40", "notes": "Came with a friend"})
    idle = site.app.config["SESSION_IDLE_MINUTES"]
    site.app.config["SESSION_IDLE_MINUTES"] = 0  # the nurse was called away: the session times out
    try:
        time.sleep(1.1)
        driver.find_element(By.CSS_SELECTOR, "form[data-draft^='visit-new-'] button[type=submit]").click()
        browser.wait_for("input[name=password]")
    finally:
        site.app.config["SESSION_IDLE_MINUTES"] = idle
    browser.signed_in_as = None
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "You were signed out after a time without use." in page
    assert "your entries are kept on this screen" in page
    assert _visits_of(site, client_path) == []
    look = browser.look(None, shot="flow-timeout-sign-in")
    assert look.problems == []
    browser.sign_in("nurse", on_this_page=True)  # the sign-in form leads back to the visit form
    assert driver.current_url.endswith(form_path)
    note = browser.wait_for("[data-draft-note]")
    assert note.is_displayed()
    assert driver.find_element(By.NAME, "commodities-male_condoms").get_attribute("value") == "40"
    assert driver.find_element(By.NAME, "notes").get_attribute("value") == "Came with a friend"
    browser.look(None, shot="flow-timeout-restored")
    driver.find_element(By.CSS_SELECTOR, "form[data-draft^='visit-new-'] button[type=submit]").click()
    assert "recorded" in browser.wait_for(".alert.success").text
    [visit] = _visits_of(site, client_path)
    assert visit.notes == "Came with a friend"
    # Saved: the draft is gone, so the form opens empty next time.
    browser.open(form_path)
    assert not driver.find_element(By.CSS_SELECTOR, "[data-draft-note]").is_displayed()
    assert driver.execute_script("return Object.keys(sessionStorage).filter(k => k.startsWith('draft:')).length") == 0


def test_sign_out_leaves_no_draft_in_the_browser(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["desktop"])
    browser.sign_in("nurse")
    browser.open("/clients/new")
    fill(driver, "main form[data-draft]", {"alias": "Sunny"})
    assert driver.execute_script("return Object.keys(sessionStorage).filter(k => k.startsWith('draft:')).length") == 1
    browser.sign_out()
    assert driver.execute_script("return Object.keys(sessionStorage).filter(k => k.startsWith('draft:')).length") == 0


def test_the_printed_due_list_fits_a4_portrait_with_every_column_and_the_clinic_name(browser, site):
    import io

    from pypdf import PdfReader

    from tests.browser.driving import A4_PORTRAIT_CSS_PX, print_to_pdf

    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["desktop"])
    site.set_language("nurse", "en")
    browser.sign_in("nurse")
    browser.open("/duelists/prep_refill")
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "main thead th:not(.no-print)")]
    assert "Due since" in headers and headers[-1] == "Months dispensed"
    # Laid out as on paper: print media, the printable width of an A4 sheet.
    browser.set_viewport(A4_PORTRAIT_CSS_PX, 1000)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        look = browser.look(None, shot="print-duelist-prep_refill")
        assert look.problems == []
        pdf = PdfReader(io.BytesIO(print_to_pdf(driver)))
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.set_viewport(*VIEWPORTS["desktop"])
    first_page = " ".join(pdf.pages[0].extract_text().split())
    assert "Blue Box Beitbridge" in first_page
    for header in headers:
        assert header in first_page, header
    assert pdf.pages[0].mediabox.width < pdf.pages[0].mediabox.height  # portrait
