"""Cervical cancer: CXCA_SCRN, its screen positives, CXCA_TX, and the programme's screenings of all clients."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import literal

from clinic_app.clients.models import Client
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, latest_per_person, visit_facts
from clinic_app.screening.models import CervicalScreening
from clinic_app.visits import clinical
from clinic_app.visits.models import Visit


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
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date)
    )
    return _latest(query)


CXCA_SCRN = Indicator(
    "CXCA_SCRN",
    _l("CXCA_SCRN: women living with HIV on ART screened"),
    _l(
        "Women living with HIV on ART with a completed cervical screen in the period (an HPV-positive "
        "screen needs its triage result), counted once by their latest screen."
    ),
    "people",
    ("screening_type", "cx_result", "age_band"),
    cxca_scrn,
)


def cxca_screen_positive(window: Window):
    query = _screens(window, literal(1).label("weight")).where(
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date), clinical.screen_positive_sql()
    )
    return _latest(query)


CXCA_SCRN_POS = Indicator(
    "CXCA_SCRN_POS",
    _l("CXCA screen positives (CXCA_TX denominator)"),
    _l("Women living with HIV on ART whose latest completed screen in the period was positive or suspected cancer."),
    "people",
    ("screening_type", "cx_result"),
    cxca_screen_positive,
)


def cxca_tx(window: Window):
    return _screens(window, CervicalScreening.treatment.label("treatment"), literal(1).label("weight")).where(
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date), clinical.precancer_treated_sql()
    )


CXCA_TX = Indicator(
    "CXCA_TX",
    _l("CXCA_TX: screen-positive women treated"),
    _l(
        "Treatments (cryotherapy, thermal ablation, LEEP) given to screen-positive women living with "
        "HIV on ART, by the screening visit type."
    ),
    "events",
    ("treatment", "screening_type"),
    cxca_tx,
)


def cervical_all(window: Window):
    return _latest(_screens(window, literal(1).label("weight")))


CERVICAL_ALL = Indicator(
    "CERVICAL_ALL",
    _l("Cervical screenings of all clients"),
    _l("Clients of any HIV status with a completed cervical screen in the period, once each."),
    "people",
    ("cx_result", "screening_type", "age_band"),
    cervical_all,
)
