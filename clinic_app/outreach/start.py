"""A peer educator's start page: what she does most, and how her month is going."""

from clinic_app.core.actor import Actor
from clinic_app.outreach import figures, services, tracing


def peer_home(*, actor: Actor) -> dict:
    """Open slips and clients to follow up, and this month's own figures (the home and outreach pages)."""
    actor.require("outreach.work")
    today = services.actor_today(actor)
    month, _per_peer = figures.loop_figures(actor=actor, start=today.replace(day=1), end=today)
    return {
        "open_referrals": services.count_open_referrals(actor),
        "open_tracing": tracing.open_tracing_count(actor=actor),
        "month": month,
    }
