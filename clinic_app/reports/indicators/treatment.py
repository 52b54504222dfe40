"""Treatment: TX_NEW."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, select

from clinic_app.clients.models import Client
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import Indicator, latest_per_person
from clinic_app.screening.models import ArtSite, HivTest
from clinic_app.visits.models import Visit


def tx_new(window: Window):
    query = (
        select(*person_columns(), HivTest.art_started_on.label("on_date"), literal(1).label("weight"))
        .select_from(HivTest)
        .join(Visit, Visit.id == HivTest.visit_id)
        .join(Client, Client.id == Visit.client_id)
        .where(
            window.dates(HivTest.art_started_on),
            window.clinics(Visit.clinic_id),
            HivTest.art_site == ArtSite.THIS_CLINIC,
        )
    )
    return latest_per_person(query, (HivTest.art_started_on.asc(),))


TX_NEW = Indicator(
    "TX_NEW",
    _l("TX_NEW: newly started on ART here"),
    _l(
        "People started on ART at this clinic with the ART start date in the period (recorded at the visit "
        "of the positive test or a later one), once each, on that date: age on the start date (MER bands up "
        "to 65+), key population type from the client's record. ART started at another facility is that "
        "facility's TX_NEW."
    ),
    "people",
    ("sex", "age_band", "kp_type"),
    tx_new,
)
