"""The home page: what each role needs first thing in the day."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from clinic_app.main import views  # noqa: E402,F401
