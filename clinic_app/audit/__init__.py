"""Audit trail: who did what to which record, when (UTC) and from where."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from clinic_app.audit import views  # noqa: E402,F401
