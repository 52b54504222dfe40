"""A small clinic history written straight to the tables, for hand-counted report tests.

The period under test is FY2026Q1 = calendar 2025Q4 = 2025-10-01 .. 2025-12-31, at
Beitbridge (BBR). Each client is there to prove one or two counting rules; the
comment above each says which. The expected numbers live in the tests, counted by
hand from this file, never from the code under test.

Visits in the period at BBR (V1..V19), and the records around it (X1..X6, N1):

  V1  c1  2025-10-01 new     HIV neg (KP clinic), 20 male condoms          first day of the period
  V2  c1  2025-11-10 return  HIV neg (VCT), 10 lubricant; redeems slip R1
  V3  c2  2025-10-20 new     HIV neg (KP clinic), PrEP initiation         c2 is 19
  V4  c2  2025-12-01 return  HIV neg (KP clinic), PrEP follow-up          c2 is 20
  V5  c3  2025-10-10 return  HIV neg (KP clinic), PrEP follow-up
  V6  c3  2025-12-15 return  HIV pos (KP clinic), ART started here, PrEP follow-up
  V7  c4  2025-10-12 return  HIV neg (STI clinic), PrEP follow-up, 10 male condoms
  V8  c4  2025-11-20 return  PrEP follow-up, no HIV test
  V9  c5  2025-11-05 new     HIV neg (KP clinic), PrEP follow-up, never initiated
  V10 c6  2025-11-03 new     HIV pos (mobile), no linkage, 30 male condoms, VIA first negative
  V11 c7  2025-10-25 return  known positive, 15 male condoms, VIA first positive + thermal ablation
  V12 c8  2025-11-18 return  HPV rescreen positive, triage negative
  V13 c9  2025-10-30 return  HIV neg (KP clinic), 5 lubricant, HPV first positive without triage
  V14 c10 2025-12-31 new     HIV neg (VCT), STI treated, 1+2 unassisted self-tests, 4 female condoms,
                             VIA first negative                          last day of the period
  V15 c11 2025-11-25 return  reactive screen, no confirmatory (inconclusive), 12 male condoms
  V16 c13 2025-11-08 new     violence + PEP after sexual violence, HIV neg (KP clinic), 1 assisted kit
  V17 c13 2025-12-20 return  violence support
  V18 c14 2025-10-18 new     violence support, STI screened not treated
  V19 c14 2025-12-02 return  PEP (condom burst, no outcome), HIV neg not given to the client

  X1 c3 2025-03-01 PrEP initiation + HIV neg      X2 c4 2025-06-01 PrEP initiation + HIV neg
  X3 c7 2024-02-01 HIV pos, ART here 2024-02-10   X4 c8 2023-05-05 HIV pos, ART elsewhere 2023-05-20
  X5 c10 2026-01-01 HIV neg + 5 condoms (the day after)
  X6 c11 2025-09-30 HIV neg + 5 condoms (the day before)
  N1 c12 2025-11-12 at Ngodwana (NGO): HIV neg (VCT) + 10 male condoms

Outreach by a BBR peer educator: O1 2025-10-15 c1 (10 condoms, test offered), O2 2025-12-05 c1
(HIV info, 5 lubricant), O3 2025-11-22 a group of 6 (60 condoms, 3 self-tests), O4 2025-10-28 a new
contact by a UIC no client has (5 condoms, offered), O5 2025-11-02 c15 by her UIC only (8 condoms,
rights info, offered), O6 2025-09-30 c15 (4 condoms, the day before), O7 2026-01-01 c1 (3 condoms,
the day after). Referral slips: R1 2025-10-15 HIV test (redeemed at V2), R2 2025-11-22 PrEP,
R3 2025-09-29 STI (before), R4 2025-12-31 cervical. Trainings: T1 2025-11-26 c1 + c15 + 4 others,
T2 2025-12-10 c1 again, T3 2026-01-01 c2 + 3 others (after).
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.extensions import db
from clinic_app.outreach.models import (
    ContactKind,
    OutreachContact,
    Referral,
    ReferralService,
    Training,
    TrainingAttendee,
    TrainingTopic,
)
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    CervicalTreatment,
    CervicalVisitType,
    HivResult,
    HivTest,
    PreviousHivStatus,
    StiScreening,
    SyphilisResult,
    TestingModality,
    TreatmentTiming,
)
from clinic_app.visits.models import (
    Commodity,
    Dispensed,
    PepCourse,
    PepExposure,
    PepOutcome,
    PepRegimen,
    PrepEvent,
    PrepEventType,
    PrepRegimen,
    SelfTestDistribution,
    SelfTestKit,
    Visit,
    VisitReason,
    VisitType,
)

START, END = date(2025, 10, 1), date(2025, 12, 31)
NEW, RETURN = VisitType.NEW, VisitType.RETURN
NEG, POS, INC = HivResult.NEGATIVE, HivResult.POSITIVE, HivResult.INCONCLUSIVE
KP_CLINIC, VCT, STI, MOBILE = (
    TestingModality.FACILITY_KP,
    TestingModality.VCT,
    TestingModality.STI_CLINIC,
    TestingModality.MOBILE,
)
UNKNOWN_UIC = "ZZZZ19000101F9"

# The assays the national algorithm needs for each final result (screen, confirmatory).
_ASSAYS = {
    NEG: (AssayResult.NON_REACTIVE, None),
    POS: (AssayResult.REACTIVE, AssayResult.REACTIVE),
    INC: (AssayResult.REACTIVE, None),  # reactive screen, confirmatory not done
}


@dataclass
class ClinicHistory:
    """The records the tests look up: clients by name, visits by their number above."""

    clinic: object
    other_clinic: object
    nurse: object
    peer: object
    clients: dict[str, Client] = field(default_factory=dict)
    visits: dict[str, Visit] = field(default_factory=dict)
    _minute: int = 0

    # ------------------------------------------------------------------ writing rows
    def _add(self, row):
        db.session.add(row)
        db.session.commit()
        return row

    def client(self, name, make, *, sex, born, kp, clinic=None, mother="MA", own="JO", **kw) -> Client:
        person = make.client(
            clinic=clinic or self.clinic,
            registered_by=self.nurse if clinic is None else None,
            sex=sex,
            date_of_birth=born,
            key_population=kp,
            mother=mother,
            own=own,
            enrolled_on=date(2023, 1, 1),
            **kw,
        )
        self.clients[name] = person
        return person

    def visit(self, key, make, client, day, visit_type=RETURN, *, reasons=(VisitReason.HIV_TESTING,), clinic=None):
        self._minute += 1
        visit = make.visit(
            client=client,
            clinic=clinic or self.clinic,
            recorded_by=self.nurse if clinic is None else None,
            service_date=day,
            visit_type=visit_type,
            reasons=reasons,
            created_at=datetime.combine(day, time(9, 0), UTC) + timedelta(minutes=self._minute),
            notes=f"NOTE-{key}-do-not-export",
        )
        self.visits[key] = visit
        return visit

    def hiv(self, visit, result, modality=KP_CLINIC, *, received=True, **kw):
        screening, confirmatory = _ASSAYS[result]
        values = dict(
            previous_status=PreviousHivStatus.NEGATIVE,
            modality=modality,
            screening_result=screening,
            confirmatory_result=confirmatory,
            final_result=result,
            result_received=received,
        )
        values.update(kw)
        return self._add(HivTest(clinic_id=visit.clinic_id, visit_id=visit.id, **values))

    def known_positive(self, visit):
        return self._add(
            HivTest(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                previous_status=PreviousHivStatus.KNOWN_POSITIVE,
                result_received=False,
            )
        )

    def prep(self, visit, event):
        return self._add(
            PrepEvent(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                event=event,
                regimen=PrepRegimen.TDF_FTC,
                months_dispensed=1,
                next_appointment_on=visit.service_date + timedelta(days=30),
            )
        )

    def dispense(self, visit, item, quantity):
        return self._add(Dispensed(clinic_id=visit.clinic_id, visit_id=visit.id, item=item, quantity=quantity))

    def cervical(self, visit, visit_type, method, result, *, triage=None, complete=True, treatment=None):
        return self._add(
            CervicalScreening(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                screening_type=visit_type,
                method=method,
                result=result,
                result_on=visit.service_date,
                triage_result=triage,
                treatment=treatment,
                treatment_timing=TreatmentTiming.SAME_DAY if treatment else None,
                treated_on=visit.service_date if treatment else None,
                complete=complete,
            )
        )

    def pep(self, visit, exposure, outcome):
        return self._add(
            PepCourse(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                exposure=exposure,
                hours_since_exposure=20,
                regimen=PepRegimen.TDF_3TC_DTG,
                outcome=outcome,
                outcome_on=visit.service_date + timedelta(days=28) if outcome else None,
            )
        )

    def self_tests(self, visit, distribution, *, own=0, partner=0, other=0):
        return self._add(
            SelfTestKit(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                distribution=distribution,
                for_self=own,
                for_partner=partner,
                for_other=other,
            )
        )

    def sti(self, visit, treatments):
        return self._add(
            StiScreening(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                syndromes=["discharge"] if treatments else ["none"],
                syphilis_result=SyphilisResult.NON_REACTIVE,
                treatments=treatments,
            )
        )

    def contact(self, day, *, client=None, uic=None, group=None, **given):
        return self._add(
            OutreachContact(
                clinic_id=self.clinic.id,
                peer_educator_id=self.peer.id,
                contact_date=day,
                kind=ContactKind.GROUP if group else ContactKind.INDIVIDUAL,
                client_id=client.id if client else None,
                contact_uic=uic,
                group_size=group,
                submission_key=uuid.uuid4(),
                **given,
            )
        )

    def referral(self, code, day, service, *, visit=None):
        return self._add(
            Referral(
                clinic_id=self.clinic.id,
                peer_educator_id=self.peer.id,
                code=code,
                service=service,
                issued_on=day,
                expires_on=day + timedelta(days=60),
                visit_id=visit.id if visit else None,
                completed_on=visit.service_date if visit else None,
                submission_key=uuid.uuid4(),
            )
        )

    def training(self, day, attendees, others):
        training = Training(
            clinic_id=self.clinic.id,
            held_on=day,
            topic=TrainingTopic.HIV_PREVENTION,
            facilitator="Peer trainer",
            other_attendees=others,
            recorded_by_id=self.nurse.id,
            submission_key=uuid.uuid4(),
        )
        training.attendee_rows = [TrainingAttendee(client_id=c.id) for c in attendees]
        return self._add(training)


def build_history(make, clinic, other_clinic) -> ClinicHistory:
    """Write the whole history (see the module docstring) and return its handles."""
    nurse = make.user(role="nurse", clinic=clinic, username="history-nurse")
    peer = make.user(role="peer_educator", clinic=clinic, username="history-peer")
    h = ClinicHistory(clinic=clinic, other_clinic=other_clinic, nurse=nurse, peer=peer)
    F, M, T = Sex.FEMALE, Sex.MALE, Sex.TRANSGENDER
    FSW, MSW, TGSW, MSM = KeyPopulation.FSW, KeyPopulation.MSW, KeyPopulation.TGSW, KeyPopulation.MSM
    V = VisitReason

    # c1 (FSW, 35): counted once in KP_PREV although reached at two visits and two outreach
    # contacts; two tests, so two HTS_TST rows; a visit on the first day of the period; her
    # outreach contacts the day after the period are left out; a trainee at two sessions, once.
    c1 = h.client("c1", make, sex=F, born=date(1990, 3, 10), kp=FSW, own="AM", alias="PLANTALIASAMARA")
    v = h.visit("V1", make, c1, date(2025, 10, 1), NEW, reasons=(V.HIV_TESTING, V.CONDOMS))
    h.hiv(v, NEG, KP_CLINIC)
    h.dispense(v, Commodity.MALE_CONDOMS, 20)
    v = h.visit("V2", make, c1, date(2025, 11, 10), reasons=(V.HIV_TESTING, V.CONDOMS))
    h.hiv(v, NEG, VCT)
    h.dispense(v, Commodity.LUBRICANT, 10)

    # c2 (FSW) turns 20 on 2025-11-15: her test on 2025-10-20 counts at 15-19 and the one on
    # 2025-12-01 at 20-24. Started PrEP in the period: PrEP_NEW, never PrEP_CT in the same
    # period, although she came back for a follow-up (in December alone she is PrEP_CT).
    c2 = h.client("c2", make, sex=F, born=date(2005, 11, 15), kp=FSW, own="BI", phone="+263771000222")
    v = h.visit("V3", make, c2, date(2025, 10, 20), NEW, reasons=(V.HIV_TESTING, V.PREP))
    h.hiv(v, NEG, KP_CLINIC)
    h.prep(v, PrepEventType.INITIATION)
    v = h.visit("V4", make, c2, date(2025, 12, 1), reasons=(V.HIV_TESTING, V.PREP))
    h.hiv(v, NEG, KP_CLINIC)
    h.prep(v, PrepEventType.FOLLOW_UP)

    # c3 (FSW, 27): on PrEP since March; two follow-ups in the period, negative then positive:
    # PrEP_CT once, by the latest visit's result (positive). ART started here: TX_NEW.
    c3 = h.client("c3", make, sex=F, born=date(1998, 6, 1), kp=FSW, own="CH")
    v = h.visit("X1", make, c3, date(2025, 3, 1), NEW, reasons=(V.HIV_TESTING, V.PREP))
    h.hiv(v, NEG, KP_CLINIC)
    h.prep(v, PrepEventType.INITIATION)
    v = h.visit("V5", make, c3, date(2025, 10, 10), reasons=(V.HIV_TESTING, V.PREP))
    h.hiv(v, NEG, KP_CLINIC)
    h.prep(v, PrepEventType.FOLLOW_UP)
    v = h.visit("V6", make, c3, date(2025, 12, 15), reasons=(V.HIV_TESTING, V.PREP, V.ART))
    h.hiv(v, POS, KP_CLINIC, art_started_on=date(2025, 12, 15), art_site=ArtSite.THIS_CLINIC)
    h.prep(v, PrepEventType.FOLLOW_UP)

    # c4 (male sex worker, 40): on PrEP since June; tested negative at his first follow-up,
    # not tested at the latest: PrEP_CT once, as "not tested".
    c4 = h.client("c4", make, sex=M, born=date(1985, 1, 20), kp=MSW, own="DU")
    v = h.visit("X2", make, c4, date(2025, 6, 1), NEW, reasons=(V.HIV_TESTING, V.PREP))
    h.hiv(v, NEG, KP_CLINIC)
    h.prep(v, PrepEventType.INITIATION)
    v = h.visit("V7", make, c4, date(2025, 10, 12), reasons=(V.HIV_TESTING, V.PREP, V.CONDOMS))
    h.hiv(v, NEG, STI)
    h.prep(v, PrepEventType.FOLLOW_UP)
    h.dispense(v, Commodity.MALE_CONDOMS, 10)
    v = h.visit("V8", make, c4, date(2025, 11, 20), reasons=(V.PREP,))
    h.prep(v, PrepEventType.FOLLOW_UP)

    # c5 (transgender sex worker, 25): a PrEP follow-up with no initiation anywhere (a
    # data-quality finding) still counts in PrEP_CT; MER shows her in the Transgender column.
    c5 = h.client("c5", make, sex=T, born=date(2000, 2, 2), kp=TGSW, own="EL")
    v = h.visit("V9", make, c5, date(2025, 11, 5), NEW, reasons=(V.HIV_TESTING, V.PREP))
    h.hiv(v, NEG, KP_CLINIC)
    h.prep(v, PrepEventType.FOLLOW_UP)

    # c6 (FSW, 32): newly diagnosed positive at her first visit: an HTS_TST positive and, in
    # KP_PREV, newly tested (not "known positive"); not linked to ART (a finding); her complete
    # cervical screen counts for all clients but not in CXCA_SCRN (not on ART).
    c6 = h.client("c6", make, sex=F, born=date(1993, 9, 9), kp=FSW, own="FA")
    v = h.visit("V10", make, c6, date(2025, 11, 3), NEW, reasons=(V.HIV_TESTING, V.CONDOMS, V.CERVICAL))
    h.hiv(v, POS, MOBILE)
    h.dispense(v, Commodity.MALE_CONDOMS, 30)
    h.cervical(v, CervicalVisitType.FIRST, CervicalMethod.VIA, CervicalResult.NEGATIVE)

    # c7 (FSW, 45): living with HIV on ART since 2024; a known positive is no HTS_TST and is
    # "known positive" in KP_PREV. CXCA_SCRN first/positive, screen positive, treated (CXCA_TX).
    c7 = h.client("c7", make, sex=F, born=date(1980, 5, 5), kp=FSW, own="GR")
    v = h.visit("X3", make, c7, date(2024, 2, 1), NEW)
    h.hiv(v, POS, KP_CLINIC, art_started_on=date(2024, 2, 10), art_site=ArtSite.THIS_CLINIC)
    v = h.visit("V11", make, c7, date(2025, 10, 25), reasons=(V.ART, V.CONDOMS, V.CERVICAL))
    h.known_positive(v)
    h.dispense(v, Commodity.MALE_CONDOMS, 15)
    h.cervical(
        v,
        CervicalVisitType.FIRST,
        CervicalMethod.VIA,
        CervicalResult.POSITIVE,
        treatment=CervicalTreatment.THERMAL_ABLATION,
    )

    # c8 (FSW, 53): on ART (started elsewhere in 2023); an HPV-positive rescreen with a negative
    # triage counts by its triage result: CXCA_SCRN rescreen/negative at 50+.
    c8 = h.client("c8", make, sex=F, born=date(1972, 4, 4), kp=FSW, own="HE")
    v = h.visit("X4", make, c8, date(2023, 5, 5), NEW)
    h.hiv(
        v,
        POS,
        KP_CLINIC,
        art_referred_to="District hospital",
        art_started_on=date(2023, 5, 20),
        art_site=ArtSite.OTHER_FACILITY,
    )
    v = h.visit("V12", make, c8, date(2025, 11, 18), reasons=(V.CERVICAL,))
    h.cervical(
        v, CervicalVisitType.RESCREEN, CervicalMethod.HPV, CervicalResult.POSITIVE, triage=CervicalResult.NEGATIVE
    )

    # c9 (FSW, 30, HIV negative): her only cervical screen is HPV positive without triage:
    # incomplete, counted nowhere, a data-quality finding.
    c9 = h.client("c9", make, sex=F, born=date(1995, 7, 7), kp=FSW, own="IN")
    v = h.visit("V13", make, c9, date(2025, 10, 30), reasons=(V.HIV_TESTING, V.CERVICAL, V.CONDOMS))
    h.hiv(v, NEG, KP_CLINIC)
    h.dispense(v, Commodity.LUBRICANT, 5)
    h.cervical(v, CervicalVisitType.FIRST, CervicalMethod.HPV, CervicalResult.POSITIVE, complete=False)

    # c10 (FSW, 24, HIV negative): everything on the last day of the period counts; her visit
    # the day after does not. Her screen is in CERVICAL_ALL, not CXCA_SCRN.
    c10 = h.client("c10", make, sex=F, born=date(2001, 1, 15), kp=FSW, own="JA")
    v = h.visit("V14", make, c10, date(2025, 12, 31), NEW, reasons=(V.HIV_TESTING, V.STI, V.CERVICAL))
    h.hiv(v, NEG, VCT)
    h.sti(v, ["syndromic"])
    h.self_tests(v, SelfTestDistribution.UNASSISTED, own=1, partner=2)
    h.dispense(v, Commodity.FEMALE_CONDOMS, 4)
    h.cervical(v, CervicalVisitType.FIRST, CervicalMethod.VIA, CervicalResult.NEGATIVE)
    v = h.visit("X5", make, c10, date(2026, 1, 1), reasons=(V.HIV_TESTING, V.CONDOMS))
    h.hiv(v, NEG, VCT)
    h.dispense(v, Commodity.MALE_CONDOMS, 5)

    # c11 (MSM, not a sex worker): the day before the period is left out; a reactive screen
    # without a confirmatory test is inconclusive: no HTS_TST, a data-quality finding.
    c11 = h.client("c11", make, sex=M, born=date(1999, 9, 30), kp=MSM, own="KE")
    v = h.visit("X6", make, c11, date(2025, 9, 30), NEW, reasons=(V.HIV_TESTING, V.CONDOMS))
    h.hiv(v, NEG, KP_CLINIC)
    h.dispense(v, Commodity.MALE_CONDOMS, 5)
    v = h.visit("V15", make, c11, date(2025, 11, 25), reasons=(V.HIV_TESTING, V.CONDOMS))
    h.hiv(v, INC, KP_CLINIC)
    h.dispense(v, Commodity.MALE_CONDOMS, 12)

    # c12 (FSW, 37) is a client of Ngodwana: her test counts for all clinics, not for BBR.
    c12 = h.client("c12", make, sex=F, born=date(1988, 8, 8), kp=FSW, own="LI", clinic=other_clinic)
    v = h.visit("N1", make, c12, date(2025, 11, 12), NEW, reasons=(V.HIV_TESTING, V.CONDOMS), clinic=other_clinic)
    h.hiv(v, NEG, VCT)
    h.dispense(v, Commodity.MALE_CONDOMS, 10)

    # c13 (FSW, 28): sexual violence with PEP, then a visit for physical violence: GEND_GBV once,
    # as sexual violence with PEP given.
    c13 = h.client("c13", make, sex=F, born=date(1997, 3, 3), kp=FSW, own="MO")
    v = h.visit("V16", make, c13, date(2025, 11, 8), NEW, reasons=(V.VIOLENCE, V.PEP, V.HIV_TESTING))
    h.pep(v, PepExposure.SEXUAL_VIOLENCE, PepOutcome.COMPLETED)
    h.hiv(v, NEG, KP_CLINIC)
    h.self_tests(v, SelfTestDistribution.ASSISTED, other=1)
    h.visit("V17", make, c13, date(2025, 12, 20), reasons=(V.VIOLENCE,))

    # c14 (male sex worker, 33): physical violence without PEP (GEND_GBV physical/emotional);
    # later PEP after a condom burst with no outcome after 28 days, and an HIV result not given
    # (findings; not an HTS_TST).
    c14 = h.client("c14", make, sex=M, born=date(1992, 2, 2), kp=MSW, own="NA")
    v = h.visit("V18", make, c14, date(2025, 10, 18), NEW, reasons=(V.VIOLENCE, V.STI))
    h.sti(v, [])
    v = h.visit("V19", make, c14, date(2025, 12, 2), reasons=(V.PEP, V.HIV_TESTING))
    h.pep(v, PepExposure.CONDOM_FAILURE, None)
    h.hiv(v, NEG, KP_CLINIC, received=False)

    # c15 (FSW, 22) never visits: reached at outreach by her UIC, which counts her in KP_PREV.
    c15 = h.client("c15", make, sex=F, born=date(2003, 4, 4), kp=FSW, own="OL")

    h.contact(date(2025, 10, 15), client=c1, male_condoms=10, referral_offered=True)  # O1
    h.contact(date(2025, 12, 5), client=c1, lubricant=5, hiv_info=True)  # O2
    h.contact(date(2025, 11, 22), group=6, male_condoms=60, self_test_kits=3, hiv_info=True)  # O3
    h.contact(date(2025, 10, 28), uic=UNKNOWN_UIC, male_condoms=5, referral_offered=True)  # O4
    h.contact(date(2025, 11, 2), uic=c15.uic, male_condoms=8, rights_info=True, referral_offered=True)  # O5
    h.contact(date(2025, 9, 30), client=c15, male_condoms=4, referral_offered=True)  # O6
    h.contact(date(2026, 1, 1), client=c1, male_condoms=3, referral_offered=True)  # O7

    h.referral("R1HIV", date(2025, 10, 15), ReferralService.HIV_TEST, visit=h.visits["V2"])
    h.referral("R2PREP", date(2025, 11, 22), ReferralService.PREP)
    h.referral("R3STI", date(2025, 9, 29), ReferralService.STI)
    h.referral("R4CX", date(2025, 12, 31), ReferralService.CERVICAL)

    h.training(date(2025, 11, 26), [c1, c15], 4)  # T1
    h.training(date(2025, 12, 10), [c1], 0)  # T2
    h.training(date(2026, 1, 1), [c2], 3)  # T3
    return h
