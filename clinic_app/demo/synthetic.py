"""Synthetic clients and their clinical histories for demo mode (all invented).

Each client is simulated visit by visit so that the histories obey the clinical
rules: PrEP starts only after a negative test, positives are linked to ART and
leave PrEP, women are screened for cervical cancer, appointments are sometimes missed.
"""

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.permissions import Role
from clinic_app.core.places import Country
from clinic_app.core.timeutil import add_months, age_on, local_today
from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import (
    ContactKind,
    Hotspot,
    HotspotKind,
    OutreachContact,
    PeerHotspot,
    Referral,
    ReferralService,
    Training,
    TrainingStaff,
    TrainingTopic,
)
from clinic_app.screening import algorithms
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    PreviousHivStatus,
    StiSyndrome,
    StiTreatment,
    SyphilisResult,
    TestingModality,
    TreatmentTiming,
)
from clinic_app.visits import clinical
from clinic_app.visits.models import (
    PepExposure,
    PepOutcome,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    SelfTestDistribution,
    ViolenceType,
    Visit,
    VisitReason,
    VisitReasonRow,
    VisitType,
)
from clinic_app.visits.recording import apply_sections, implied_reasons
from clinic_app.visits.rules import PREP_REFILL_GRACE_DAYS
from clinic_app.visits.sections import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    SelfTestInput,
    ServicesInput,
    StiInput,
    ViolenceInput,
)

ALIASES = [
    "Chipo",
    "Tendai",
    "Rudo",
    "Lulu",
    "Sisi",
    "Naledi",
    "Zodwa",
    "Mimi",
    "Precious",
    "Gift",
    "Lady T",
    "Queen",
    "Baby",
    "Nomsa",
    "Fatima",
    "Lina",
    "Joy",
    "Star",
    "Dudu",
    "Mama K",
]
LETTERS = "ABCDEFGHIJKLMNOPRSTUVWZ"
CLINIC_WEIGHTS = {"NGD": 2, "CTR": 2, "BBR": 4, "VFA": 2, "INC": 2}


def _person(rng: random.Random, clinic: Clinic, today: date) -> dict:
    roll = rng.random()
    sex, kp = (
        (Sex.FEMALE, KeyPopulation.FSW)
        if roll < 0.85
        else (Sex.TRANSGENDER, KeyPopulation.TGSW)
        if roll < 0.93
        else (Sex.MALE, KeyPopulation.MSW)
    )
    age = int(min(58, max(18, rng.gauss(29, 7))))
    born = today - timedelta(days=age * 365 + rng.randint(0, 364))
    estimated = rng.random() < 0.1
    if estimated and born.toordinal() % 3 == 0:
        born, estimated = None, False  # cannot say their age at all: age "Unknown" in reports
    nationality = (
        clinic.country
        if rng.random() < 0.7
        else rng.choice([Country.ZW, Country.MZ, Country.MW, Country.ZM, Country.ZA, Country.BW, Country.CD])
    )
    alias = rng.choice(ALIASES) if rng.random() < 0.6 else None
    phone = (
        f"+{rng.choice(['27', '263', '258', '267'])}7{rng.randint(10_000_000, 99_999_999)}"
        if rng.random() < 0.4
        else None
    )
    mother, own = (rng.choice(LETTERS) + rng.choice(LETTERS).lower() for _ in range(2))
    return dict(
        sex=sex,
        key_population=kp,
        date_of_birth=born,
        dob_estimated=estimated,
        uic=identifiers.build_uic(mother, own, born, estimated, sex.value),
        alias=alias,
        alias_key=identifiers.alias_key(alias),
        nationality=nationality,
        is_mobile=nationality != clinic.country or rng.random() < 0.3,
        phone=phone,
        phone_consent=phone is not None,
    )


class History:
    """What the simulation remembers of one client between visits."""

    def __init__(self, seed: int = 0):
        # Draws for what issue 11 added (declined tests, where PrEP is handed over, late slips) come
        # from their own stream, so the rest of the demo history stays as it was.
        self.capture = random.Random(seed)  # noqa: S311 (synthetic data, not security)
        self.positive = False
        self.art = False
        self.diagnose_unlinked = False  # scripted: diagnosed at the first visit and not (yet) linked to ART
        self.last_test: date | None = None
        self.on_prep = False
        self.ever_prep = False
        self.prep_until: date | None = None  # the last PrEP supply runs out on this day
        self.to_treat = None  # a positive screen referred for treatment, treated at a later visit
        self.next_cervical: date | None = None
        self.screened = False


def _hiv(rng, h: History, day: date) -> HivTestInput | None:
    if h.diagnose_unlinked and not h.positive:
        h.last_test, h.positive, h.art = day, True, False
        return HivTestInput(
            previous_status=PreviousHivStatus.NEVER_TESTED,
            modality=TestingModality.FACILITY_KP,
            screening_result=AssayResult.REACTIVE,
            confirmatory_result=AssayResult.REACTIVE,
            result_received=True,
        )
    if h.positive:
        if h.art:
            return None
        h.art = rng.random() < 0.8
        return HivTestInput(
            previous_status=PreviousHivStatus.KNOWN_POSITIVE,
            art_site=ArtSite.THIS_CLINIC,
            art_started_on=day if h.art else None,
            art_referred_to=None,
        )
    if h.last_test and (day - h.last_test).days < 80 and rng.random() < 0.8:
        if h.capture.random() < 0.15:  # offered a retest and declined it (KP_PREV "declined testing")
            return HivTestInput(previous_status=PreviousHivStatus.NEGATIVE, declined=True)
        return None
    previous = (
        PreviousHivStatus.NEGATIVE
        if h.last_test
        else rng.choice([PreviousHivStatus.NEVER_TESTED, PreviousHivStatus.NEGATIVE, PreviousHivStatus.UNKNOWN])
    )
    h.last_test = day
    if rng.random() < 0.04:
        h.positive, h.art = True, rng.random() < 0.6
        return HivTestInput(
            previous_status=previous,
            modality=TestingModality.FACILITY_KP,
            screening_result=AssayResult.REACTIVE,
            confirmatory_result=AssayResult.REACTIVE,
            result_received=True,
            art_site=ArtSite.THIS_CLINIC if h.art else None,
            art_started_on=day if h.art else None,
        )
    return HivTestInput(
        previous_status=previous,
        modality=rng.choice(
            [TestingModality.FACILITY_KP] * 4
            + [TestingModality.MOBILE, TestingModality.VCT, TestingModality.SNS, TestingModality.OTHER_PITC]
        ),
        screening_result=AssayResult.NON_REACTIVE,
        result_received=True,
    )


def _prep(rng, h: History, hiv: HivTestInput | None, day: date) -> PrepInput | None:
    negative_today = hiv is not None and hiv.screening_result == AssayResult.NON_REACTIVE
    if h.positive:
        if h.on_prep:
            h.on_prep = False
            return PrepInput(event=PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)
        return None
    if h.on_prep and h.prep_until and day > h.prep_until + timedelta(days=PREP_REFILL_GRACE_DAYS):
        # Back long after the supply ran out: a restart after a negative test today, as the rules ask.
        h.on_prep = negative_today
        if not negative_today:
            return None
        h.prep_until = add_months(day, 1)
        return PrepInput(event=PrepEventType.RESTART, regimen=PrepRegimen.TDF_FTC, months_dispensed=1)
    if h.on_prep:
        if rng.random() < 0.08:
            h.on_prep = False
            return PrepInput(event=PrepEventType.STOP, stop_reason=rng.choice(list(PrepStopReason)[:3]))
        h.prep_until = add_months(day, 3)
        return PrepInput(
            event=PrepEventType.FOLLOW_UP,
            regimen=PrepRegimen.TDF_FTC,
            months_dispensed=3,
            distribution=PrepDistribution.COMMUNITY if h.capture.random() < 0.15 else PrepDistribution.FACILITY,
        )
    if negative_today and rng.random() < (0.45 if not h.ever_prep else 0.2):
        event = PrepEventType.RESTART if h.ever_prep else PrepEventType.INITIATION
        h.on_prep = h.ever_prep = True
        regimen = PrepRegimen.CAB_LA if rng.random() < 0.1 else PrepRegimen.TDF_FTC
        months = 2 if regimen == PrepRegimen.CAB_LA else 1
        h.prep_until = add_months(day, months)
        return PrepInput(event=event, regimen=regimen, months_dispensed=months)
    return None


def _cervical(rng, h: History, client: Client, day: date) -> CervicalInput | None:
    if client.date_of_birth is None:
        return None  # no age to screen by: the demo leaves cervical screening to clients of known age
    if client.sex == Sex.MALE or not 25 <= age_on(client.date_of_birth, day) <= 65:
        return None
    if h.next_cervical and day < h.next_cervical or (not h.screened and rng.random() < 0.6):
        return None
    method = CervicalMethod.HPV if rng.random() < 0.3 else CervicalMethod.VIA
    roll = rng.random()
    result = (
        CervicalResult.NEGATIVE
        if roll < 0.85
        else CervicalResult.POSITIVE
        if roll < 0.97
        else CervicalResult.SUSPECTED_CANCER
    )
    if method == CervicalMethod.HPV and result == CervicalResult.SUSPECTED_CANCER:
        result = CervicalResult.POSITIVE
    triage = (
        rng.choice([CervicalResult.NEGATIVE, CervicalResult.POSITIVE])
        if (method == CervicalMethod.HPV and result == CervicalResult.POSITIVE and rng.random() < 0.85)
        else None
    )
    outcome = triage if method == CervicalMethod.HPV and result == CervicalResult.POSITIVE else result
    treated = outcome == CervicalResult.POSITIVE and h.capture.random() < 0.7  # else referred, treated later
    visit_type = (
        CervicalVisitType.POST_TREATMENT
        if h.screened and h.next_cervical and (h.next_cervical - day).days < 400
        else CervicalVisitType.RESCREEN
        if h.screened
        else CervicalVisitType.FIRST
    )
    h.screened = True
    h.next_cervical = add_months(day, 12 if treated else 36)
    return CervicalInput(
        screening_type=visit_type,
        method=method,
        result=result,
        result_on=day,
        triage_result=triage,
        treatment=CervicalTreatment.THERMAL_ABLATION if treated else None,
        treatment_timing=TreatmentTiming.SAME_DAY if treated else None,
        treated_on=day if treated else None,
    )


def _services(rng, h: History, client: Client, day: date) -> ServicesInput:
    hiv = _hiv(rng, h, day)
    sti = (
        StiInput(
            syndromes=[StiSyndrome.DISCHARGE],
            syphilis_result=SyphilisResult.NON_REACTIVE,
            treatments=[StiTreatment.SYNDROMIC],
        )
        if rng.random() < 0.15
        else (
            StiInput(syndromes=[StiSyndrome.NONE], syphilis_result=SyphilisResult.NON_REACTIVE)
            if rng.random() < 0.2
            else None
        )
    )
    goods = (
        CommoditiesInput(
            male_condoms=rng.choice([20, 30, 50, 100]),
            lubricant=rng.choice([0, 10, 20]),
            female_condoms=rng.choice([0, 0, 0, 5]),
        )
        if rng.random() < 0.75
        else None
    )
    kits = (
        SelfTestInput(
            distribution=rng.choice(list(SelfTestDistribution)), for_self=1, for_partner=rng.choice([0, 0, 1, 2])
        )
        if rng.random() < 0.08
        else None
    )
    return ServicesInput(
        hiv=hiv,
        prep=_prep(rng, h, hiv, day),
        sti=sti,
        commodities=goods,
        selftest=kits,
        cervical=_cervical(rng, h, client, day),
        pep=(pep := _pep(rng, h, hiv)),
        violence=_violence(h, pep),
    )


def _violence(h: History, pep: PepInput | None) -> ViolenceInput | None:
    """Post-violence care with the kinds of violence: sexual with PEP, and now and then a client who came
    too late for PEP after sexual violence, or after physical or emotional violence."""
    if pep is not None:
        return ViolenceInput([ViolenceType.SEXUAL] + ([ViolenceType.PHYSICAL] if h.capture.random() < 0.5 else []))
    if h.capture.random() > 0.015:
        return None
    return ViolenceInput(
        h.capture.choice(
            [[ViolenceType.SEXUAL], [ViolenceType.PHYSICAL], [ViolenceType.EMOTIONAL, ViolenceType.PHYSICAL]]
        )
    )


def _pep(rng, h: History, hiv: HivTestInput | None) -> PepInput | None:
    """Now and then a client comes after sexual violence, within 72 hours, tested negative today."""
    if h.positive or hiv is None or hiv.screening_result != AssayResult.NON_REACTIVE or rng.random() > 0.03:
        return None
    return PepInput(
        exposure=PepExposure.SEXUAL_VIOLENCE,
        hours_since_exposure=rng.randint(3, 60),
        regimen=PepRegimen.TDF_3TC_DTG,
        outcome=rng.choice([PepOutcome.COMPLETED, None]),
    )


def _simulate(
    rng, client: Client, home: Clinic, clinics: list[Clinic], nurse: User, today: date, diagnose_unlinked=False
) -> History:
    seed = (client.date_of_birth or client.enrolled_on).toordinal()
    h, day, first = History(seed), client.enrolled_on, True
    h.diagnose_unlinked = diagnose_unlinked
    recorder = Actor(nurse, "demo")
    while day <= today:
        clinic = home if not client.is_mobile or rng.random() < 0.75 else rng.choice(clinics)
        services = _services(rng, h, client, day)
        prep = services.prep
        next_on = add_months(day, prep.months_dispensed) if prep and prep.months_dispensed else add_months(day, 3)
        visit = Visit(
            clinic_id=clinic.id,
            client=client,
            service_date=day,
            recorded_by_id=nurse.id,
            visit_type=VisitType.NEW if first else VisitType.RETURN,
            next_appointment_on=next_on,
            created_at=datetime.combine(day, time(rng.randint(7, 15), rng.randint(0, 59)), UTC),
        )
        reasons = implied_reasons(services) or {VisitReason.GENERAL}
        visit.reason_rows = [VisitReasonRow(reason=r) for r in sorted(reasons)]
        db.session.add(visit)
        algorithm = algorithms.testing_algorithm(clinic.country)
        _settled_by_a_tiebreaker(h, services, algorithm)
        _treated_at_a_later_visit(h, services, clinic)
        apply_sections(
            visit, services, actor=recorder, hiv_positive=h.positive, keep_history=False, algorithm=algorithm
        )
        screen = visit.cervical_screening
        positive = screen is not None and screen.result == CervicalResult.POSITIVE
        if positive and clinical.screen_positive(screen.method, screen.result, screen.triage_result):
            h.to_treat = None if screen.treatment else screen
        if client.peer_educator_id and (first and rng.random() < 0.6 or rng.random() < 0.1):
            _referred(rng, visit, client, clinic, late=h.capture.random() < 0.1)
        first = False
        # Most come back on the appointment; some late; some are lost.
        if rng.random() < 0.07 or h.diagnose_unlinked:
            break
        day = next_on + timedelta(days=int(rng.choice([0, 0, 0, 1, 3, 7, 20, 60])))
    return h


def _treated_at_a_later_visit(h: History, services: ServicesInput, clinic: Clinic) -> None:
    """A woman referred after a positive screen comes back to this clinic and is treated there."""
    screen = h.to_treat
    if screen is None or screen.clinic_id != clinic.id or h.capture.random() > 0.7:
        return
    db.session.flush()  # the screen's id
    services.cervical_tx = CervicalTreatmentInput(
        screen_id=str(screen.id), treatment=CervicalTreatment.THERMAL_ABLATION
    )
    h.to_treat = None


def _settled_by_a_tiebreaker(h: History, services: ServicesInput, algorithm) -> None:
    """Now and then, where the country's algorithm has a tie-breaker, a negative is reached through it:
    reactive, then non-reactive, then a non-reactive third assay."""
    hiv = services.hiv
    negative = hiv is not None and hiv.screening_result == AssayResult.NON_REACTIVE
    if algorithm.tiebreaker and negative and h.capture.random() < 0.03:
        hiv.screening_result, hiv.confirmatory_result = AssayResult.REACTIVE, AssayResult.NON_REACTIVE
        hiv.tiebreaker_result = AssayResult.NON_REACTIVE


def _referred(rng, visit: Visit, client: Client, clinic: Clinic, *, late: bool = False) -> None:
    """The client came with a peer educator's slip, issued a few days before (now and then after the
    slip's 30 days: still redeemed, counted as late)."""
    issued = visit.service_date - timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 14]) + (36 if late else 0))
    code = referrals.new_code()
    visit.referral_code = code
    db.session.add(
        Referral(
            clinic_id=clinic.id,
            peer_educator_id=client.peer_educator_id,
            code=code,
            service=rng.choice([ReferralService.HIV_TEST, ReferralService.PREP, ReferralService.STI]),
            issued_on=issued,
            expires_on=issued + timedelta(days=30),
            client=client,
            visit=visit,
            completed_on=visit.service_date,
            submission_key=uuid.uuid4(),
        )
    )


HOTSPOTS = {
    "NGD": [("Ngodwana truck stop", HotspotKind.TRUCK_STOP), ("Mill road tavern", HotspotKind.BAR)],
    "CTR": [("Cato Ridge truck stop", HotspotKind.TRUCK_STOP), ("N3 lodge", HotspotKind.LODGE)],
    "BBR": [
        ("Beitbridge border queue", HotspotKind.BORDER_POST),
        ("Dulibadzimu bars", HotspotKind.BAR),
        ("Truck park", HotspotKind.TRUCK_STOP),
    ],
    "VFA": [("Chinotimba", HotspotKind.STREET), ("Kazungula road stop", HotspotKind.TRUCK_STOP)],
    "INC": [("Inchope cruzamento", HotspotKind.TRUCK_STOP), ("Barraca do mercado", HotspotKind.BAR)],
}


def add_outreach(rng: random.Random, clinics: dict[str, Clinic], peers: dict[str, User]) -> None:
    """Hotspots for every site; six months of contacts, open slips and a training for each peer educator."""
    for code, spots in HOTSPOTS.items():
        for name, kind in spots:
            hotspot = Hotspot(id=uuid.uuid4(), clinic_id=clinics[code].id, name=name, kind=kind)
            db.session.add(hotspot)
            if code in peers:
                db.session.add(PeerHotspot(user_id=peers[code].id, hotspot_id=hotspot.id))
    db.session.flush()
    declines = random.Random(7)  # noqa: S311 (synthetic data; its own stream, as History.capture)
    for code, peer in peers.items():
        clinic = clinics[code]
        today = local_today(clinic.timezone)
        spots = list(db.session.scalars(select(Hotspot).where(Hotspot.clinic_id == clinic.id)))
        known = list(db.session.scalars(select(Client).where(Client.peer_educator_id == peer.id)))
        for days_ago in range(180, -1, -1):
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                _contact(
                    rng,
                    clinic,
                    peer,
                    rng.choice(spots),
                    rng.choice(known) if known else None,
                    today - timedelta(days=days_ago),
                    declines,
                )
        for days_ago in rng.sample(range(0, 60), 8):
            issued = today - timedelta(days=days_ago)
            db.session.add(
                Referral(
                    clinic_id=clinic.id,
                    peer_educator_id=peer.id,
                    code=referrals.new_code(),
                    service=rng.choice(list(ReferralService)),
                    issued_on=issued,
                    expires_on=issued + timedelta(days=30),
                    submission_key=uuid.uuid4(),
                )
            )
        db.session.add(
            Training(
                clinic_id=clinic.id,
                held_on=today - timedelta(days=20),
                topic=TrainingTopic.RIGHTS_SAFETY,
                facilitator=peer.display_name,
                other_attendees=12,
                recorded_by_id=peer.id,
                submission_key=uuid.uuid4(),
            )
        )
        # A refresher for the clinic's own team: the peer educator and the other staff, as trainees.
        team = db.session.scalars(
            select(User.id).where(User.clinic_id == clinic.id, User.active.is_(True), User.role != Role.ADMIN)
        ).all()
        db.session.add(
            Training(
                clinic_id=clinic.id,
                held_on=today - timedelta(days=45),
                topic=TrainingTopic.TRAINING_OF_TRAINERS,
                facilitator="Programme officer",
                other_attendees=2,
                recorded_by_id=peer.id,
                submission_key=uuid.uuid4(),
                staff_rows=[TrainingStaff(user_id=user_id) for user_id in team],
            )
        )


def _contact(
    rng, clinic: Clinic, peer: User, spot: Hotspot, known: Client | None, day: date, declines: random.Random
) -> None:
    group = rng.random() < 0.25
    db.session.add(
        OutreachContact(
            clinic_id=clinic.id,
            peer_educator_id=peer.id,
            contact_date=day,
            hotspot_id=spot.id,
            kind=ContactKind.GROUP if group else ContactKind.INDIVIDUAL,
            group_size=rng.randint(3, 12) if group else None,
            client_id=known.id if known and not group and rng.random() < 0.5 else None,
            male_condoms=rng.choice([0, 10, 20, 50]),
            lubricant=rng.choice([0, 5, 10]),
            self_test_kits=(kits := rng.choice([0, 0, 0, 1])) + (partner := int(kits and declines.random() < 0.4)),
            # Community distribution: who the kits are for and how they were handed over.
            self_test_distribution=(
                (SelfTestDistribution.ASSISTED if declines.random() < 0.5 else SelfTestDistribution.UNASSISTED)
                if kits
                else None
            ),
            kits_for_self=kits,
            kits_for_partner=partner,
            hiv_info=True,
            rights_info=rng.random() < 0.5,
            violence_info=rng.random() < 0.3,
            referral_offered=(offered := rng.random() < 0.4),
            test_declined=not offered and declines.random() < 0.15,
            submission_key=uuid.uuid4(),
        )
    )


def add_clients(
    rng: random.Random,
    clinics: dict[str, Clinic],
    nurse: User,
    n_clients: int,
    peer_educators: dict[str, User] | None = None,
) -> None:
    """Add ``n_clients`` synthetic clients with their visits; some are followed by a peer educator."""
    peer_educators = peer_educators or {}
    codes = list(CLINIC_WEIGHTS)
    numbers: set[str] = set()
    # The histories are drawn relative to today, so on some days chance leaves every positive linked to ART;
    # the demo always shows the "positive, not linked" due list: the last client is then diagnosed and
    # not yet linked.
    unlinked = False
    for index in range(n_clients):
        home = clinics[rng.choices(codes, weights=[CLINIC_WEIGHTS[c] for c in codes])[0]]
        today = local_today(home.timezone)
        enrolled = today - timedelta(days=int(rng.triangular(0, 720, 120)))
        number = identifiers.new_client_number()
        while number in numbers:
            number = identifiers.new_client_number()
        numbers.add(number)
        client = Client(
            clinic_id=home.id,
            client_number=number,
            enrolled_on=enrolled,
            consent_given=True,
            consent_recorded_at=datetime.combine(enrolled, time(9), UTC),
            registered_by_id=nurse.id,
            **_person(rng, home, today),
        )
        peer = peer_educators.get(home.code)
        if peer is not None and rng.random() < 0.6:
            client.peer_educator_id = peer.id
        db.session.add(client)
        scripted = index == n_clients - 1 and not unlinked
        h = _simulate(rng, client, home, list(clinics.values()), nurse, today, diagnose_unlinked=scripted)
        unlinked = unlinked or (h.positive and not h.art)
