"""The peer educator's phone without signal (Chromium's network set offline through CDP): a slip issued
offline takes a reserved code, waits in the outbox and is sent once when the connection is back; a crisis
case form opens from the phone's worker without signal and its case is sent once; a rejected entry stays
in the outbox with the server's message; nothing is kept once sent."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from clinic_app.crisis.models import CrisisCase
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


CACHED = """
var done = arguments[arguments.length - 1];
if (!navigator.serviceWorker.controller) { done(false); return; }
caches.match(arguments[0]).then(function (hit) { done(!!hit); }, function () { done(false); });
"""
DRAFTS = "return Object.keys(sessionStorage).filter(function (k) { return k.indexOf('draft:') === 0; });"


def _outbox(driver) -> int:
    return driver.execute_async_script(OUTBOX_COUNT)


def _state(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "[data-outbox-state]").text


def _settled(driver) -> None:
    """The page's own first sending is over (going offline in the middle of it fails that request)."""
    WebDriverWait(driver, 15).until(
        lambda d: (
            d.execute_script("var s = document.querySelector('[data-outbox-state]'); return s && s.className;")
            == "outbox-state is-online"
        )
    )


def test_a_crisis_case_opened_without_signal_waits_on_the_phone_and_is_sent_once(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    browser.open("/crisis/new")
    # The worker (registered for the whole site) keeps the case form for opening without signal.
    WebDriverWait(driver, 45).until(lambda d: d.execute_async_script(CACHED, "/crisis/new"))
    with site.app.app_context():
        before = set(db.session.scalars(select(CrisisCase.id)))
    _settled(driver)
    try:
        _network(driver, offline=True)
        browser.open("/crisis/new")  # opened at the hotspot, without signal
        assert driver.find_element(By.TAG_NAME, "h1").text == "Open a crisis case"
        WebDriverWait(driver, 5).until(lambda d: _state(d) == "Offline — nothing waiting")
        form = "form[data-offline]"
        fill(driver, form, {"survivor_kind": "anonymous"})
        for name, value in (("violations", "sexual"), ("perpetrators", "client")):
            driver.find_element(By.CSS_SELECTOR, f"{form} input[name={name}][value={value}]").click()
        fill(driver, form, {"keep_record": True, "narrative": "Two men at the truck stop"})
        driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
        WebDriverWait(driver, 5).until(lambda d: _state(d) == "Offline — 1 waiting")
        assert _outbox(driver) == 1
        assert driver.find_element(By.CSS_SELECTOR, "[data-outbox-list] li b").text.startswith("Crisis case · ")
        assert driver.find_element(By.NAME, "narrative").get_attribute("value") == ""  # the form is empty again
        assert driver.execute_script(DRAFTS) == []  # the typed draft left with the entry
        browser.screenshot("peer_educator-en-phone-offline-crisis-case")
        with site.app.app_context():
            assert set(db.session.scalars(select(CrisisCase.id))) == before
        _network(driver, offline=False)  # the "online" event sends the outbox
        WebDriverWait(driver, 15).until(lambda d: _outbox(d) == 0)
        WebDriverWait(driver, 5).until(lambda d: _state(d) == "Online — nothing waiting")
        assert "Sent to the clinic" in driver.find_element(By.CSS_SELECTOR, "[data-outbox-status]").text
        browser.screenshot("peer_educator-en-phone-offline-crisis-sent")
        driver.find_element(By.CSS_SELECTOR, "[data-outbox-send]").click()  # sending again sends nothing
        browser.pause(1)
        with site.app.app_context():
            new = db.session.scalars(select(CrisisCase).where(CrisisCase.id.not_in(before))).all()
            assert len(new) == 1
            (case,) = new
            assert case.reported_by.username == "peer" and case.narrative == "Two men at the truck stop"
            assert [v.violation.value for v in case.violation_rows] == ["sexual"]
        assert browser.console_errors() == []
    finally:
        _network(driver, offline=False)


def test_a_slip_issued_without_signal_is_sent_once_when_the_connection_is_back(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    browser.open("/outreach/referrals/new")
    WebDriverWait(driver, 10).until(lambda d: len(d.execute_script(CODES)) == 10)  # reserved while online
    code = driver.execute_script(CODES)[0]
    _settled(driver)
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
    _settled(driver)
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


LEFT_BEHIND = """
var done = arguments[arguments.length - 1];
var keys = function (s) { var k = []; for (var i = 0; i < s.length; i++) { k.push(s.key(i)); } return k; };
var left = { drafts: keys(sessionStorage).filter(function (k) { return k.indexOf("draft:") === 0; }),
             codes: keys(localStorage).filter(function (k) { return k.indexOf("bluebox-codes:") === 0; }) };
caches.keys().then(function (names) {
  left.caches = names.filter(function (n) { return n.indexOf("bluebox-") === 0; });
  return navigator.serviceWorker.getRegistrations();
}).then(function (regs) { left.workers = regs.length; done(left); });
"""


def _a_refused_case_and_a_draft_on_the_phone(browser, driver) -> None:
    """A case sent offline and refused once back (nothing ticked) waits to be corrected; a draft is typed."""
    browser.open("/crisis/new")
    WebDriverWait(driver, 45).until(lambda d: d.execute_async_script(CACHED, "/crisis/new"))
    _settled(driver)
    try:
        _network(driver, offline=True)
        fill(driver, "form[data-offline]", {"survivor_kind": "anonymous"})
        driver.find_element(By.CSS_SELECTOR, "form[data-offline] button[type=submit]").click()
        WebDriverWait(driver, 5).until(lambda d: _outbox(d) == 1)
    finally:
        _network(driver, offline=False)
    message = browser.wait_for("[data-outbox-list] li .error", timeout=15)
    assert message.text == "What happened: Tick what happened (one or more)."
    fill(driver, "form[data-offline]", {"narrative": "At the lodge by the border"})
    assert driver.execute_script(DRAFTS) != []
    assert driver.execute_script(CODES) != []


def test_sign_out_leaves_nothing_on_the_phone(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    _a_refused_case_and_a_draft_on_the_phone(browser, driver)
    driver.find_element(By.CSS_SELECTOR, "header .who form button").click()
    alert = WebDriverWait(driver, 5).until(ec.alert_is_present())  # asked once the outbox is read
    assert alert.text == "1 entries have not been sent and will be deleted from this phone. Sign out anyway?"
    alert.accept()
    browser.wait_for("input[name=username]")
    browser.signed_in_as = None
    WebDriverWait(driver, 5).until(
        lambda d: d.execute_async_script(LEFT_BEHIND) == {"drafts": [], "codes": [], "caches": [], "workers": 0}
    )
    assert _outbox(driver) == 0
    assert [e for e in browser.console_errors() if "/crisis/offline/case - " not in e] == []


def test_a_phone_left_unused_past_the_limit_forgets_its_entries_and_drafts(browser, site):
    driver = browser.driver
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    _a_refused_case_and_a_draft_on_the_phone(browser, driver)
    hours = site.app.config["OFFLINE_KEEP_HOURS"]
    # The phone was last used longer ago than the limit (its clock as the page sees it).
    driver.execute_script(
        "localStorage.setItem('bluebox-seen', String(Date.now() - arguments[0] * 3600000 - 60000));", hours
    )
    browser.open("/crisis/new")
    WebDriverWait(driver, 10).until(lambda d: _outbox(d) == 0)
    assert driver.execute_script(DRAFTS) == []
    assert driver.find_element(By.NAME, "narrative").get_attribute("value") == ""
    assert not driver.find_element(By.CSS_SELECTOR, "[data-draft-note]").is_displayed()
    browser.screenshot("peer_educator-en-phone-unused-phone-forgot")
    # Used again from now on: the next page keeps what is typed.
    fill(driver, "form[data-offline]", {"narrative": "x"})
    browser.open("/crisis/new")
    assert driver.find_element(By.NAME, "narrative").get_attribute("value") == "x"
    driver.find_element(By.CSS_SELECTOR, "[data-draft-discard]").click()
    assert [e for e in browser.console_errors() if "/crisis/offline/case - " not in e] == []
