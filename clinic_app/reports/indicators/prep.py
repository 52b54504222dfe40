"""PrEP: PrEP_NEW and PrEP_CT, with the MER 2.7 PrEP type and distribution.

Read from the report facts (reports.models): one visit row per PrEP event with its regimen (or the one
last given before it), distribution, HIV result and whether it was a stop for seroconversion; the person
row says when the client's first PrEP record of any kind was.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select

from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, period_of, span
from clinic_app.reports.models import ReportPerson, ReportVisit
from clinic_app.screening.models import HivResult
from clinic_app.visits import clinical
from clinic_app.visits.models import PrepEventType

V, P = ReportVisit, ReportPerson


def _facts(windows, on_date, *extra, order_by):
    """One fact row per person and window (the first by ``order_by``) of the visits the conditions keep."""
    period = period_of(windows, V.service_date).label("period")
    return select(
        period,
        V.sex.label("sex"),
        V.dob.label("dob"),
        V.kp.label("kp"),
        on_date.label("on_date"),
        *extra,
        clinical.prep_type_sql(V.prep_regimen).label("prep_type"),
        V.prep_distribution.label("prep_distribution"),
        literal(1).label("weight"),
        func.row_number().over(partition_by=(period, V.client_id), order_by=order_by).label("rank"),
    )


def _first(query):
    ranked = query.subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1, ranked.c.period.is_not(None))


def _prep_new(windows: tuple[Window, ...]):
    # The hub holds every clinic's records: an initiation recorded where an earlier PrEP record at another
    # clinic was not known (the client had not agreed to share it) is no new start either. An initiation
    # with no earlier PrEP record is dated on the client's first PrEP record of any kind.
    window = span(windows)
    query = (
        _facts(windows, V.service_date, order_by=(V.created_at, V.visit_id))
        .join(P, P.client_id == V.client_id)
        .where(
            V.prep_event == PrepEventType.INITIATION,
            V.service_date == P.prep_first_on,
            window.dates(V.service_date),
            window.clinics(V.clinic_id),
        )
    )
    return _first(query)


def prep_new(window: Window):
    return _prep_new((window,))


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
    trend_facts=_prep_new,
)


def _prep_ct(windows: tuple[Window, ...]):
    # One pass over the PrEP rows of the windows: per person and window, whether any was an initiation
    # (then none counts) and the latest visit that was a return. (An EXISTS looking up each return's
    # initiations by client ran once per PrEP row: the trend took 1.6 s on 1M visits.)
    window = span(windows)
    period = period_of(windows, V.service_date)
    returned = or_(
        V.prep_event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)),
        and_(V.prep_seroconverted.is_(True), V.hiv_final_result == HivResult.POSITIVE),
    )
    is_return = case((returned, 1), else_=0)
    person_period = (period, V.client_id)
    result = case((V.hiv_final_result.is_(None), "not_tested"), else_=V.hiv_final_result)
    rows = (
        select(
            period.label("period"),
            V.sex.label("sex"),
            V.dob.label("dob"),
            V.kp.label("kp"),
            V.service_date.label("on_date"),
            result.label("result"),
            clinical.prep_type_sql(V.prep_regimen).label("prep_type"),
            V.prep_distribution.label("prep_distribution"),
            literal(1).label("weight"),
            is_return.label("is_return"),
            func.max(case((V.prep_event == PrepEventType.INITIATION, 1), else_=0))
            .over(partition_by=person_period)
            .label("started"),
            func.row_number()
            .over(partition_by=person_period, order_by=(is_return.desc(), V.service_date.desc(), V.created_at.desc()))
            .label("rank"),
        )
        .where(V.prep_event.is_not(None), window.dates(V.service_date), window.clinics(V.clinic_id))
        .subquery()
    )
    kept = [c for c in rows.c if c.name not in ("rank", "is_return", "started")]
    return select(*kept).where(rows.c.rank == 1, rows.c.is_return == 1, rows.c.started == 0, rows.c.period.is_not(None))


def prep_ct(window: Window):
    return _prep_ct((window,))


PREP_CT = Indicator(
    "PrEP_CT",
    _l("PrEP_CT: PrEP follow-up or restart"),
    _l(
        "People, other than those with a PrEP initiation in the period, who came back in the period for a "
        "PrEP follow-up (refill) or a restart, once each, by their latest such visit: its date gives the age, "
        "its HIV test the result (positive, negative, other = inconclusive or no test that day). A client who "
        "tests positive at a PrEP follow-up has PrEP stopped that day for seroconversion: that visit counts "
        "here with result positive. Any other stop is not a PrEP visit. PrEP type from the regimen dispensed "
        "(for a seroconversion stop, the one last dispensed before that day; of two visits on one day at two "
        "clinics, the one recorded last); distribution as recorded."
    ),
    "people",
    ("result", "sex", "age_band", "kp_type", "prep_type", "prep_distribution"),
    prep_ct,
    trend_facts=_prep_ct,
)
