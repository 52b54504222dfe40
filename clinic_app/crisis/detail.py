"""What the case page shows, gathered in one place (the view stays thin, the template reads plain values).

No HIV status or clinical record appears here for anyone: clinical roles get the linked visits' dates and a
link to the client's record, which has its own permission and audit.
"""

from sqlalchemy import select

from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.forms import choice_list
from clinic_app.crisis import services
from clinic_app.crisis.access import coordinates
from clinic_app.crisis.alerts import alert_text
from clinic_app.crisis.forms import ActionForm, AssignForm, CloseForm, ConsentForm, FollowUpForm
from clinic_app.crisis.lists import case_row
from clinic_app.crisis.models import CaseVisit, ConsentPurpose, CrisisCase
from clinic_app.extensions import db
from clinic_app.visits.models import Visit


def consent_rows(case: CrisisCase) -> list[tuple[ConsentPurpose, object, list]]:
    """Per purpose: the consent in force (or None) and its history (given / withdrawn, with times)."""
    return [
        (purpose, case.consent_for(purpose), [c for c in case.consents if c.purpose == purpose])
        for purpose in ConsentPurpose
    ]


def linked_visits(case: CrisisCase) -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit).join(CaseVisit, CaseVisit.visit_id == Visit.id).where(CaseVisit.case_id == case.id)
        )
    )


def case_page(actor: Actor, case: CrisisCase, reason: str | None, **forms) -> dict:
    now = utcnow()
    row = case_row(case, now)
    responders = services.responders_for(actor)
    choices = choice_list([(str(u.id), f"{u.display_name} · {u.role.label}") for u in responders])
    follow_up_form = forms.get("follow_up_form") or FollowUpForm(formdata=None)
    follow_up_form.assigned_to_id.choices = choices
    if not follow_up_form.assigned_to_id.data:
        follow_up_form.assigned_to_id.data = str(actor.id)
    assign_form = forms.get("assign_form") or AssignForm(formdata=None)
    assign_form.user_id.choices = choices
    action_form = forms.get("action_form") or ActionForm(formdata=None)
    if action_form.done_on.data is None and not action_form.errors:
        action_form.done_on.data = services.actor_today(actor)
    coordinator = coordinates(actor)
    return {
        "case": case,
        "row": row,
        "reason": reason,
        "coordinator": coordinator,
        "consents": consent_rows(case),
        "active_assignments": [a for a in case.assignments if a.ended_at is None],
        "alert": alert_text(case, now, row.pep == "pending") if coordinator else None,
        "visits": linked_visits(case) if actor.can("visits.list") else [],
        "action_form": action_form,
        "follow_up_form": follow_up_form,
        "consent_form": forms.get("consent_form") or ConsentForm(formdata=None),
        "assign_form": assign_form,
        "close_form": forms.get("close_form") or CloseForm(formdata=None),
        "today": services.actor_today(actor),
    }


def _answer(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "unknown")


def edit_data(case: CrisisCase) -> dict:
    """The case as the edit form's data."""
    return {
        "survivor_kind": case.survivor_kind.value,
        "client_number": case.client.client_number if case.client else "",
        "uic": case.survivor_uic or "",
        "alias": case.survivor_alias or "",
        "violations": [v.value for v in case.violations],
        "perpetrators": [p.value for p in case.perpetrators],
        "perpetrator_count": case.perpetrator_count,
        "incident_on": case.incident_on,
        "incident_time": case.incident_time,
        "hotspot_id": str(case.hotspot_id) if case.hotspot_id else "",
        "place_text": case.place_text or "",
        "town": case.town or "",
        "channel": case.channel.value,
        "safe_now": _answer(case.safe_now),
        "injured": _answer(case.injured),
        "narrative": case.narrative or "",
    }
