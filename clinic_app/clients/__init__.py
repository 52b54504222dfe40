"""The client registry: pseudonymous clients found by number, UIC or alias."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from clinic_app.clients import views  # noqa: E402,F401
