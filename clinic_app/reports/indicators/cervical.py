"""Cervical cancer: CXCA_SCRN, its screen positives, CXCA_TX, and the programme's screenings of all clients.

Read from the report facts (reports.models): one visit row per complete screen, with its visit type,
outcome, whether it is within the CXCA ages and its treatment; the person row says from which day a
woman is living with HIV and on ART.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, or_, select

from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator
from clinic_app.reports.models import ReportPerson, ReportVisit
from clinic_app.visits import clinical

V, P = ReportVisit, ReportPerson


def _living_with_hiv_on_art(on):
    """Known positive (a confirmed result or her own statement) and an ART start, on or before ``on``."""
    return and_(or_(P.positive_on <= on, P.stated_positive_on <= on), P.art_started_on <= on)


def _person(on_date):
    return (V.sex.label("sex"), V.dob.label("dob"), V.kp.label("kp"), on_date.label("on_date"))


def _latest(query, order_by):
    """Keep one fact row per person: the first by ``order_by``."""
    ranked = query.add_columns(func.row_number().over(partition_by=V.client_id, order_by=order_by).label("rank"))
    ranked = ranked.subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1)


def _screens(window: Window, *conditions, cxca: bool = True):
    """Complete screens dated in the window, once per woman by her latest (CXCA: of women living with HIV on
    ART on the screening date, within the screening ages)."""
    query = select(
        *_person(V.service_date),
        V.cx_type.label("screening_type"),
        V.cx_result.label("cx_result"),
        literal(1).label("weight"),
    ).where(V.cx_result.is_not(None), window.dates(V.service_date), window.clinics(V.clinic_id), *conditions)
    if cxca:
        query = query.join(P, P.client_id == V.client_id).where(
            V.cx_in_cxca.is_(True), _living_with_hiv_on_art(V.service_date)
        )
    return _latest(query, (V.service_date.desc(), V.created_at.desc()))


def cxca_scrn(window: Window):
    return _screens(window)


CXCA_SCRN = Indicator(
    "CXCA_SCRN",
    _l("CXCA_SCRN: women living with HIV on ART screened"),
    _l(
        "Women living with HIV and on ART on the screening date (a confirmed positive result or her own "
        "statement, and an ART start on or before it) with a completed cervical screen dated in the period "
        "(a result; an HPV-positive screen needs its triage result), once each by their latest screen: its "
        "visit type and result, age on its date. Screens of HIV-negative women, and screens recorded with a "
        "reason outside the screening ages, are not CXCA (the programme's all-clients count has them)."
    ),
    "people",
    ("screening_type", "cx_result", "age_band"),
    cxca_scrn,
)


def cxca_screen_positive(window: Window):
    return _screens(window, V.cx_result.in_(clinical.SCREEN_POSITIVE))


CXCA_SCRN_POS = Indicator(
    "CXCA_SCRN_POS",
    _l("CXCA screen positives (CXCA_TX denominator)"),
    _l(
        "The CXCA_SCRN women whose latest completed screen in the period was positive or suspected cancer, "
        "on the screening date (the screen's quarter, even when treatment falls in the next one)."
    ),
    "people",
    ("screening_type", "cx_result"),
    cxca_screen_positive,
)


def cxca_tx(window: Window):
    """Screen-positive women treated in the window (the treatment date), by the screen that was treated."""
    query = (
        select(
            *_person(V.cx_treated_on),
            V.cx_treatment.label("treatment"),
            V.cx_type.label("screening_type"),
            literal(1).label("weight"),
        )
        .join(P, P.client_id == V.client_id)
        .where(
            V.cx_treated_on.is_not(None),
            window.dates(V.cx_treated_on),
            window.clinics(V.clinic_id),
            V.cx_result.in_(clinical.SCREEN_POSITIVE),
            V.cx_in_cxca.is_(True),
            _living_with_hiv_on_art(V.service_date),
        )
    )
    return _latest(query, (V.cx_treated_on.desc(), V.created_at.desc()))


CXCA_TX = Indicator(
    "CXCA_TX",
    _l("CXCA_TX: screen-positive women treated"),
    _l(
        "Screen-positive women living with HIV and on ART (on the screening date) who received cryotherapy, "
        "thermal ablation or LEEP with the treatment date in the period, whenever they were screened: a woman "
        "screened on 30 September and treated on 1 October counts in October's quarter. Counted on the "
        "treatment date: the same day as the screen, the date of the later visit at which the treatment "
        "of that screen was recorded (referred, then treated), or a treatment date recorded on the screen "
        "itself; once each, with the screening visit type of the screen that was treated; age on the "
        "treatment date."
    ),
    "people",
    ("treatment", "screening_type", "age_band"),
    cxca_tx,
)


def cervical_all(window: Window):
    return _screens(window, cxca=False)


CERVICAL_ALL = Indicator(
    "CERVICAL_ALL",
    _l("Cervical screenings of all clients"),
    _l(
        "Clients of any HIV status and age with a completed cervical screen dated in the period, once each "
        "by their latest screen, including screens recorded with a reason outside the screening ages."
    ),
    "people",
    ("cx_result", "screening_type", "age_band"),
    cervical_all,
)
