"""Peer-educator mobilisation: hotspots, outreach contacts, referral slips, tracing, trainings."""

from flask import Blueprint

bp = Blueprint("outreach", __name__, url_prefix="/outreach")

from clinic_app.outreach import offline_views, views  # noqa: E402,F401
