"""Saving a form's row exactly once, whatever the number of submits.

Forms that create records carry a one-time ``submission_key`` (a UUID made when
the form is shown). The row stores it under a unique constraint, so a double tap
or a retry after a dropped signal finds the row already saved.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic_app.extensions import db


def already_submitted(model, key: uuid.UUID):
    return db.session.scalar(select(model).where(model.submission_key == key))


def commit_once(model, row, key: uuid.UUID):
    """Add ``row`` and commit the caller's unit of work unless a row with this key exists; returns
    (row, created). It is the service's one commit: what the service wrote with it (its audit line)
    is committed with the row, or rolled back with it when the key was already used."""
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = already_submitted(model, key)
        if existing is None:
            raise
        return existing, False
    return row, True
