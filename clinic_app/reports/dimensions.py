"""Disaggregations: which fact column each one reads and its categories in order.

A format may relabel and merge categories (``map``: code -> label, ``order``);
otherwise the labels of the coded values are used. Age bands come from the format.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.crisis.fund_models import FundPurpose
from clinic_app.crisis.models import ActionKind, ActionStatus, CaseOutcome, Perpetrator, Violation
from clinic_app.outreach.models import ContactKind, ReferralService
from clinic_app.screening.models import CervicalResult, CervicalTreatment, CervicalVisitType, HivResult, TestingModality
from clinic_app.visits.models import Commodity, PepExposure, PrepDistribution, SelfTestDistribution, VisitType

UNKNOWN = "unknown"
# Response actions that are steps of the response, not services given to the survivor.
NOT_SERVICES = ("crt_notified", "first_contact")


@dataclass(frozen=True)
class Dimension:
    name: str
    title: object
    categories: tuple  # (code, label) in display order; UNKNOWN is added when data needs it


def _coded(enum) -> tuple:
    return tuple((m.value, m.label) for m in enum)


DIMENSIONS = {
    d.name: d
    for d in (
        Dimension("sex", _l("Sex"), _coded(Sex)),
        Dimension("age_band", _l("Age"), ()),
        Dimension("kp_type", _l("Key population"), _coded(KeyPopulation)),
        Dimension("modality", _l("Modality"), _coded(TestingModality)),
        Dimension("result", _l("Result"), _coded(HivResult) + (("not_tested", _l("Not tested at that visit")),)),
        Dimension(
            "testing_status",
            _l("HIV testing status"),
            (
                ("known_positive", _l("Known positive")),
                ("tested_or_referred", _l("Newly tested or referred")),
                ("declined", _l("Declined testing")),
            ),
        ),
        Dimension("distribution", _l("Distribution"), _coded(SelfTestDistribution)),
        Dimension(
            "recipient",
            _l("For"),
            (
                ("self", _l("Self")),
                ("partner", _l("Sexual partner")),
                ("other", _l("Other")),
                ("not_recorded", _l("Not recorded (outreach)")),
            ),
        ),
        Dimension(
            "prep_type",
            _l("PrEP type"),
            (("oral", _l("Oral")), ("injectable", _l("Injectable")), ("other", _l("Other (ring)"))),
        ),
        Dimension("prep_distribution", _l("PrEP distribution"), _coded(PrepDistribution)),
        Dimension(
            "test_outcome",
            _l("Test"),
            (("inconclusive", _l("Inconclusive")), ("not_given", _l("Result not given"))),
        ),
        Dimension("timeliness", _l("Redeemed"), (("on_time", _l("On time")), ("late", _l("Late")))),
        Dimension("screening_type", _l("Screening visit"), _coded(CervicalVisitType)),
        Dimension("cx_result", _l("Screening result"), _coded(CervicalResult)),
        Dimension("treatment", _l("Treatment"), _coded(CervicalTreatment)[1:]),
        Dimension(
            "violence_type",
            _l("Violence"),
            (("sexual", _l("Sexual violence")), ("physical_emotional", _l("Physical or emotional violence"))),
        ),
        Dimension("pep_given", _l("PEP given"), (("yes", _l("PEP given")), ("no", _l("No PEP")))),
        Dimension("visit_type", _l("Visit"), _coded(VisitType)),
        Dimension("treated", _l("Treatment given"), (("yes", _l("Treated")), ("no", _l("Not treated")))),
        Dimension("exposure", _l("Exposure"), _coded(PepExposure)),
        Dimension("item", _l("Item"), _coded(Commodity)),
        Dimension("channel", _l("Where"), (("clinic", _l("At the clinic")), ("outreach", _l("At outreach")))),
        Dimension("contact_kind", _l("Contact"), _coded(ContactKind)),
        Dimension(
            "trainee",
            _l("Trained"),
            (
                ("client", _l("Clients")),
                ("peer_educator", _l("Peer educators")),
                ("staff", _l("Other staff")),
                ("other", _l("Others (head count)")),
            ),
        ),
        Dimension("service", _l("Referred for"), _coded(ReferralService)),
        # Crisis cases (the crisis report): sites and months are the labels the data holds.
        Dimension("site", _l("Site"), ()),
        Dimension("month", _l("Month"), ()),
        Dimension("violation", _l("Violation"), _coded(Violation)),
        Dimension("perpetrator", _l("Perpetrator"), _coded(Perpetrator)),
        Dimension(
            "contact_time",
            _l("First contact"),
            (
                ("1h", _l("Within 1 hour")),
                ("6h", _l("1 to 6 hours")),
                ("24h", _l("6 to 24 hours")),
                ("later", _l("After 24 hours")),
                ("none", _l("No first contact recorded")),
            ),
        ),
        Dimension(
            "pep_timing",
            _l("PEP"),
            (
                ("within_72h", _l("PEP within 72 hours")),
                ("after_72h", _l("PEP after 72 hours")),
                ("not_given", _l("No PEP recorded")),
            ),
        ),
        Dimension(
            "response", _l("Service"), tuple((k.value, k.label) for k in ActionKind if k.value not in NOT_SERVICES)
        ),
        Dimension("delivery", _l("Given"), _coded(ActionStatus)),
        Dimension("case_outcome", _l("Outcome"), _coded(CaseOutcome) + (("open", _l("Still open")),)),
        Dimension("fund_purpose", _l("Paid for"), _coded(FundPurpose)),
        Dimension("currency", _l("Currency"), ()),
    )
}

# The fact column each dimension reads (age_band is computed from dob and on_date).
COLUMN = {"sex": "sex", "kp_type": "kp"}


def column_of(name: str) -> str:
    return COLUMN.get(name, name)
