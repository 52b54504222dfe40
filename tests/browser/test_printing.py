"""What the clinic prints, as printed: the health card (card size and A4 sheet) and the referral slip,
with QR codes a phone camera reads (read back here from the browser's own picture of the page)."""

import io

import zxingcpp
from PIL import Image
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from sqlalchemy import select

from clinic_app.clients.models import Client
from clinic_app.extensions import db
from clinic_app.outreach.models import Referral
from clinic_app.outreach.referrals import display_code
from tests.browser.conftest import VIEWPORTS
from tests.browser.driving import print_to_pdf

MM = 72 / 25.4  # PDF points per millimetre


def _codes_on_screen(browser, name: str) -> list[tuple[str, str]]:
    shot = browser.screenshot(name)
    return [(found.text, found.format.name) for found in zxingcpp.read_barcodes(Image.open(shot))]


def _a_client(site) -> Client:
    with site.app.app_context():
        nurse = site.user("nurse")
        client = db.session.scalars(select(Client).where(Client.clinic_id == nurse.clinic_id).limit(1)).one()
        db.session.expunge(client)
        return client


def test_the_health_card_shows_the_number_as_text_and_a_standard_qr_code_and_prints_card_size(browser, site):
    person = _a_client(site)
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("nurse", "en")
    browser.sign_in("nurse")
    look = browser.look(f"/clients/{person.id}/card")
    assert look.problems == []
    card = browser.driver.find_element(By.CSS_SELECTOR, ".health-card")
    assert person.client_number in card.text and "Blue Box" in card.text and "Beitbridge" in card.text
    assert person.uic not in card.text  # nothing but the number: no UIC, no alias
    assert not person.alias or person.alias not in card.text
    assert _codes_on_screen(browser, "print-health-card") == [(person.client_number, "QRCode")]
    pdf = PdfReader(io.BytesIO(print_to_pdf(browser.driver)))
    assert len(pdf.pages) == 1
    page = pdf.pages[0].mediabox
    # Chromium rounds the page to whole CSS pixels (85.6 mm -> 324 px = 85.7 mm)
    assert abs(float(page.width) / MM - 85.6) < 0.3 and abs(float(page.height) / MM - 54.0) < 0.3
    assert person.client_number in pdf.pages[0].extract_text()


def test_the_a4_sheet_of_cards_prints_ten_cards_on_one_portrait_page(browser, site):
    person = _a_client(site)
    browser.set_viewport(*VIEWPORTS["desktop"])
    browser.sign_in("nurse")
    look = browser.look(f"/clients/{person.id}/card?size=a4", shot="print-health-card-sheet")
    assert look.problems == []
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, ".card-sheet .health-card")) == 10
    pdf = PdfReader(io.BytesIO(print_to_pdf(browser.driver)))
    assert len(pdf.pages) == 1
    assert pdf.pages[0].extract_text().count(person.client_number) == 10
    assert pdf.pages[0].mediabox.width < pdf.pages[0].mediabox.height


def test_a_referral_slip_holds_a_standard_qr_code_of_the_code_as_printed(browser, site):
    with site.app.app_context():
        peer = site.user("peer")
        referral = db.session.scalars(select(Referral).where(Referral.peer_educator_id == peer.id).limit(1)).one()
        code, referral_id = display_code(referral.code), referral.id
    browser.set_viewport(*VIEWPORTS["phone"])
    site.set_language("peer", "en")
    browser.sign_in("peer")
    look = browser.look(f"/outreach/referrals/{referral_id}")
    assert look.problems == []
    assert code in browser.driver.find_element(By.CSS_SELECTOR, ".slip-code").text
    assert _codes_on_screen(browser, "print-referral-slip") == [(code, "QRCode")]
