"""Violence: GEND_GBV."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, literal, or_

from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, latest_per_person, visit_facts
from clinic_app.visits.models import PepCourse, PepExposure, Visit, VisitReason, VisitReasonRow


def gend_gbv(window: Window):
    sexual = PepCourse.exposure == PepExposure.SEXUAL_VIOLENCE
    violence_visit = Visit.reason_rows.any(VisitReasonRow.reason == VisitReason.VIOLENCE)
    query = (
        visit_facts(
            case((sexual, "sexual"), else_="physical_emotional").label("violence_type"),
            case((sexual, "yes"), else_="no").label("pep_given"),
            literal(1).label("weight"),
            window=window,
        )
        .outerjoin(PepCourse, PepCourse.visit_id == Visit.id)
        .where(or_(sexual, violence_visit))
    )
    # Both kinds of violence in the period count as sexual: the sexual-violence visit ranks first.
    return latest_per_person(query, (case((sexual, 0), else_=1), Visit.service_date.desc()))


GEND_GBV = Indicator(
    "GEND_GBV",
    _l("GEND_GBV: post-violence clinical care"),
    _l(
        "People given clinical care after violence (a violence-support visit or PEP after sexual "
        "violence), once each; both kinds count as sexual violence. PEP given is a sub-count."
    ),
    "people",
    ("violence_type", "pep_given", "sex", "age_band"),
    gend_gbv,
)
