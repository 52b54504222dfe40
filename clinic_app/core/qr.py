"""QR codes as the app prints them: standard QR (never Micro QR, which most phone cameras cannot read)."""

from dataclasses import dataclass

import segno


@dataclass(frozen=True)
class QrImage:
    data_uri: str  # an SVG data: URI (the Content-Security-Policy allows data: images)
    size: int  # px, with the quiet zone
    symbol: segno.QRCode  # what was drawn (tests read it back)


def qr_image(text: str, *, scale: int = 5) -> QrImage:
    """A standard QR code of exactly ``text`` (what is printed beside it), error correction M or better."""
    code = segno.make_qr(text, error="m", boost_error=True)
    return QrImage(code.svg_data_uri(scale=scale, border=4), code.symbol_size(scale=scale, border=4)[0], code)
