"""Client identifiers: the clinic-issued client number and the restatable UIC.

The client number is random (it says nothing about the person, the place or
the order of registration) with a check digit that catches a mistyped digit.
The UIC is built only from facts a client can restate at any Blue Box: the
first two letters of their mother's first name and of their own first name,
their date of birth and their sex. It encodes no key-population type, no
place and no HIV status.
"""

import re
import secrets
import unicodedata
from datetime import date

NUMBER_DIGITS = 8
_NUMBER_RE = re.compile(r"^\d{9}$")
SEX_CODES = {"female": "F", "male": "M", "transgender": "T"}


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def new_client_number() -> str:
    """A random 8-digit number plus a check digit, shown as 1234-5678-9."""
    body = "".join(secrets.choice("0123456789") for _ in range(NUMBER_DIGITS))
    return format_client_number(body + luhn_check_digit(body))


def format_client_number(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def normalise_client_number(text: str) -> str | None:
    """The canonical form of a typed client number, or None if it cannot be one."""
    digits = re.sub(r"[\s\-./]", "", text or "")
    if not _NUMBER_RE.match(digits):
        return None
    if luhn_check_digit(digits[:8]) != digits[8]:
        return None
    return format_client_number(digits)


def name_letters(text: str) -> str:
    """First two letters of a name, upper case, accents dropped; '9' pads what is missing."""
    plain = unicodedata.normalize("NFKD", text or "")
    letters = "".join(ch for ch in plain if ch.isascii() and ch.isalpha()).upper()
    return (letters + "99")[:2]


def build_uic(mother_letters: str, own_letters: str, born: date | None, dob_estimated: bool, sex: str) -> str:
    """The UIC, e.g. MAJO150892F. An estimated birth date gives 0000 for day and month; an unknown one
    999999 (no real date has day 99, so it never reads as one)."""
    if born is None:
        birth = "999999"
    else:
        birth = ("0000" if dob_estimated else born.strftime("%d%m")) + born.strftime("%y")
    return f"{name_letters(mother_letters)}{name_letters(own_letters)}{birth}{SEX_CODES[str(sex)]}"


_UIC_RE = re.compile(r"^[A-Z9]{4}\d{6}[FMT]$")


def normalise_uic(text: str) -> str | None:
    """The canonical form of a typed UIC, or None if it cannot be one."""
    candidate = re.sub(r"[\s\-]", "", text or "").upper()
    return candidate if _UIC_RE.match(candidate) else None


def alias_key(alias: str | None) -> str | None:
    """A case- and accent-insensitive key for matching aliases."""
    if not alias:
        return None
    plain = unicodedata.normalize("NFKD", alias)
    return "".join(ch for ch in plain if ch.isalnum()).lower() or None
