"""HIV testing: HTS_TST, HTS_SELF and the programme's count of HIV tests."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, select, union_all

from clinic_app.clients.models import Client
from clinic_app.outreach.models import OutreachContact
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, visit_facts
from clinic_app.screening.models import HivTest
from clinic_app.visits import clinical
from clinic_app.visits.models import SelfTestKit, Visit


def hts_tst(window: Window):
    return (
        visit_facts(
            HivTest.modality.label("modality"),
            HivTest.final_result.label("result"),
            literal(1).label("weight"),
            window=window,
        )
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(clinical.test_result_given_sql())
    )


HTS_TST = Indicator(
    "HTS_TST",
    _l("HTS_TST: HIV tests with a result given"),
    _l(
        "Each test whose final result (by the national algorithm) was given to the client. Clients "
        "already known positive are not counted; inconclusive results are not reported."
    ),
    "events",
    ("modality", "result", "sex", "age_band", "kp_type"),
    hts_tst,
)


def hiv_tests_all(window: Window):
    return (
        visit_facts(HivTest.final_result.label("result"), literal(1).label("weight"), window=window)
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(HivTest.final_result.is_not(None))
    )


HIV_TESTS = Indicator(
    "HIV_TESTS",
    _l("HIV tests and results"),
    _l("Every HIV test with a final result, given to the client or not."),
    "events",
    ("result", "sex", "kp_type"),
    hiv_tests_all,
)


def hts_self(window: Window):
    clinic_rows = [
        visit_facts(
            SelfTestKit.distribution.label("distribution"),
            literal(recipient).label("recipient"),
            getattr(SelfTestKit, column).label("weight"),
            window=window,
        )
        .join(SelfTestKit, SelfTestKit.visit_id == Visit.id)
        .where(getattr(SelfTestKit, column) > 0)
        for recipient, column in (("self", "for_self"), ("partner", "for_partner"), ("other", "for_other"))
    ]
    outreach = (
        select(
            Client.sex.label("sex"),
            Client.date_of_birth.label("dob"),
            Client.key_population.label("kp"),
            OutreachContact.contact_date.label("on_date"),
            literal("unassisted").label("distribution"),
            literal("not_recorded").label("recipient"),
            OutreachContact.self_test_kits.label("weight"),
        )
        .outerjoin(Client, Client.id == OutreachContact.client_id)
        .where(
            window.dates(OutreachContact.contact_date),
            window.clinics(OutreachContact.clinic_id),
            OutreachContact.self_test_kits > 0,
        )
    )
    return union_all(*clinic_rows, outreach)


HTS_SELF = Indicator(
    "HTS_SELF",
    _l("HTS_SELF: HIV self-test kits distributed"),
    _l(
        "Kits handed out at the clinic (assisted or unassisted, by who they are for) and by peer "
        "educators at outreach (recipient not recorded)."
    ),
    "kits",
    ("distribution", "recipient", "sex", "age_band"),
    hts_self,
)
