"""HIV testing: HTS_TST, HTS_SELF and the programme's count of HIV tests."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select, union_all

from clinic_app.clients.models import Client
from clinic_app.outreach.models import OutreachContact
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import Indicator, period_of, span, visit_facts
from clinic_app.reports.models import ReportVisit
from clinic_app.screening.models import HivResult, HivTest, PreviousHivStatus
from clinic_app.visits.models import SelfTestKit, Visit


def _hts_tst(windows: tuple[Window, ...]):
    """Tests with a result given, from the report facts (one visit row each; the result is set only then)."""
    visit = ReportVisit
    window = span(windows)
    return select(
        period_of(windows, visit.service_date).label("period"),
        visit.sex.label("sex"),
        visit.dob.label("dob"),
        visit.kp.label("kp"),
        visit.service_date.label("on_date"),
        visit.hts_modality.label("modality"),
        visit.hts_result.label("result"),
        literal(1).label("weight"),
    ).where(visit.hts_result.is_not(None), window.dates(visit.service_date), window.clinics(visit.clinic_id))


def hts_tst(window: Window):
    return _hts_tst((window,))


HTS_TST = Indicator(
    "HTS_TST",
    _l("HTS_TST: HIV tests with a result given"),
    _l(
        "Each HIV test, on the date of the visit it was done at, whose final result by the national "
        "algorithm (negative, or positive confirmed by the algorithm's assays) was given to the client. "
        "The algorithm is the one the settings choose for the clinic's country: with two tests, reactive then "
        "non-reactive is inconclusive (retest in 14 days); with a tie-breaker, a third assay settles it as "
        "that country's algorithm says (negative when non-reactive; positive, or inconclusive with a retest "
        "date, when reactive). "
        "A client who was already known positive is not newly tested and is not counted; an inconclusive "
        "result or a result not given is not a result (the programme report shows them as their own rows). "
        "Modalities: KP clinic, VCT, STI clinic and other PITC (facility), mobile outreach and social network "
        "testing (community). Index testing is not offered to key populations: PEPFAR guidance halts it for "
        "them, and the visit form refuses it for a client recorded as a key population. Age on the test date."
    ),
    "events",
    ("modality", "result", "sex", "age_band", "kp_type"),
    hts_tst,
    trend_facts=_hts_tst,
)


HIV_TESTS = Indicator(
    "HIV_TESTS",
    _l("HIV tests with a result given"),
    _l(
        "The HTS_TST count: each test on its visit date with a negative or positive result given to the "
        "client, not counting clients already known positive. Equal to the MER HTS_TST total for the same "
        "period and clinics."
    ),
    "events",
    ("result", "sex", "kp_type"),
    hts_tst,
    trend_facts=_hts_tst,
)


def hiv_tests_without_result(window: Window):
    not_given = and_(
        HivTest.final_result.in_((HivResult.NEGATIVE, HivResult.POSITIVE)),
        HivTest.result_received.is_(False),
        HivTest.previous_status != PreviousHivStatus.KNOWN_POSITIVE,
    )
    outcome = case((HivTest.final_result == HivResult.INCONCLUSIVE, "inconclusive"), else_="not_given")
    return (
        visit_facts(outcome.label("test_outcome"), literal(1).label("weight"), window=window)
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(or_(HivTest.final_result == HivResult.INCONCLUSIVE, not_given))
    )


HIV_TESTS_OTHER = Indicator(
    "HIV_TESTS_OTHER",
    _l("HIV tests without a result given"),
    _l(
        "Tests done at a visit in the period that are not in HTS_TST: inconclusive by the national algorithm "
        "(to be retested), or a negative or positive result the client has not received. On the visit date."
    ),
    "events",
    ("test_outcome", "sex", "kp_type"),
    hiv_tests_without_result,
)


RECIPIENTS = (("self", "for_self"), ("partner", "for_partner"), ("other", "for_other"))


def hts_self(window: Window):
    # The window's kits first, kept apart (MATERIALIZED), then their clients: joined in one query, SQLite
    # looked up the client of every visit of the period before its kits (0.56 s of 1M visits' MER report).
    kits = (
        select(
            Visit.client_id,
            Visit.service_date,
            SelfTestKit.distribution,
            *[getattr(SelfTestKit, c) for _, c in RECIPIENTS],
        )
        .join(SelfTestKit, SelfTestKit.visit_id == Visit.id)
        .where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id))
        .cte("kits")
        .prefix_with("MATERIALIZED")
    )
    clinic_rows = [
        select(
            *person_columns(),
            kits.c.service_date.label("on_date"),
            kits.c.distribution.label("distribution"),
            literal(recipient).label("recipient"),
            literal("clinic").label("channel"),
            kits.c[column].label("weight"),
        )
        .join(Client, Client.id == kits.c.client_id)
        .where(kits.c[column] > 0)
        for recipient, column in RECIPIENTS
    ]
    by_recipient = OutreachContact.kits_for_self + OutreachContact.kits_for_partner + OutreachContact.kits_for_other

    def outreach(recipient, weight, *where):
        return (
            select(
                Client.sex.label("sex"),
                Client.date_of_birth.label("dob"),
                Client.key_population.label("kp"),
                OutreachContact.contact_date.label("on_date"),
                func.coalesce(OutreachContact.self_test_distribution, "unassisted").label("distribution"),
                literal(recipient).label("recipient"),
                literal("outreach").label("channel"),
                weight.label("weight"),
            )
            .outerjoin(Client, Client.id == OutreachContact.client_id)
            .where(window.dates(OutreachContact.contact_date), window.clinics(OutreachContact.clinic_id), *where)
        )

    community = [outreach(r, getattr(OutreachContact, f"kits_{c}"), getattr(OutreachContact, f"kits_{c}") > 0)
                 for r, c in RECIPIENTS]  # fmt: skip
    # Contacts recorded before the recipients were asked: the total, recipient not recorded.
    earlier = outreach(
        "not_recorded", OutreachContact.self_test_kits, OutreachContact.self_test_kits > 0, by_recipient == 0
    )
    return union_all(*clinic_rows, *community, earlier)


HTS_SELF = Indicator(
    "HTS_SELF",
    _l("HTS_SELF: HIV self-test kits distributed"),
    _l(
        "Self-test kits handed out in the period, counted as kits (not people), on the day they were "
        "handed out, assisted or unassisted, by who they are for (the person, a sexual partner, others): at "
        "a clinic visit, and by peer educators at outreach contacts without a clinic visit (community "
        "distribution, one person or a small group). Contacts recorded before outreach asked who the kits "
        "were for count as unassisted, recipient not recorded. Age and sex of the person they were handed "
        "to, when known (a group's kits: unknown)."
    ),
    "kits",
    ("distribution", "recipient", "channel", "sex", "age_band"),
    hts_self,
)
