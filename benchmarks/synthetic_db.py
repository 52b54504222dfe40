"""Synthetic benchmark databases: N visits across 8 clinics and 5 years, bulk-loaded with SQLAlchemy Core.

Clients are simulated visit by visit (HIV status, ART, PrEP, cervical screening
history) with random.Random(seed) in plain loops; rows are kept as tuples and
inserted table by table with ``insert()`` executemany in batches, one transaction
per table. The schema comes from the app's migrations. Everything is invented.
"""

import os
import random
import sqlite3
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path

from clinic_app import create_app
from clinic_app.clients.identifiers import format_client_number, luhn_check_digit
from clinic_app.extensions import db
from clinic_app.reports import upkeep
from clinic_app.visits import status

START, END = date(2021, 11, 16), date(2026, 11, 15)  # five years of service
BATCH = 10_000
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# code, name, country, time zone, share of clients
CLINICS = [
    ("NGD", "Ngodwana", "ZA", "Africa/Johannesburg", 2),
    ("CTR", "Cato Ridge", "ZA", "Africa/Johannesburg", 2),
    ("BBR", "Beitbridge", "ZW", "Africa/Harare", 4),
    ("VFA", "Victoria Falls", "ZW", "Africa/Harare", 2),
    ("INC", "Inchope", "MZ", "Africa/Maputo", 2),
    ("KZL", "Kazungula", "BW", "Africa/Gaborone", 1),
    ("CHR", "Chirundu", "ZM", "Africa/Lusaka", 2),
    ("MWZ", "Mwanza", "MW", "Africa/Blantyre", 1),
]
PEERS_PER_CLINIC, HOTSPOTS_PER_CLINIC = 3, 4
VISITS_MEAN = 5.4  # visits a client would make, before the end of the data cuts some short

# Columns of every table, in the order the generator writes its tuples.
RECORD = ("id", "created_at", "updated_at")
COLUMNS = {
    "clinics": RECORD + ("code", "name", "country", "timezone", "is_active"),
    "users": RECORD
    + (
        "username",
        "display_name",
        "password_hash",
        "role",
        "clinic_id",
        "language",
        "active",
        "last_sign_in_at",
        "session_version",
    ),
    "clients": RECORD
    + (
        "clinic_id",
        "client_number",
        "uic",
        "alias",
        "alias_key",
        "sex",
        "date_of_birth",
        "dob_estimated",
        "key_population",
        "nationality",
        "is_mobile",
        "phone",
        "phone_consent",
        "enrolled_on",
        "consent_given",
        "consent_recorded_at",
        "registered_by_id",
        "peer_educator_id",
        "merged_into_id",
        "merged_at",
    ),
    "hotspots": RECORD + ("clinic_id", "name", "kind", "is_active"),
    "peer_hotspots": ("user_id", "hotspot_id"),
    "visits": RECORD
    + (
        "clinic_id",
        "client_id",
        "service_date",
        "visit_type",
        "referral_code",
        "recorded_by_id",
        "notes",
        "next_appointment_on",
    ),
    "visit_reasons": ("visit_id", "reason"),
    "hiv_tests": RECORD
    + (
        "clinic_id",
        "visit_id",
        "modality",
        "previous_status",
        "screening_result",
        "confirmatory_result",
        "final_result",
        "result_received",
        "art_referred_to",
        "art_started_on",
        "art_site",
    ),
    "prep_events": RECORD
    + ("clinic_id", "visit_id", "event", "regimen", "months_dispensed", "next_appointment_on", "stop_reason"),
    "pep_courses": RECORD
    + ("clinic_id", "visit_id", "exposure", "hours_since_exposure", "regimen", "outcome", "outcome_on"),
    "sti_screenings": RECORD + ("clinic_id", "visit_id", "syndromes", "syphilis_result", "treatments"),
    "cervical_screenings": RECORD
    + (
        "clinic_id",
        "visit_id",
        "screening_type",
        "method",
        "result",
        "result_on",
        "triage_result",
        "treatment",
        "treatment_timing",
        "treated_on",
        "complete",
        "next_due_on",
    ),
    "self_test_kits": RECORD + ("clinic_id", "visit_id", "distribution", "for_self", "for_partner", "for_other"),
    "dispensed_items": RECORD + ("clinic_id", "visit_id", "item", "quantity"),
    "outreach_contacts": RECORD
    + (
        "clinic_id",
        "peer_educator_id",
        "contact_date",
        "hotspot_id",
        "kind",
        "client_id",
        "contact_uic",
        "group_size",
        "male_condoms",
        "lubricant",
        "self_test_kits",
        "hiv_info",
        "rights_info",
        "violence_info",
        "referral_offered",
        "submission_key",
    ),
    "referrals": RECORD
    + (
        "clinic_id",
        "peer_educator_id",
        "code",
        "service",
        "issued_on",
        "expires_on",
        "client_id",
        "contact_id",
        "visit_id",
        "completed_on",
        "submission_key",
    ),
    "trainings": RECORD
    + ("clinic_id", "held_on", "topic", "facilitator", "other_attendees", "recorded_by_id", "submission_key"),
    "training_attendees": ("training_id", "client_id"),
}

GAPS = (28, 30, 30, 30, 60, 60, 90, 90)  # days to the next appointment
LATE = (0, 0, 0, 1, 3, 7, 20, 60)  # days late for it
MODALITIES = ("facility_kp",) * 14 + ("mobile",) * 2 + ("vct",) * 2 + ("sti", "index")
LETTERS = "ABCDEFGHIJKLMNOPRSTUVWZ"
ALIASES = ("Chipo", "Tendai", "Rudo", "Lulu", "Sisi", "Naledi", "Zodwa", "Mimi", "Precious", "Gift", "Queen", "Joy")
SEX_CODE = {"female": "F", "male": "M", "transgender": "T"}


def _person(rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.85:
        return "female", "fsw"
    if roll < 0.91:
        return "transgender", "tgsw"
    if roll < 0.96:
        return "male", "msw"
    return ("male", "msm") if roll < 0.98 else ("female", "non_kp")


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Generator:
    """Builds every table's rows (tuples in COLUMNS order) for one database."""

    def __init__(self, n_visits: int, seed: int, visits_mean: float | None = None):
        self.rng = random.Random(seed)
        self.n_visits = n_visits
        self.visits_mean = visits_mean or VISITS_MEAN
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.days = [START + timedelta(days=d) for d in range((END - START).days + 1)]
        self.referral_serial = 0

    def stamp(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, self.rng.randint(5, 14), self.rng.randint(0, 59), tzinfo=UTC)

    def referral_code(self) -> str:
        self.referral_serial += 1
        return f"{(self.referral_serial * 0x9E3779B1) % (1 << 40):010X}"  # distinct, not sequential-looking

    def run(self) -> dict[str, list[tuple]]:
        self.network()
        self.clients_and_visits()
        _outreach(self)
        _trainings(self)
        self.in_entry_order()
        return self.rows

    def in_entry_order(self) -> None:
        """Rows in the order a clinic enters them (by creation time), so the file's layout is a real one's."""
        for name, columns in COLUMNS.items():
            if columns[:3] == RECORD:
                self.rows[name].sort(key=itemgetter(1))
        position = {row[0]: i for i, row in enumerate(self.rows["visits"])}
        self.rows["visit_reasons"].sort(key=lambda row: position[row[0]])

    # --- clinics, staff, hotspots ---------------------------------------------------------------------

    def network(self) -> None:
        rng, made = self.rng, datetime(2021, 10, 1, 8, tzinfo=UTC)
        self.clinics, self.clinic_weights, self.nurse, self.peers, self.hotspots = [], [], {}, {}, {}
        for code, name, country, tz, weight in CLINICS:
            cid = uuid.uuid4()
            self.rows["clinics"].append((cid, made, made, code, name, country, tz, True))
            self.clinics.append(cid)
            self.clinic_weights.append(weight)
            staff = [("nurse", "nurse")] + [(f"peer{i}", "peer_educator") for i in range(PEERS_PER_CLINIC)]
            ids = []
            for handle, role in staff:
                uid = uuid.uuid4()
                username = f"{handle}.{code.lower()}"
                self.rows["users"].append(
                    (uid, made, made, username, username.title(), "!", role, cid, "en", True, None, 1)
                )
                ids.append(uid)
            self.nurse[cid], self.peers[cid] = ids[0], ids[1:]
            self.hotspots[cid] = []
            for i in range(HOTSPOTS_PER_CLINIC):
                hid = uuid.uuid4()
                kind = rng.choice(("truck_stop", "border_post", "bar", "lodge", "street"))
                self.rows["hotspots"].append((hid, made, made, cid, f"{name} hotspot {i + 1}", kind, True))
                self.hotspots[cid].append(hid)
            for peer in self.peers[cid]:
                for hid in rng.sample(self.hotspots[cid], 2):
                    self.rows["peer_hotspots"].append((peer, hid))
        biggest = self.clinics[self.clinic_weights.index(max(self.clinic_weights))]  # Beitbridge of the eight
        self.rows["users"].append(
            (uuid.uuid4(), made, made, "admin", "Admin", "!", "admin", biggest, "en", True, None, 1)
        )

    # --- clients and their visits ---------------------------------------------------------------------

    def clients_and_visits(self) -> None:
        """Clients enrol on any day of the five years and come back until they drop out or the data ends,
        so the programme grows for about a year and then holds steady; stops at exactly n_visits."""
        rng, last_day, made = self.rng, len(self.days) - 1, 0
        self.home_clients = {cid: [] for cid in self.clinics}
        serial = 0
        while made < self.n_visits:
            planned = 1 + min(int(rng.expovariate(1 / self.visits_mean)), 59)
            offsets = [rng.randint(0, last_day)]
            while len(offsets) < planned:
                offsets.append(offsets[-1] + rng.choice(GAPS) + rng.choice(LATE))
            offsets = [o for o in offsets if o <= last_day][: self.n_visits - made]
            serial += 1
            self.client((serial * 48271) % 10**8, [self.days[o] for o in offsets])  # distinct numbers
            made += len(offsets)

    def client(self, number: int, visit_days: list[date]) -> None:
        rng = self.rng
        home = rng.choices(self.clinics, self.clinic_weights)[0]
        enrolled = visit_days[0]
        sex, kp = _person(rng)
        born = enrolled - timedelta(days=int(min(60, max(16, rng.gauss(28, 7)))) * 365 + rng.randint(0, 364))
        estimated = rng.random() < 0.1
        letters = "".join(rng.choice(LETTERS) for _ in range(4))
        uic = f"{letters}{'0000' if estimated else born.strftime('%d%m')}{born.strftime('%y')}{SEX_CODE[sex]}"
        alias = rng.choice(ALIASES) if rng.random() < 0.6 else None
        digits = f"{number:08d}"
        phone = f"+2637{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.4 else None
        peer = rng.choice(self.peers[home]) if rng.random() < 0.5 else None
        stamp = self.stamp(enrolled)
        client_id = uuid.uuid4()
        self.rows["clients"].append(
            (
                client_id,
                stamp,
                stamp,
                home,
                format_client_number(digits + luhn_check_digit(digits)),
                uic,
                alias,
                alias.lower() if alias else None,
                sex,
                born,
                estimated,
                kp,
                rng.choice(("ZA", "ZW", "MZ", "MW", "ZM", "BW")),
                rng.random() < 0.25,
                phone,
                phone is not None,
                enrolled,
                True,
                stamp,
                self.nurse[home],
                peer,
                None,
                None,
            )
        )
        self.home_clients[home].append((client_id, uic))
        History(self, client_id, home, sex, born, peer, mobile=rng.random() < 0.25).visits(visit_days)


class History:
    """One client's clinical story, visit by visit: HIV status, ART, PrEP, cervical screening."""

    def __init__(self, gen: Generator, client_id, home, sex: str, born: date, peer, mobile: bool):
        self.gen, self.rng, self.rows = gen, gen.rng, gen.rows
        self.client_id, self.home, self.sex, self.born, self.peer, self.mobile = (
            client_id,
            home,
            sex,
            born,
            peer,
            mobile,
        )
        self.positive = self.rng.random() < 0.02  # already known positive when enrolled
        self.on_prep = self.ever_prep = False
        self.wants_prep = self.rng.random() < 0.52
        self.tested = False
        self.cervical_due: date | None = None
        self.screened = self.treated = False

    def visits(self, days: list[date]) -> None:
        rng, gen = self.rng, self.gen
        for j, day in enumerate(days):
            clinic = rng.choice(gen.clinics) if self.mobile and rng.random() < 0.3 else self.home
            stamp = gen.stamp(day)
            visit_id = uuid.uuid4()
            reasons = set()
            hiv = self.hiv(visit_id, clinic, day, stamp, first=j == 0, reasons=reasons)
            self.prep(visit_id, clinic, day, stamp, hiv, reasons)
            self.other_services(visit_id, clinic, day, stamp, reasons)
            referral_code = None
            if self.peer is not None and rng.random() < 0.12:  # came with a peer educator's slip
                referral_code = self.referral(clinic, day, stamp, visit_id)
            elif self.peer is not None and rng.random() < 0.06:  # given a slip that was never used
                self.referral(clinic, min(END, day + timedelta(days=rng.randint(1, 20))), stamp, None)
            next_on = days[j + 1] if j + 1 < len(days) else day + timedelta(days=90)
            self.rows["visits"].append(
                (
                    visit_id,
                    stamp,
                    stamp,
                    clinic,
                    self.client_id,
                    day,
                    "new" if j == 0 else "return",
                    referral_code,
                    gen.nurse[clinic],
                    None,
                    next_on,
                )
            )
            for reason in sorted(reasons or {"general"}):
                self.rows["visit_reasons"].append((visit_id, reason))

    def record(self, table: str, visit_id, clinic, stamp, *values) -> None:
        self.rows[table].append((uuid.uuid4(), stamp, stamp, clinic, visit_id, *values))

    def hiv(self, visit_id, clinic, day: date, stamp, first: bool, reasons: set) -> str | None:
        """The final result of today's test (None when not tested); known positives are not retested."""
        rng = self.rng
        if self.positive:
            reasons.add("art")
            if first:  # known positive at enrolment: most already on ART elsewhere
                elsewhere = rng.random() < 0.7
                started = day - timedelta(days=rng.randint(30, 2000)) if elsewhere else day
                site = "other_facility" if elsewhere else "this_clinic"
                self.record(
                    "hiv_tests",
                    visit_id,
                    clinic,
                    stamp,
                    None,
                    "known_positive",
                    None,
                    None,
                    None,
                    False,
                    None,
                    started,
                    site,
                )
            return None
        if rng.random() >= 0.84:
            return None
        reasons.add("hiv_testing")
        previous = "negative" if self.tested else rng.choice(("never_tested", "negative", "unknown"))
        self.tested = True
        roll = rng.random()
        referred = started = site = None
        if roll < 0.03:
            screen, confirm, final = "reactive", "reactive", "positive"
            self.positive = True
            link = rng.random()
            if link < 0.88:
                started, site = day + timedelta(days=rng.choice((0, 0, 0, 0, 7, 14))), "this_clinic"
            elif link < 0.97:
                referred, site = "District hospital ART clinic", "other_facility"
        elif roll < 0.033:
            screen, confirm, final = "reactive", "non_reactive", "inconclusive"
        elif roll < 0.035:
            screen, confirm, final = "reactive", None, None  # confirmatory test still to do
        else:
            screen, confirm, final = "non_reactive", None, "negative"
        received = final is not None and rng.random() < 0.98
        self.record(
            "hiv_tests",
            visit_id,
            clinic,
            stamp,
            rng.choice(MODALITIES),
            previous,
            screen,
            confirm,
            final,
            received,
            referred,
            started,
            site,
        )
        return final

    def prep(self, visit_id, clinic, day: date, stamp, hiv: str | None, reasons: set) -> None:
        rng = self.rng
        event = regimen = months = stop = None
        if self.positive:
            if self.on_prep:
                self.on_prep, event, stop = False, "stop", "hiv_positive"
        elif self.on_prep:
            if rng.random() < 0.07:
                self.on_prep, event = False, "stop"
                stop = rng.choice(("no_risk", "side_effects", "client_choice", "moved"))
            else:
                event, regimen, months = "follow_up", "tdf_ftc", rng.choice((1, 2, 3, 3))
        elif hiv == "negative" and self.wants_prep and rng.random() < (0.3 if self.ever_prep else 0.6):
            event = "restart" if self.ever_prep else "initiation"
            regimen = "cab_la" if rng.random() < 0.1 else "tdf_ftc"
            months = 2 if regimen == "cab_la" else 1
            self.on_prep = self.ever_prep = True
        if event is None:
            return
        reasons.add("prep")
        next_on = day + timedelta(days=30 * months) if months else None
        self.record("prep_events", visit_id, clinic, stamp, event, regimen, months, next_on, stop)

    def other_services(self, visit_id, clinic, day: date, stamp, reasons: set) -> None:
        rng = self.rng
        violence = rng.random() < 0.008
        if not self.positive and not self.on_prep and rng.random() < 0.012:
            exposure = rng.choice(("sexual_violence", "condom_failure", "condom_failure", "unprotected", "other"))
            violence = violence or exposure == "sexual_violence"
            outcome = rng.choice(("completed", "completed", "completed", "not_completed", "unknown", None))
            outcome_on = day + timedelta(days=28) if outcome else None
            self.record(
                "pep_courses", visit_id, clinic, stamp, exposure, rng.randint(2, 70), "tdf_3tc_dtg", outcome, outcome_on
            )
            reasons.add("pep")
        if violence:
            reasons.add("violence")
        if rng.random() < 0.10:
            symptomatic = rng.random() < 0.6
            self.record(
                "sti_screenings",
                visit_id,
                clinic,
                stamp,
                [rng.choice(("discharge", "ulcer", "lap"))] if symptomatic else ["none"],
                rng.choice(("non_reactive", "non_reactive", "non_reactive", "reactive", "not_done")),
                ["syndromic"] if symptomatic else [],
            )
            reasons.add("sti")
        self.cervical(visit_id, clinic, day, stamp, reasons)
        if rng.random() < 0.08:
            partner, other = rng.choice((0, 0, 1, 2)), rng.choice((0, 0, 0, 1))
            distribution = "assisted" if rng.random() < 0.4 else "unassisted"
            self.record("self_test_kits", visit_id, clinic, stamp, distribution, 1, partner, other)
        goods = []
        if rng.random() < 0.85:
            goods.append(("male_condoms", rng.choice((20, 30, 50, 100))))
        if rng.random() < 0.55:
            goods.append(("lubricant", rng.choice((10, 20))))
        if rng.random() < 0.06:
            goods.append(("female_condoms", 5))
        for item, quantity in goods:
            self.record("dispensed_items", visit_id, clinic, stamp, item, quantity)
        if goods:
            reasons.add("condoms")

    def cervical(self, visit_id, clinic, day: date, stamp, reasons: set) -> None:
        rng = self.rng
        if self.sex != "female" or not 25 <= _age(self.born, day) <= 65:
            return
        if self.cervical_due and day < self.cervical_due or rng.random() >= 0.13:
            return
        roll = rng.random()
        method = "via" if roll < 0.65 else "hpv" if roll < 0.95 else "pap"
        roll = rng.random()
        result = "negative" if roll < 0.88 else "positive" if roll < 0.98 else "suspected_cancer"
        if method == "hpv" and result == "suspected_cancer":
            result = "positive"
        if rng.random() < 0.02:
            result = None  # result still awaited
        triage = None
        if method == "hpv" and result == "positive" and rng.random() < 0.85:
            triage = rng.choice(("negative", "positive"))
        outcome = triage if method == "hpv" and result == "positive" else result
        complete = result is not None and (method != "hpv" or result != "positive" or triage is not None)
        treatment = timing = treated_on = None
        if outcome in ("positive", "suspected_cancer"):
            roll = rng.random()
            treatment = "thermal_ablation" if roll < 0.6 else "cryotherapy" if roll < 0.85 else "leep"
            if rng.random() < 0.1:
                treatment = "none"
            else:
                timing, treated_on = ("same_day", day) if rng.random() < 0.7 else ("referred", day + timedelta(days=14))
        screening_type = "post_treatment" if self.treated else "rescreen" if self.screened else "first"
        self.screened, self.treated = True, treatment not in (None, "none")
        self.cervical_due = day + timedelta(days=365 if self.treated else 3 * 365)
        self.record(
            "cervical_screenings",
            visit_id,
            clinic,
            stamp,
            screening_type,
            method,
            result,
            day if result else None,
            triage,
            treatment,
            timing,
            treated_on,
            complete,
            self.cervical_due,
        )
        reasons.add("cervical")

    def referral(self, clinic, issued_on: date, stamp, visit_id) -> str:
        rng, code = self.rng, self.gen.referral_code()
        if visit_id is not None:
            issued_on, completed_on = (
                max(START, issued_on - timedelta(days=rng.choice((0, 1, 2, 3, 5, 8, 14)))),
                issued_on,
            )
        else:
            completed_on = None
        self.rows["referrals"].append(
            (
                uuid.uuid4(),
                stamp,
                stamp,
                clinic,
                self.peer,
                code,
                rng.choice(("hiv_test", "hiv_test", "prep", "sti", "cervical", "violence")),
                issued_on,
                issued_on + timedelta(days=30),
                self.client_id,
                None,
                visit_id,
                completed_on,
                uuid.uuid4(),
            )
        )
        return code


def _outreach(gen: Generator) -> None:
    """About 0.4 peer-educator contacts per visit: known clients, new contacts by UIC, anonymous people, groups."""
    rng, visits = gen.rng, gen.rows["visits"]
    for _ in range(int(0.4 * gen.n_visits)):
        roll = rng.random()
        client_id = uic = size = None
        if roll < 0.34:  # a known client, met around one of their visits
            visit = visits[rng.randrange(len(visits))]
            clinic, client_id = visit[3], visit[4]
            day = max(START, visit[5] - timedelta(days=rng.randint(1, 30)))
        else:
            clinic = rng.choices(gen.clinics, gen.clinic_weights)[0]
            day = gen.days[rng.randrange(len(gen.days))]
            if roll < 0.56:
                known = gen.home_clients[clinic]
                if known and rng.random() < 0.5:
                    uic = known[rng.randrange(len(known))][1]
                else:
                    uic = "".join(rng.choice(LETTERS) for _ in range(4)) + f"{rng.randint(10101, 311299):06d}F"
            elif roll < 0.75:
                size = rng.randint(3, 12)
        stamp = gen.stamp(day)
        contact_id = uuid.uuid4()
        referral = rng.random() < 0.4
        gen.rows["outreach_contacts"].append(
            (
                contact_id,
                stamp,
                stamp,
                clinic,
                rng.choice(gen.peers[clinic]),
                day,
                rng.choice(gen.hotspots[clinic]),
                "group" if size else "individual",
                client_id,
                uic,
                size,
                rng.choice((0, 10, 20, 50)),
                rng.choice((0, 5, 10)),
                rng.choice((0, 0, 0, 1)),
                rng.random() < 0.9,
                rng.random() < 0.5,
                rng.random() < 0.3,
                referral,
                uuid.uuid4(),
            )
        )
        if referral and rng.random() < 0.3:  # a slip handed over at the contact, not (yet) used
            gen.rows["referrals"].append(
                (
                    uuid.uuid4(),
                    stamp,
                    stamp,
                    clinic,
                    gen.rows["outreach_contacts"][-1][4],
                    gen.referral_code(),
                    rng.choice(("hiv_test", "prep", "sti")),
                    day,
                    day + timedelta(days=30),
                    client_id,
                    contact_id,
                    None,
                    None,
                    uuid.uuid4(),
                )
            )


def _trainings(gen: Generator) -> None:
    rng = gen.rng
    for _ in range(max(20, gen.n_visits // 1000)):
        clinic = rng.choices(gen.clinics, gen.clinic_weights)[0]
        day = gen.days[rng.randrange(len(gen.days))]
        stamp, training_id = gen.stamp(day), uuid.uuid4()
        peer = rng.choice(gen.peers[clinic])
        topic = rng.choice(("hiv_prevention", "health_seeking", "hct", "srh", "rights_safety"))
        gen.rows["trainings"].append(
            (training_id, stamp, stamp, clinic, day, topic, "Peer educator", rng.randint(0, 15), peer, uuid.uuid4())
        )
        known = gen.home_clients[clinic]
        for client_id, _uic in rng.sample(known, min(len(known), rng.randint(3, 10))):
            gen.rows["training_attendees"].append((training_id, client_id))


# --- loading ----------------------------------------------------------------------------------------------


def _files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _app(path: Path):
    return create_app(
        {
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path.resolve()}",
            "DATABASE_ENCRYPTION": "none",
        }
    )


def usable(path: Path, n_visits: int, log=print) -> bool:
    """True when ``path`` holds a finished benchmark database of ``n_visits``.

    One built at an older schema is brought to the current one by the app's migrations
    (as a clinic's database would be), not rebuilt.
    """
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            count = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    except sqlite3.Error:
        return False
    if version is None or count != n_visits:
        return False
    if version[0] != head_revision():
        started = time.perf_counter()
        with _app(path).app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()
        log(f"  migrated {path.name} from {version[0]} to {head_revision()} in {time.perf_counter() - started:.0f} s")
    return True


def build(path: Path, n_visits: int, seed: int = 2024, log=print, visits_mean: float | None = None) -> None:
    """Build the database at ``path`` (written beside it, then moved into place when complete)."""
    building = path.with_name(path.name + ".building")
    for stale in _files(building):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    rows = Generator(n_visits, seed, visits_mean).run()
    log(f"  generated {sum(len(r) for r in rows.values()):,} rows in {time.perf_counter() - started:.0f} s")
    with _app(building).app_context():
        from flask_migrate import upgrade

        upgrade()
        tables = db.metadata.tables
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")  # 1 GB: random-UUID index inserts stay in memory
            conn.commit()
            for name in COLUMNS:  # parents before children
                table_started, columns, table_rows = time.perf_counter(), COLUMNS[name], rows.pop(name)
                with conn.begin():
                    for i in range(0, len(table_rows), BATCH):
                        batch = [dict(zip(columns, row, strict=True)) for row in table_rows[i : i + BATCH]]
                        conn.execute(tables[name].insert(), batch)
                log(f"  {name:<20} {len(table_rows):>10,} rows  {time.perf_counter() - table_started:6.1f} s")
                del table_rows
            # The rows went in by bulk statements, which the ORM hook keeping ClientStatus does not see.
            table_started = time.perf_counter()
            with conn.begin():
                written = status.rebuild(conn)
            log(f"  {'client_status':<20} {written:>10,} rows  {time.perf_counter() - table_started:6.1f} s")
            table_started = time.perf_counter()
            with conn.begin():
                counts = upkeep.rebuild(conn)
            elapsed = time.perf_counter() - table_started
            log(f"  {'report facts':<20} {sum(counts.values()):>10,} rows  {elapsed:6.1f} s")
        db.engine.dispose()
    os.replace(building, path)
    for leftover in _files(building)[1:]:
        leftover.unlink(missing_ok=True)
    log(f"  built {path.name} in {time.perf_counter() - started:.0f} s")


# --- encrypted copies -----------------------------------------------------------------------------------------

PASSPHRASE = "benchmark passphrase - synthetic data"  # noqa: S105 (synthetic data only)


def encrypted_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-sqlcipher{path.suffix}")


def connect(path: Path, *, encrypted: bool = False, read_only: bool = False):
    """A DB-API connection to a benchmark file, keyed with PASSPHRASE when it is an SQLCipher copy."""
    uri = f"file:{path}?mode={'ro' if read_only else 'rw'}"
    if not encrypted:
        return sqlite3.connect(uri, uri=True)
    from sqlcipher3 import dbapi2 as sqlcipher

    connection = sqlcipher.connect(uri, uri=True)
    connection.execute(f"PRAGMA key = '{PASSPHRASE}'")
    return connection


def _revision_and_visits(connection) -> tuple:
    return (
        connection.execute("SELECT version_num FROM alembic_version").fetchone()[0],
        connection.execute("SELECT count(*) FROM visits").fetchone()[0],
    )


def _same_contents(plain: Path, target: Path) -> bool:
    from sqlcipher3 import dbapi2 as sqlcipher

    if not target.exists():
        return False
    connections = []
    try:
        connections = [connect(plain, read_only=True), connect(target, encrypted=True, read_only=True)]
        return _revision_and_visits(connections[0]) == _revision_and_visits(connections[1])
    except (sqlite3.Error, sqlcipher.Error):  # a half-made copy, or another key
        return False
    finally:
        for connection in connections:
            connection.close()


def encrypted_copy(path: Path, log=print) -> Path:
    """An SQLCipher copy of the benchmark database ``path``, as a clinic's own file is (kept beside it,
    made once with sqlcipher_export; made again when the plain file moved to another schema or size)."""
    target = encrypted_path(path)
    if _same_contents(path, target):
        return target
    from sqlcipher3 import dbapi2 as sqlcipher

    started, building = time.perf_counter(), target.with_name(target.name + ".building")
    for stale in _files(building):
        stale.unlink(missing_ok=True)
    plain = sqlcipher.connect(str(path))  # no key: SQLCipher reads a plain file as SQLite does
    try:
        plain.execute(f"ATTACH DATABASE '{building}' AS secret KEY '{PASSPHRASE}'")
        plain.execute("SELECT sqlcipher_export('secret')")  # tables, indexes and planner statistics
        plain.execute("PRAGMA secret.journal_mode=WAL")
        plain.execute("DETACH DATABASE secret")
    finally:
        plain.close()
    os.replace(building, target)
    for leftover in (*_files(building)[1:], *_files(target)[1:]):
        leftover.unlink(missing_ok=True)
    log(f"  encrypted {path.name} into {target.name} in {time.perf_counter() - started:.0f} s")
    return target


def app_for(path: Path, *, encrypted: bool = False):
    """The app on a benchmark file, opened as a clinic's is: an SQLCipher copy through the vault, unlocked
    with its passphrase (as the unlock page does), every connection keyed first, then the app's pragmas."""
    from clinic_app.vault.keyring import vault

    app = create_app(
        {
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path.resolve()}",
            "DATABASE_ENCRYPTION": "sqlcipher" if encrypted else "none",
            "AUDIT_KEY": "benchmark",  # the audit chain's key of a plain file (an encrypted one seals its own)
        }
    )
    if encrypted and not vault(app).unlock(PASSPHRASE):
        raise SystemExit(f"{path} does not open with the benchmark passphrase")
    return app
