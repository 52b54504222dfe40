"""Crisis response: violence and arrest cases from the first call to the outcome, the PEP clock, the fund."""

from flask import Blueprint

bp = Blueprint("crisis", __name__, url_prefix="/crisis")

from clinic_app.crisis import fund_models, fund_views, models, views  # noqa: E402,F401
