"""What the features built on visits add to the visit screens and the clinical rules (core/hooks.py says
why hooks).

visits sits below crisis, network and outreach, so it never imports them; they register here instead.
"""

from clinic_app.core.hooks import Hook, Slot

# The visit form: ``(*, actor, client, visit) -> dict`` of template variables (``visit`` is None for a new
# visit); crisis offers the client's open case.
visit_form = Hook("visits.visit_form")

# The visit page: ``(*, actor, visit) -> dict`` of template variables; crisis shows the linked case or offers one.
visit_page = Hook("visits.visit_page")

# A visit just recorded: ``(*, actor, visit) -> bool``, true when something on the visit page waits for the
# nurse (an open crisis case to link), so the visit page is shown rather than the client's.
visit_recorded = Hook("visits.visit_recorded")

# PrEP the client was given at other clinics: ``(client) -> rows of (service date, PrepEventType, months)``
# (the network's shared continuity), so a start here is no initiation.
prep_elsewhere = Hook("visits.prep_elsewhere")

# The referral slips a visit redeems, provided by outreach: an object with ``normalise_code(text) -> str |
# None``, ``redeemable(code, *, client, on, visit_id=None)`` (raises Invalid on ``referral_code``),
# ``complete(referral, *, visit)`` and ``release(visit)``, all in the visit's unit of work.
referrals = Slot("visits.referrals")
