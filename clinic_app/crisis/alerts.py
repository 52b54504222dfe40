"""The short alert the coordinator copies into the CRT chat group: no name, number, UIC or exact place."""

from datetime import datetime

from flask_babel import gettext as _

from clinic_app.crisis.models import CrisisCase, Perpetrator, Violation
from clinic_app.visits.clinical import pep_clock


def needs(case: CrisisCase, pep_pending: bool) -> list[str]:
    """What the survivor is likely to need, in words for the chat group."""
    violations, perpetrators = set(case.violations), set(case.perpetrators)
    wanted = []
    if Violation.SEXUAL in violations and pep_pending:
        wanted.append(_("PEP"))
    if violations & {Violation.SEXUAL, Violation.PHYSICAL} or case.injured:
        wanted.append(_("medical care"))
    if violations & {Violation.ARREST, Violation.POLICE_HARASSMENT} or Perpetrator.POLICE in perpetrators:
        wanted.append(_("legal aid"))
    elif violations & {Violation.SEXUAL, Violation.PHYSICAL, Violation.EXTORTION}:
        wanted.append(_("police"))
    if case.safe_now is False or Violation.EVICTION in violations:
        wanted.append(_("a safe place"))
    return wanted


def alert_text(case: CrisisCase, now: datetime, pep_pending: bool = True) -> str:
    """E.g. 'Case K7Q2AC at Beitbridge: sexual violence 3 h ago. Needs PEP, medical care, police.'"""
    what = ", ".join(str(v.label).lower() for v in case.violations) or _("an incident")
    clock = pep_clock(case.incident_on, case.incident_time, case.clinic.timezone, now)
    if case.incident_time is not None:
        when = _("%(h)d h ago", h=clock.hours_since)
    else:
        when = _("on %(day)s", day=case.incident_on.isoformat())
    text = _(
        "Case %(ref)s at %(clinic)s: %(what)s %(when)s.",
        ref=case.reference,
        clinic=case.clinic.name,
        what=what,
        when=when,
    )
    wanted = needs(case, pep_pending)
    if wanted:
        text += " " + _("Needs %(what)s.", what=", ".join(wanted))
    if case.safe_now is False:
        text += " " + _("Not safe now.")
    if case.sexual_violence and pep_pending and clock.inside:
        text += " " + _("PEP window: %(h)d h left.", h=clock.hours_left)
    return text
