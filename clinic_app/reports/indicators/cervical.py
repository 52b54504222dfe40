"""Cervical cancer: CXCA_SCRN, its screen positives, CXCA_TX, and the programme's screenings of all clients."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select

from clinic_app.clients.models import Client
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import Indicator, latest_per_person, visit_facts
from clinic_app.screening.models import CervicalScreening
from clinic_app.visits import clinical
from clinic_app.visits.models import Visit


def _in_cxca():
    """CXCA counts screens within the screening ages: one recorded outside them (with its reason) does not."""
    return CervicalScreening.outside_age_reason.is_(None)


def _screens(window: Window, *extra):
    return (
        visit_facts(
            CervicalScreening.screening_type.label("screening_type"),
            clinical.cervical_outcome_sql().label("cx_result"),
            *extra,
            window=window,
        )
        .join(CervicalScreening, CervicalScreening.visit_id == Visit.id)
        .where(clinical.cervical_complete_sql())
    )


def _latest(query):
    return latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


def cxca_scrn(window: Window):
    query = _screens(window, literal(1).label("weight")).where(
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date), _in_cxca()
    )
    return _latest(query)


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
    query = _screens(window, literal(1).label("weight")).where(
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date), clinical.screen_positive_sql(), _in_cxca()
    )
    return _latest(query)


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


def treated_on():
    """The treatment date: as recorded, else (same-day treatment recorded before dates were kept) the screen's."""
    return func.coalesce(CervicalScreening.treated_on, Visit.service_date)


def cxca_tx(window: Window):
    query = (
        select(
            *person_columns(),
            treated_on().label("on_date"),
            CervicalScreening.treatment.label("treatment"),
            CervicalScreening.screening_type.label("screening_type"),
            literal(1).label("weight"),
        )
        .select_from(CervicalScreening)
        .join(Visit, Visit.id == CervicalScreening.visit_id)
        .join(Client, Client.id == Visit.client_id)
        .where(
            clinical.precancer_treated_sql(),
            clinical.screen_positive_sql(),
            window.dates(treated_on()),
            window.clinics(Visit.clinic_id),
            clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date),
            _in_cxca(),
        )
    )
    return latest_per_person(query, (treated_on().desc(), Visit.created_at.desc()))


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
    return _latest(_screens(window, literal(1).label("weight")))


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
