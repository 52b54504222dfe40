"""Due lists: the clinic's daily work lists of clients to see or trace."""

from flask import Blueprint

bp = Blueprint("duelists", __name__, url_prefix="/duelists")

from clinic_app.duelists import views  # noqa: E402,F401
