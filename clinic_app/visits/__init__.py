"""Visits: one attendance of a client at a clinic, with its reasons."""

from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits")

from clinic_app.visits import views  # noqa: E402,F401
