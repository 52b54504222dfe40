"""Printed QR codes are standard QR (phone cameras read them) and encode exactly what is printed."""

import io
import urllib.parse

import pytest
import segno
import zxingcpp
from PIL import Image

from clinic_app.core.qr import qr_image


def decode_png(data: bytes) -> list[tuple[str, str]]:
    return [(found.text, found.format.name) for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def rendered(text: str) -> bytes:
    """The app's QR code for ``text`` (the symbol behind its SVG), as a PNG."""
    image = qr_image(text)
    assert "<svg" in urllib.parse.unquote(image.data_uri.split(",", 1)[1])
    buffer = io.BytesIO()
    image.symbol.save(buffer, kind="png", scale=5, border=4)
    return buffer.getvalue()


@pytest.mark.parametrize("text", ["K7MQ-4XP9", "4428-0073-6"])
def test_a_printed_code_is_a_standard_qr_code_holding_the_printed_text(text):
    assert decode_png(rendered(text)) == [(text, "QRCode")]


def test_segnos_default_would_have_chosen_micro_qr_for_a_short_code():
    """Why qr_image insists on make_qr: most phone cameras do not read Micro QR."""
    assert segno.make("K7MQ-4XP9", error="m").is_micro


def test_the_size_given_to_the_page_is_the_symbol_with_its_quiet_zone():
    image = qr_image("K7MQ-4XP9", scale=5)
    assert image.size == (21 + 2 * 4) * 5  # version 1: 21 modules, 4 of quiet zone each side
