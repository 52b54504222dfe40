"""PrEP: PrEP_NEW and PrEP_CT, with the MER 2.7 PrEP type and distribution."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from clinic_app.clients.models import Client
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, latest_per_person, visit_facts
from clinic_app.screening.models import HivResult, HivTest
from clinic_app.visits import clinical
from clinic_app.visits.models import PrepEvent, PrepEventType, Visit


def _kind_and_place(regimen):
    return (
        clinical.prep_type_sql(regimen).label("prep_type"),
        PrepEvent.distribution.label("prep_distribution"),
    )


def prep_new(window: Window):
    # The hub holds every clinic's records: an initiation recorded where an earlier PrEP record at another
    # clinic was not known (the client had not agreed to share it) is no new start either.
    earlier_visit, earlier_prep = aliased(Visit), aliased(PrepEvent)
    on_prep_before = (
        select(earlier_prep.id)
        .join(earlier_visit, earlier_visit.id == earlier_prep.visit_id)
        .where(earlier_visit.client_id == Visit.client_id, earlier_visit.service_date < Visit.service_date)
        .exists()
    )
    query = (
        visit_facts(*_kind_and_place(PrepEvent.regimen), literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(PrepEvent.event == PrepEventType.INITIATION, ~on_prep_before)
    )
    return latest_per_person(query, (Visit.service_date.asc(),))


PREP_NEW = Indicator(
    "PrEP_NEW",
    _l("PrEP_NEW: newly started on PrEP"),
    _l(
        "People whose PrEP initiation (first PrEP ever, anywhere: the visit form refuses an initiation for "
        "anyone with an earlier PrEP record) is dated in the period, once each, on the initiation date; age "
        "at initiation (a client who turns 20 after starting stays 15-19). PrEP type from the regimen "
        "started (oral TDF/FTC or TDF/3TC, injectable CAB-LA, other: the dapivirine ring); distribution as "
        "recorded (at the clinic, or in the community)."
    ),
    "people",
    ("sex", "age_band", "kp_type", "prep_type", "prep_distribution"),
    prep_new,
)


def _last_regimen():
    """The regimen last dispensed before this visit (a seroconversion stop dispenses none)."""
    earlier_visit, earlier = aliased(Visit), aliased(PrepEvent)
    return (
        select(earlier.regimen)
        .join(earlier_visit, earlier_visit.id == earlier.visit_id)
        .where(
            earlier_visit.client_id == Visit.client_id,
            earlier_visit.service_date < Visit.service_date,
            earlier.regimen.is_not(None),
        )
        .order_by(earlier_visit.service_date.desc())
        .limit(1)
        .scalar_subquery()
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
    returned = or_(
        PrepEvent.event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)),
        and_(clinical.seroconversion_stop_sql(), HivTest.final_result == HivResult.POSITIVE),
    )
    result = case((HivTest.final_result.is_(None), "not_tested"), else_=HivTest.final_result)
    regimen = func.coalesce(PrepEvent.regimen, _last_regimen())
    query = (
        visit_facts(result.label("result"), *_kind_and_place(regimen), literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .where(returned, Client.id.not_in(started_here))
    )
    return latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


PREP_CT = Indicator(
    "PrEP_CT",
    _l("PrEP_CT: PrEP follow-up or restart"),
    _l(
        "People, other than those with a PrEP initiation in the period, who came back in the period for a "
        "PrEP follow-up (refill) or a restart, once each, by their latest such visit: its date gives the age, "
        "its HIV test the result (positive, negative, other = inconclusive or no test that day). A client who "
        "tests positive at a PrEP follow-up has PrEP stopped that day for seroconversion: that visit counts "
        "here with result positive. Any other stop is not a PrEP visit. PrEP type from the regimen dispensed "
        "(for a seroconversion stop, the one last dispensed); distribution as recorded."
    ),
    "people",
    ("result", "sex", "age_band", "kp_type", "prep_type", "prep_distribution"),
    prep_ct,
)
