"""Money as the fund keeps it: integer minor units (cents), shown and typed with the currency."""

from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_currency, parse_decimal
from flask_babel import get_locale

# Every currency of the corridor (ZAR, USD, BWP, MZN, ZWG, ZMW, ...) has two decimals.
MINOR_DIGITS = 2
MAX_AMOUNT = 100_000_000_00  # a hundred million: anything larger is a typing slip


def _locale() -> str:
    return str(get_locale() or "en")


def parse_amount(text: str | None) -> int | None:
    """'1 250,50' (pt) or '1,250.50' (en) as 125050 minor units; None when it is not an amount.

    The decimal separator follows the language of the page, as the user reads the amounts there."""
    cleaned = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    try:
        value = parse_decimal(cleaned, locale=_locale(), strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        return None
    if not value.is_finite():  # 'Infinity', 'NaN'
        return None
    if abs(value) * (10**MINOR_DIGITS) > MAX_AMOUNT:  # '1e309': too large, whatever its decimals
        return (MAX_AMOUNT + 1) * (1 if value > 0 else -1)
    minor = value * (10**MINOR_DIGITS)
    if minor != minor.to_integral_value():
        return None  # more than two decimals
    return int(minor)


def as_major(minor: int) -> Decimal:
    return Decimal(minor) / (10**MINOR_DIGITS)


def format_money(minor: int | None, currency: str) -> str:
    """125050, 'ZAR' -> 'ZAR 1,250.50' (in the page's language)."""
    if minor is None:
        return ""
    return format_currency(as_major(minor), currency, format="¤ #,##0.00", locale=_locale(), currency_digits=False)


def amount_text(minor: int | None) -> str:
    """The amount as a form field shows it, without the currency (for editing)."""
    if minor is None:
        return ""
    return f"{as_major(minor):.2f}" if _locale().startswith("en") else f"{as_major(minor):.2f}".replace(".", ",")
