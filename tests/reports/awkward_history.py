"""A second hand-counted history, recorded through the app's own services (the visit service, the
outreach contact and referral services, and a correction of an earlier visit), as a nurse and a peer
educator at Beitbridge would record it, each on the day it happened.

The quarter under test is FY2026Q1 = calendar 2025Q4 = 2025-10-01 .. 2025-12-31; FY2025Q4 and FY2026Q2
are checked for what falls either side. Every client is a female sex worker unless said otherwise.
The expected cells in tests/reports/test_awkward_history.py were counted by hand from this list
before the code was run:

  P1   born 1990-05-05  2025-09-30 HIV neg (KP clinic) + 10 condoms      (the day before the quarter)
                        2025-10-01 20 condoms, no test                     (first day: a visit, no test)
                        2025-12-31 HIV neg (VCT) + 5 lubricant             (last day, 35)
                        2026-01-01 5 condoms                                (the day after)
  P2   born 2005-11-15  2025-10-20 HIV neg (KP clinic) + PrEP initiation oral (19)
                        2025-11-20 HIV neg (KP clinic) + PrEP refill       (20: birthday inside the quarter)
  P3   born 1996-02-29  2026-02-28 HIV neg (KP clinic) + condoms           (29: the leap-day birthday not reached)
  P3b  born 1996-02-29  2026-03-01 HIV neg (KP clinic) + condoms           (30: counts on 1 March)
  P4   born 1995-06-15  2025-07-01 HIV neg + PrEP initiation oral
                        2025-11-03 HIV positive at her PrEP visit: PrEP stopped (seroconversion), ART started
                                   here the same day, 10 condoms           (30)
  P5   born 1980-03-03  2023-04-04 HIV positive, ART started here
                        2025-12-29 VIA first screen positive, referred (45)
                        2026-01-08 the thermal ablation recorded on that screen (treated in the next quarter)
  P6   born 1992-01-10  2025-10-14 offered an HIV test, declined; 10 condoms
  P6b  born 1993-07-07  2025-10-16 outreach: 5 condoms, offered a test, declined
                        2025-11-25 HIV neg (SNS) at the clinic, nothing else (32)
  P7   born 1999-09-09  2025-10-03 outreach: HIV test offered (referred) only
                        2025-11-12 outreach: 10 condoms                    (a package over two contacts)
  P7b  born 1998-01-01  2025-09-28 outreach: HIV test offered only       (the quarter before)
                        2025-10-05 outreach: 10 condoms                    (nothing carried over)
  P8   born 1988-08-08  slip R1 (HIV test) issued for her 2025-09-25, valid to 2025-10-25
                        2025-10-06 redeems R1: HIV neg (KP clinic) + 10 lubricant (37)
  P8b  born 1991-04-04  slip R2 (STI, no client) issued 2025-10-02, valid to 2025-11-01
                        2025-11-20 redeems R2 late: STI screening + 10 condoms
       slip R3 (PrEP) issued 2025-12-20, not redeemed
  P9   born 1985-12-01  2024-05-05 HIV positive, ART elsewhere 2024-05-20
                        2025-11-11 known positive, 20 condoms              (turns 40 on 1 December)
  P10  man who has sex with men, born 1968-03-01
                        2025-10-08 HIV positive (VCT), ART started here, 10 condoms (57)
  P11  born 1994-09-09  2025-10-22 HIV inconclusive (reactive, non-reactive, tie-breaker reactive: Zimbabwe's
                                   algorithm in this history is "tiebreaker_inconclusive", retest 2025-11-05)
                                   + 10 condoms
                        2025-11-26 HIV neg, result not given to her
  P12  born 2000-04-04  2025-08-05 HIV neg + PrEP initiation injectable CAB-LA, in the community
                        2025-10-06 HIV neg + CAB-LA refill in the community (25)

  P13  born 1997-06-06  2025-11-14 violence recorded as sexual and physical, no PEP (too late) (28)
  P14  born 1990-02-02  2025-10-10 violence recorded as physical
                        2025-12-05 violence recorded as sexual + PEP after sexual violence (35)
  P15  born 2001-01-01  2025-12-15 PEP after sexual violence, no violence type recorded (24)
  P16  born 1987-07-07  2025-09-29 violence recorded as sexual               (the quarter before)
                        2025-10-02 violence recorded as emotional (38)
  P17  date of birth unknown (registered without a date or an estimate)
                        2025-11-05 HIV neg (KP clinic) + 10 condoms         (age Unknown)
  P18  estimated age 30 at registration on 2025-10-07 (no date known: about 1995-10-07)
                        2025-10-07 HIV neg (KP clinic) + 10 condoms         (30)
  P19  born 1996-06-16  2025-11-18 outreach: 2 self-test kits, assisted: 1 for her, 1 for her partner
                                   (no clinic visit ever; no other service, so not in KP_PREV)
  T1   2025-11-04 rights and safety session: clients P7 and P8, the peer educator and the nurse, 3 others
  T2   2025-12-09 training of trainers: the peer educator again and P7 again
       People trained 2025Q4 by hand: clients 2 (P7 once, P8), peer educators 1 (twice, once), other staff 1
       (the nurse), others 3 (head count).
  P20  born 1993-03-13  2025-06-02 HIV neg + PrEP initiation oral, 1 month (supply to 2025-07-02)
                        2025-11-10 back after months: a refill is refused (a restart); HIV neg + PrEP restart (32)
  P21  born 1989-09-19  2025-07-15 HIV neg + PrEP initiation oral, 3 months (supply to 2025-10-15)
                        2025-10-20 PrEP refill without an HIV test (last one 3 months + 5 days ago): recorded with
                                   the reason "test kits out of stock" (36; PrEP_CT result Other)
  P22  born 1997-12-12  2025-10-28 HIV reactive, non-reactive, tie-breaker non-reactive: negative (KP clinic)
                                   + 10 condoms (27)
  P23  born 1983-08-08  2024-02-02 HIV positive, ART started here
                        2025-09-15 VIA first screen positive, referred (42)
                        2025-10-03 a later visit records her cryotherapy for that screen (CXCA_TX in FY2026Q1,
                                   first screening; no other service, so not in KP_PREV)

GEND_GBV by hand: FY2026Q1 sexual without PEP: P13 (sexual violence without PEP, issue 11 rule 2);
sexual with PEP: P14 (sexual in the period wins over her physical visit, PEP at the second) and P15 (a
PEP course without a recorded type counts as before); physical/emotional without PEP: P16 (her sexual
violence was the quarter before). FY2025Q4: P16 sexual without PEP. Crisis cases are a second source
of GEND_GBV, added with the crisis package.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date

from flask import current_app

from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.clients.services import ClientDetails, register_client
from clinic_app.core.actor import Actor
from clinic_app.outreach import services as outreach
from clinic_app.outreach.trainings import TrainingInput, record_training
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    PreviousHivStatus,
    StiSyndrome,
    TreatmentTiming,
)
from clinic_app.screening.models import TestingModality as Modality
from clinic_app.visits.models import (
    PepExposure,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    Visit,
)
from clinic_app.visits.models import ViolenceType as Violence
from clinic_app.visits.recording import load_sections
from clinic_app.visits.sections import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    ServicesInput,
    StiInput,
    ViolenceInput,
)
from clinic_app.visits.services import VisitInput, record_visit, suggested_visit_type, update_visit

ASSAYS = {
    "negative": (AssayResult.NON_REACTIVE, None),
    "positive": (AssayResult.REACTIVE, AssayResult.REACTIVE),
    "inconclusive": (AssayResult.REACTIVE, AssayResult.NON_REACTIVE),
}


def hiv(result="negative", modality=Modality.FACILITY_KP, **kw) -> HivTestInput:
    screening, confirmatory = ASSAYS[result]
    values = dict(
        previous_status=PreviousHivStatus.NEGATIVE,
        modality=modality,
        screening_result=screening,
        confirmatory_result=confirmatory,
        result_received=True,
    )
    values.update(kw)
    return HivTestInput(**values)


def goods(condoms=0, lubricant=0) -> CommoditiesInput:
    return CommoditiesInput(male_condoms=condoms, lubricant=lubricant)


def pep_after_rape() -> PepInput:
    return PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=20, regimen=PepRegimen.TDF_3TC_DTG)


ORAL = dict(regimen=PrepRegimen.TDF_FTC, months_dispensed=1)
INJECTABLE = dict(regimen=PrepRegimen.CAB_LA, months_dispensed=2, distribution=PrepDistribution.COMMUNITY)


@dataclass
class AwkwardHistory:
    nurse: Actor
    peer: Actor
    people: dict[str, Client] = field(default_factory=dict)
    visits: dict[tuple[str, date], Visit] = field(default_factory=dict)

    def visit(self, name: str, day: date, *, code=None, **sections) -> Visit:
        client = self.people[name]
        data = VisitInput(
            service_date=day,
            visit_type=suggested_visit_type(client, day).value,
            reasons=["general"],
            referral_code=code,
        )
        recorded = record_visit(
            actor=self.nurse, client=client, data=data, services=ServicesInput(**sections), today=day
        )
        self.visits[(name, day)] = recorded
        return recorded

    def contact(self, name: str, day: date, **given):
        data = outreach.ContactInput(
            contact_date=day, kind="individual", client_number=self.people[name].client_number, **given
        )
        return outreach.record_contact(actor=self.peer, data=data, submission_key=uuid.uuid4(), today=day)[0]

    def training(self, day: date, topic: str, names: list[str], *, staff=(), others=0):
        data = TrainingInput(
            held_on=day,
            topic=topic,
            facilitator="Programme officer",
            client_numbers=", ".join(self.people[n].client_number for n in names),
            other_attendees=others,
            staff_ids=[str(user.id) for user in staff],
        )
        return record_training(actor=self.nurse, data=data, submission_key=uuid.uuid4(), today=day)[0]

    def slip(self, service: str, day: date, name: str | None = None):
        number = self.people[name].client_number if name else None
        return outreach.issue_referral(
            actor=self.peer, service=service, client_number=number, submission_key=uuid.uuid4(), today=day
        )[0]


def build_awkward_history(make, clinic) -> AwkwardHistory:
    # Beitbridge's country settles reactive then non-reactive with a third assay in this history.
    current_app.config["HIV_TESTING_ALGORITHMS"] = {"ZW": "tiebreaker_inconclusive"}
    nurse = make.user(role="nurse", clinic=clinic, username="awkward-nurse")
    peer = make.user(role="peer_educator", clinic=clinic, username="awkward-peer")
    h = AwkwardHistory(nurse=Actor(nurse), peer=Actor(peer))
    born = {
        "P1": date(1990, 5, 5),
        "P2": date(2005, 11, 15),
        "P3": date(1996, 2, 29),
        "P3b": date(1996, 2, 29),
        "P4": date(1995, 6, 15),
        "P5": date(1980, 3, 3),
        "P6": date(1992, 1, 10),
        "P6b": date(1993, 7, 7),
        "P7": date(1999, 9, 9),
        "P7b": date(1998, 1, 1),
        "P8": date(1988, 8, 8),
        "P8b": date(1991, 4, 4),
        "P9": date(1985, 12, 1),
        "P10": date(1968, 3, 1),
        "P11": date(1994, 9, 9),
        "P12": date(2000, 4, 4),
        "P13": date(1997, 6, 6),
        "P14": date(1990, 2, 2),
        "P15": date(2001, 1, 1),
        "P16": date(1987, 7, 7),
        "P19": date(1996, 6, 16),
        "P20": date(1993, 3, 13),
        "P21": date(1989, 9, 19),
        "P22": date(1997, 12, 12),
        "P23": date(1983, 8, 8),
    }
    for n, (name, day) in enumerate(born.items()):
        man = name == "P10"
        h.people[name] = make.client(
            registered_by=nurse,
            sex=Sex.MALE if man else Sex.FEMALE,
            date_of_birth=day,
            key_population=KeyPopulation.MSM if man else KeyPopulation.FSW,
            enrolled_on=date(2023, 1, 1),
            mother=f"M{chr(65 + n)}",
            own=f"O{chr(65 + n)}",
        )

    # P1: either side of the quarter and both of its ends.
    h.visit("P1", date(2025, 9, 30), hiv=hiv(), commodities=goods(10))
    h.visit("P1", date(2025, 10, 1), commodities=goods(20))
    h.visit("P1", date(2025, 12, 31), hiv=hiv(modality=Modality.VCT), commodities=goods(lubricant=5))
    h.visit("P1", date(2026, 1, 1), commodities=goods(5))

    # P2: PrEP started at 19, refilled at 20.
    h.visit("P2", date(2025, 10, 20), hiv=hiv(), prep=PrepInput(PrepEventType.INITIATION, **ORAL))
    h.visit("P2", date(2025, 11, 20), hiv=hiv(), prep=PrepInput(PrepEventType.FOLLOW_UP, **ORAL))

    # P3, P3b: born on 29 February.
    h.visit("P3", date(2026, 2, 28), hiv=hiv(), commodities=goods(10))
    h.visit("P3b", date(2026, 3, 1), hiv=hiv(), commodities=goods(10))

    # P4: positive at a PrEP follow-up.
    h.visit("P4", date(2025, 7, 1), hiv=hiv(), prep=PrepInput(PrepEventType.INITIATION, **ORAL))
    h.visit(
        "P4",
        date(2025, 11, 3),
        hiv=hiv("positive", art_started_on=date(2025, 11, 3), art_site=ArtSite.THIS_CLINIC),
        prep=PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE),
        commodities=goods(10),
    )

    # P5: screened positive in December, treated in January.
    h.visit("P5", date(2023, 4, 4), hiv=hiv("positive", art_started_on=date(2023, 4, 4), art_site=ArtSite.THIS_CLINIC))
    screen = h.visit(
        "P5",
        date(2025, 12, 29),
        cervical=CervicalInput(
            screening_type=CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.POSITIVE
        ),
    )
    treated = load_sections(screen)
    treated.cervical.treatment = CervicalTreatment.THERMAL_ABLATION
    treated.cervical.treatment_timing = TreatmentTiming.REFERRED
    treated.cervical.treated_on = date(2026, 1, 8)
    data = VisitInput(service_date=screen.service_date, visit_type=screen.visit_type.value, reasons=["cervical"])
    update_visit(actor=h.nurse, visit=screen, data=data, services=treated, today=date(2026, 1, 8))

    # P6: declined at the clinic. P6b: declined at outreach, then tested at the clinic.
    h.visit("P6", date(2025, 10, 14), hiv=HivTestInput(previous_status=PreviousHivStatus.UNKNOWN, declined=True),
            commodities=goods(10))  # fmt: skip
    h.contact("P6b", date(2025, 10, 16), male_condoms=5, test_declined=True)
    h.visit("P6b", date(2025, 11, 25), hiv=hiv(modality=Modality.SNS))

    # P7: a package over two contacts. P7b: the referral was last quarter.
    h.contact("P7", date(2025, 10, 3), referral_offered=True)
    h.contact("P7", date(2025, 11, 12), male_condoms=10)
    h.contact("P7b", date(2025, 9, 28), referral_offered=True)
    h.contact("P7b", date(2025, 10, 5), male_condoms=10)

    # P8, P8b: slips redeemed in the quarter, one issued the quarter before, one past its validity.
    r1 = h.slip("hiv_test", date(2025, 9, 25), "P8")
    h.visit("P8", date(2025, 10, 6), code=r1.code, hiv=hiv(), commodities=goods(lubricant=10))
    r2 = h.slip("sti", date(2025, 10, 2))
    h.visit(
        "P8b",
        date(2025, 11, 20),
        code=r2.code,
        sti=StiInput(syndromes=[StiSyndrome.NONE]),
        commodities=goods(10),
    )
    h.slip("prep", date(2025, 12, 20))

    # P9: known positive.
    h.visit(
        "P9",
        date(2024, 5, 5),
        hiv=hiv("positive", art_referred_to="District hospital"),
    )
    h.visit(
        "P9",
        date(2024, 5, 20),
        hiv=HivTestInput(
            previous_status=PreviousHivStatus.KNOWN_POSITIVE,
            art_started_on=date(2024, 5, 20),
            art_site=ArtSite.OTHER_FACILITY,
        ),
    )
    h.visit("P9", date(2025, 11, 11), hiv=HivTestInput(previous_status=PreviousHivStatus.KNOWN_POSITIVE),
            commodities=goods(20))  # fmt: skip

    # P10: 57, started on ART here.
    h.visit(
        "P10",
        date(2025, 10, 8),
        hiv=hiv("positive", Modality.VCT, art_started_on=date(2025, 10, 8), art_site=ArtSite.THIS_CLINIC),
        commodities=goods(10),
    )

    # P11: an inconclusive test, then a result not given.
    h.visit(
        "P11",
        date(2025, 10, 22),
        hiv=hiv("inconclusive", tiebreaker_result=AssayResult.REACTIVE),
        commodities=goods(10),
    )
    # P22: the tie-breaker settles reactive then non-reactive as negative.
    h.visit("P22", date(2025, 10, 28), hiv=hiv("inconclusive", tiebreaker_result=AssayResult.NON_REACTIVE),
            commodities=goods(10))  # fmt: skip
    h.visit("P11", date(2025, 11, 26), hiv=hiv(result_received=False))

    # P12: injectable PrEP in the community.
    h.visit("P12", date(2025, 8, 5), hiv=hiv(), prep=PrepInput(PrepEventType.INITIATION, **INJECTABLE))
    h.visit("P12", date(2025, 10, 6), hiv=hiv(), prep=PrepInput(PrepEventType.FOLLOW_UP, **INJECTABLE))

    # P19: self-test kits handed out by the peer educator, no clinic visit.
    h.contact("P19", date(2025, 11, 18), self_test_distribution="assisted", kits_for_self=1, kits_for_partner=1)

    # T1, T2: trainings attended by clients, the peer educator and the nurse.
    h.training(date(2025, 11, 4), "rights_safety", ["P7", "P8"], staff=[peer, nurse], others=3)
    h.training(date(2025, 12, 9), "tot", ["P7"], staff=[peer])

    # P23: screened positive in September, treated at a later visit in October.
    h.visit("P23", date(2024, 2, 2), hiv=hiv("positive", art_started_on=date(2024, 2, 2), art_site=ArtSite.THIS_CLINIC))
    first = h.visit("P23", date(2025, 9, 15), cervical=CervicalInput(
        screening_type=CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.POSITIVE))  # fmt: skip
    h.visit("P23", date(2025, 10, 3), cervical_tx=CervicalTreatmentInput(
        screen_id=str(first.cervical_screening.id), treatment=CervicalTreatment.CRYOTHERAPY))  # fmt: skip

    # P20: a refill long after the supply ran out is a restart; P21: a refill without a recent test, with a reason.
    h.visit("P20", date(2025, 6, 2), hiv=hiv(), prep=PrepInput(PrepEventType.INITIATION, **ORAL))
    h.visit("P20", date(2025, 11, 10), hiv=hiv(), prep=PrepInput(PrepEventType.RESTART, **ORAL))
    h.visit("P21", date(2025, 7, 15), hiv=hiv(), prep=PrepInput(PrepEventType.INITIATION, regimen=PrepRegimen.TDF_FTC,
            months_dispensed=3))  # fmt: skip
    h.visit("P21", date(2025, 10, 20), prep=PrepInput(PrepEventType.FOLLOW_UP, **ORAL,
            no_test_reason="Test kits out of stock"))  # fmt: skip

    # P17: date of birth unknown; P18: an estimated age. Both registered through the registration service.
    for name, letters, day, born in (
        ("P17", "Qa", date(2025, 11, 5), {"dob_unknown": True}),
        ("P18", "Ra", date(2025, 10, 7), {"estimated_age": 30}),
    ):
        details = ClientDetails(
            mother_letters="Zo",
            own_letters=letters,
            sex="female",
            key_population="fsw",
            nationality="ZW",
            enrolled_on=day,
            **born,
        )
        h.people[name] = register_client(
            actor=h.nurse, details=details, consent_given=True, confirm_new=True, today=day
        )
        h.visit(name, day, hiv=hiv(), commodities=goods(10))

    # P13-P16: the violence type recorded at the visit; PEP a sub-count.
    h.visit("P13", date(2025, 11, 14), violence=ViolenceInput([Violence.SEXUAL, Violence.PHYSICAL]))
    h.visit("P14", date(2025, 10, 10), violence=ViolenceInput([Violence.PHYSICAL]))
    h.visit("P14", date(2025, 12, 5), violence=ViolenceInput([Violence.SEXUAL]), pep=pep_after_rape())
    h.visit("P15", date(2025, 12, 15), pep=pep_after_rape())
    h.visit("P16", date(2025, 9, 29), violence=ViolenceInput([Violence.SEXUAL]))
    h.visit("P16", date(2025, 10, 2), violence=ViolenceInput([Violence.EMOTIONAL]))
    return h
