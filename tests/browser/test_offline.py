"""The peer educator's phone without signal (Chromium's network set offline through CDP): a slip issued
offline takes a reserved code, waits in the outbox and is sent once when the connection is back; a
rejected entry stays in the outbox with the server's message; nothing is kept once sent."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from clinic_app.extensions import db
from clinic_app.outreach.models import OutreachContact, Referral
from tests.browser.conftest import VIEWPORTS
from tests.browser.driving import fill

OUTBOX_COUNT = """
var done = arguments[arguments.length - 1];
var open = indexedDB.open("bluebox-outbox", 1);
open.onupgradeneeded = function () { open.result.createObjectStore("entries", { keyPath: "id" }); };
open.onsuccess = function () {
  var db = open.result, request = db.transaction("entries", "readonly").objectStore("entries").count();
  request.onsuccess = function () { db.close(); done(request.result); };
};
"""
CODES = "return JSON.parse(localStorage.getItem('bluebox-codes:' + document.body.dataset.user) || '[]');"


def _network(driver, *, offline: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return navigator.onLine") is (not offline))


def _outbox(driver) -> int:
    return driver.execute_async_script(OUTBOX_COUNT)


def test_a_slip_issued_without_signal_is_sent_once_when_the_connection_is_back(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    browser.open("/outreach/referrals/new")
    WebDriverWait(driver, 10).until(lambda d: len(d.execute_script(CODES)) == 10)  # reserved while online
    code = driver.execute_script(CODES)[0]
    try:
        _network(driver, offline=True)
        fill(driver, "form[data-offline]", {"service": "prep"})
        driver.find_element(By.CSS_SELECTOR, "form[data-offline] button[type=submit]").click()
        browser.wait_for("[data-offline-slip]:not([hidden])")
        assert driver.find_element(By.CSS_SELECTOR, "[data-slip-code]").text == code["display"]
        assert driver.find_element(By.CSS_SELECTOR, "[data-slip-qr]").get_attribute("src").startswith("data:image/svg")
        WebDriverWait(driver, 5).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "[data-outbox-count]").text == "1 entry waits to be sent."
        )
        assert _outbox(driver) == 1
        browser.screenshot("peer_educator-en-phone-offline-slip")
        with site.app.app_context():
            assert db.session.scalar(select(Referral).where(Referral.code == code["code"])) is None
        _network(driver, offline=False)  # the "online" event sends the outbox
        WebDriverWait(driver, 15).until(lambda d: _outbox(d) == 0)
        with site.app.app_context():
            sent = db.session.scalars(select(Referral).where(Referral.code == code["code"])).all()
            assert len(sent) == 1
            assert sent[0].peer_educator.username == "peer" and sent[0].service.value == "prep"
        WebDriverWait(driver, 5).until(
            lambda d: "Sent to the clinic" in d.find_element(By.CSS_SELECTOR, "[data-outbox-status]").text
        )
        assert code["code"] not in [c["code"] for c in driver.execute_script(CODES)]
        assert browser.console_errors() == []
    finally:
        _network(driver, offline=False)


def test_a_contact_rejected_when_sent_stays_in_the_outbox_with_the_message_and_can_be_discarded(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    browser.open("/outreach/contacts/new")
    with site.app.app_context():
        before = len(db.session.scalars(select(OutreachContact.id)).all())
    try:
        _network(driver, offline=True)
        fill(driver, "form[data-offline]", {"kind": "individual"})  # nothing given or done: refused
        driver.find_element(By.CSS_SELECTOR, "form[data-offline] button[type=submit]").click()
        WebDriverWait(driver, 5).until(lambda d: _outbox(d) == 1)
        _network(driver, offline=False)
        message = browser.wait_for("[data-outbox-list] li .error", timeout=15)
        assert message.text == "HIV prevention information: Tick what was given or done at this contact."
        assert _outbox(driver) == 1  # kept until corrected or discarded
        browser.screenshot("peer_educator-en-phone-offline-rejected")
        driver.find_element(By.CSS_SELECTOR, "[data-outbox-list] li button.link").click()
        driver.switch_to.alert.accept()
        WebDriverWait(driver, 5).until(lambda d: _outbox(d) == 0)
        # The console notes the refused entry's 422 (expected: the outbox shows why); nothing else.
        assert [e for e in browser.console_errors() if "/outreach/offline/contact - " not in e] == []
    finally:
        _network(driver, offline=False)
    with site.app.app_context():
        assert len(db.session.scalars(select(OutreachContact.id)).all()) == before


def test_a_restored_draft_can_be_discarded(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    browser.open("/outreach/referrals/new")
    fill(driver, "form[data-draft]", {"client_number": "1234"})
    browser.open("/outreach/referrals/new")  # the page again: the entries come back, with a note
    note = browser.wait_for("[data-draft-note]")
    WebDriverWait(driver, 5).until(lambda d: note.is_displayed())
    assert driver.find_element(By.NAME, "client_number").get_attribute("value") == "1234"
    driver.find_element(By.CSS_SELECTOR, "[data-draft-discard]").click()
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.NAME, "client_number").get_attribute("value") == "")
    assert not driver.find_element(By.CSS_SELECTOR, "[data-draft-note]").is_displayed()
    browser.open("/outreach/referrals/new")  # and they stay gone
    assert driver.find_element(By.NAME, "client_number").get_attribute("value") == ""
