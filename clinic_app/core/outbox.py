"""Entries the phone's outbox sends later (static/js/offline.js): reading one, and refusing it as a page would.

An entry is JSON ``{"uuid": ..., "fields": {name: [values]}, ...}``: the UUID the phone made is the
submission key (core.once), the fields are what the page's form would have posted. Each feature's JSON
endpoint binds them to that page's own form, so an entry sent later gets the same messages.
"""

import uuid
from datetime import datetime, timedelta

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from clinic_app.core.db import utcnow

# Longer than any field a form takes (the crisis narrative holds 4,000): the form's own checks give the
# message; a value longer than this is not an entry a page could have made.
MAX_VALUE = 8000
# The phone's clock may run a little fast.
CLOCK_SLACK = timedelta(minutes=10)


class Entry:
    """One outbox entry: its submission key, the form data, and the rest of the JSON."""

    def __init__(self, key: uuid.UUID, formdata: MultiDict, data: dict):
        self.key, self.formdata, self.data = key, formdata, data

    def recorded_at(self, *, within: timedelta, now: datetime | None = None) -> datetime:
        """When the phone saved the entry (its ``created``), if plausible: not ahead of the clinic's clock and
        not older than ``within``; otherwise now (the entry is still stored, dated when it arrived)."""
        now = now or utcnow()
        try:
            at = datetime.fromisoformat(str(self.data.get("created")).replace("Z", "+00:00"))
        except ValueError:
            return now
        if at.tzinfo is None:
            return now
        if at > now + CLOCK_SLACK or at < now - within:
            return now
        return min(at, now)


def read_entry() -> Entry | None:
    """The entry in the request, or None when it is not one (the view answers ``unreadable()``)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        return None
    try:
        key = uuid.UUID(str(data.get("uuid")))
    except ValueError:
        return None
    pairs = []
    for name, values in data["fields"].items():
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, str | int | float) or len(str(value)) > MAX_VALUE:
                return None
            pairs.append((str(name), str(value)))
    return Entry(key, MultiDict(pairs), data)


def refused(form, message: str, field_errors: dict | None = None):
    """A 422 naming each field's label and message, as the page shows them beside the fields."""
    errors = []
    for name, messages in (field_errors or {}).items():
        for text in messages if isinstance(messages, list) else [messages]:
            label = form[name].label.text if name in form else ""
            errors.append({"field": name, "label": str(label), "message": str(text)})
    return jsonify(message=message, errors=errors), 422


def unreadable():
    return jsonify(message=_("This entry could not be read."), errors=[]), 400
