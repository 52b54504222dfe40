"""PrEP: PrEP_NEW and PrEP_CT."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, literal, select

from clinic_app.clients.models import Client
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, latest_per_person, visit_facts
from clinic_app.screening.models import HivTest
from clinic_app.visits.models import PrepEvent, PrepEventType, Visit


def prep_new(window: Window):
    query = (
        visit_facts(literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(PrepEvent.event == PrepEventType.INITIATION)
    )
    return latest_per_person(query, (Visit.service_date.asc(),))


PREP_NEW = Indicator(
    "PrEP_NEW",
    _l("PrEP_NEW: newly started on PrEP"),
    _l("People whose first ever PrEP initiation falls in the period; age at initiation."),
    "people",
    ("sex", "age_band", "kp_type"),
    prep_new,
)


def prep_ct(window: Window):
    started_here = (
        select(Visit.client_id)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(
            PrepEvent.event == PrepEventType.INITIATION,
            window.dates(Visit.service_date),
            window.clinics(Visit.clinic_id),
        )
    )
    result = case((HivTest.final_result.is_(None), "not_tested"), else_=HivTest.final_result)
    query = (
        visit_facts(result.label("result"), literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .where(PrepEvent.event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)), Client.id.not_in(started_here))
    )
    return latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


PREP_CT = Indicator(
    "PrEP_CT",
    _l("PrEP_CT: PrEP follow-up or restart"),
    _l(
        "People with a PrEP follow-up, refill or restart in the period, excluding those started in the "
        "period; counted once, by the HIV test result at their latest such visit."
    ),
    "people",
    ("result", "sex", "age_band", "kp_type"),
    prep_ct,
)
