"""Helpers for reading pages the way a user sees them, and the database the way an auditor does."""

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import func, select

from clinic_app.audit.models import AuditEvent
from clinic_app.extensions import db


def text(response) -> str:
    """The page as text, with HTML entities (&#39; and friends) turned back into characters."""
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_events(action: str | None = None) -> list[AuditEvent]:
    # Read as a new request would: a page that only read may have left the shared test session
    # in its read snapshot, taken before the audit line was written by its own transaction.
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.occurred_at)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def audit_text() -> str:
    """Every value of every audit row, as one lower-case string (to look for leaked input)."""
    rows = audit_events()
    columns = [c.name for c in AuditEvent.__table__.columns]
    return "\n".join(" ".join(str(getattr(row, name)) for name in columns) for row in rows).lower()


@dataclass
class FormState:
    """What a re-rendered form shows: field values, ticked boxes, and the error beside each field."""

    values: dict[str, str] = field(default_factory=dict)
    checked: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.state = FormState()
        self._select = None
        self._textarea = None
        self._error_for = None
        self._alert_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.state.checked.setdefault(a["name"], []).append(a.get("value") or "y")
            else:
                self.state.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.state.values[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.state.values[self._textarea] = ""
        elif tag == "p" and "error" in classes and (a.get("id") or "").endswith("-err"):
            self._error_for = a["id"][: -len("-err")]
            self.state.errors.setdefault(self._error_for, []).append("")
        elif tag == "div" and "alert" in classes:
            self._alert_depth = 1
            self.state.alerts.append("")
        elif tag == "div" and self._alert_depth:
            self._alert_depth += 1

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "p":
            self._error_for = None
        elif tag == "div" and self._alert_depth:
            self._alert_depth -= 1

    def handle_data(self, data):
        if self._textarea:
            self.state.values[self._textarea] += data
        if self._error_for:
            self.state.errors[self._error_for][-1] += data
        if self._alert_depth:
            self.state.alerts[-1] += data


def form_state(response) -> FormState:
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    reader.close()
    state = reader.state
    state.errors = {k: [m.strip() for m in v] for k, v in state.errors.items()}
    state.alerts = [" ".join(a.split()) for a in state.alerts]
    return state


def csrf_token(response) -> str:
    token = form_state(response).values.get("csrf_token")
    assert token, "no CSRF token in the page"
    return token
