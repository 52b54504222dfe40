"""Referral codes: made hard to guess and easy to read out, and redeemed at a visit.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
shown as two groups of four: K7MQ-4XP9. 31^8 is about 8.5e11 codes, drawn with
the operating system's random source, so a code cannot be guessed from another.
Redemption is part of recording the visit (same unit of work, no commit here).
"""

import re
import secrets
from datetime import date
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select, update

from clinic_app.core.errors import Invalid
from clinic_app.extensions import db
from clinic_app.outreach.models import Referral, ReservedCode
from clinic_app.visits import contributions as visit_contributions

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE_RE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str | None) -> str | None:
    """The code as stored (no dashes or spaces, upper case), or None if it cannot be a code."""
    code = re.sub(r"[\s\-]", "", text or "").upper()
    return code if _CODE_RE.match(code) else None


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def unique_code() -> str:
    """A code no slip has and no phone holds in reserve (outreach/offline.py)."""
    while True:
        code = new_code()
        taken = db.session.scalar(select(Referral.id).where(Referral.code == code)) or db.session.scalar(
            select(ReservedCode.id).where(ReservedCode.code == code)
        )
        if taken is None:
            return code


def _refuse(message: str):
    raise Invalid(message, {"referral_code": message})


def redeemable(text: str, *, client, on: date, visit_id=None) -> Referral:
    """The referral this code names, if a visit of ``client`` on ``on`` may complete it.

    Raises Invalid (on the referral_code field) for an unknown or used code, or one issued after the
    visit or for another client. A slip past its validity is accepted and counted as completed late.
    """
    code = normalise_code(text)
    referral = db.session.scalar(select(Referral).where(Referral.code == code)) if code else None
    if referral is None:
        _refuse(_("No referral slip has this code. Check the 8 letters and digits with the client."))
    if referral.visit_id is not None and referral.visit_id != visit_id:
        _refuse(_("This referral code was already used on %(d)s.", d=referral.completed_on.isoformat()))
    if on < referral.issued_on:
        _refuse(_("This slip was issued on %(d)s, after the date of this visit.", d=referral.issued_on.isoformat()))
    # A slip past its validity still closes the loop: the client came (Referral.completed_late marks it).
    if referral.client_id is not None and referral.client_id != client.id:
        _refuse(_("This slip was issued for another client."))
    return referral


def complete(referral: Referral, *, visit) -> None:
    """Close the loop: the referral was completed by this visit."""
    referral.visit_id = visit.id
    referral.completed_on = visit.service_date


def release(visit) -> None:
    """Undo the redemption of whatever referral this visit completed (the code was corrected)."""
    db.session.execute(update(Referral).where(Referral.visit_id == visit.id).values(visit_id=None, completed_on=None))


# A visit redeems its slip through visits.contributions (visits cannot import outreach).
visit_contributions.referrals.provide(
    SimpleNamespace(normalise_code=normalise_code, redeemable=redeemable, complete=complete, release=release)
)
