"""Unlock, first set-up and key rotation of the encrypted database."""

from flask import current_app
from flask_babel import gettext as _
from flask_migrate import upgrade

from clinic_app.core.errors import Invalid
from clinic_app.extensions import db
from clinic_app.vault.keyring import LOCAL, MIN_PASSPHRASE, quote, vault


def _ready() -> None:
    """After unlocking: fresh connections, and the schema brought up to date."""
    db.engine.dispose()
    upgrade()


def unlock(passphrase: str, place: str = LOCAL) -> None:
    """Open the database with the passphrase typed at ``place`` (an address, or LOCAL for the desktop).

    Wrong guesses slow down only the place they come from; the schema is brought up to date once,
    before any page uses the database, however many right passphrases arrive at the same time.
    """
    keys = vault()
    wait = keys.wait_seconds(place)
    if wait:
        raise Invalid(_("Too many wrong passphrases. Wait %(n)d seconds.", n=wait))
    if not keys.unlock(passphrase or "", place, prepare=_ready):
        raise Invalid(
            _("This passphrase does not open the database."),
            {"passphrase": _("This passphrase does not open the database.")},
        )


def set_up(passphrase: str, confirm: str) -> None:
    """Create the clinic's encrypted database on a new installation."""
    keys = vault()
    if keys.exists:
        raise Invalid(_("This installation already has a database; unlock it instead."))
    problem = passphrase_problem(passphrase, confirm)
    if problem:
        raise Invalid(problem, {"passphrase": problem})
    if not keys.create(passphrase, prepare=_ready):
        raise Invalid(_("This installation already has a database; unlock it instead."))


def passphrase_problem(passphrase: str, confirm: str) -> str | None:
    if len(passphrase or "") < MIN_PASSPHRASE:
        return _("Use at least %(n)d characters: a sentence of four or five words is good.", n=MIN_PASSPHRASE)
    if passphrase != confirm:
        return _("The two passphrases differ.")
    return None


def rekey(new_passphrase: str, confirm: str) -> None:
    """Re-encrypt the database under a new passphrase (the app must hold the current one)."""
    problem = passphrase_problem(new_passphrase, confirm)
    if problem:
        raise Invalid(problem, {"passphrase": problem})
    keys = vault()
    # The audit chain's key gets a seal for the new passphrase first: a power cut at any point
    # leaves a seal that opens with whichever passphrase the file then has.
    for secret in keys.sealed_secrets:
        secret.reseal(db.session, keys.passphrase(), new_passphrase)
    db.session.commit()
    db.engine.dispose()
    with db.engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA rekey = {quote(new_passphrase)}")
    keys.forget()
    keys.unlock(new_passphrase)
    db.engine.dispose()
    for secret in keys.sealed_secrets:
        secret.drop_other_seals(db.session, new_passphrase)
    db.session.commit()
    current_app.logger.info("database passphrase changed")
