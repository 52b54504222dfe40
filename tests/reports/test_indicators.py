"""Every table of the MER, programme and clinic monthly formats against a hand count.

The history is in tests/reports/clinic_history.py (one comment per client says what it
proves). Each expected dict below lists every non-zero cell of a table, counted by hand
from that file; every cell not listed must be 0.
"""

from datetime import UTC, date, datetime

import pytest

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.core.actor import system_actor
from clinic_app.reports import services
from clinic_app.reports.dataset import Dataset, TableData
from clinic_app.screening.models import ArtSite
from clinic_app.visits.models import Commodity, PrepEventType, VisitReason
from tests.reports.clinic_history import KP_CLINIC, NEG, POS, ClinicHistory, build_history

NOW = datetime(2026, 1, 15, 7, 30, tzinfo=UTC)


@pytest.fixture
def history(kept_build, make, clinic, other_clinic):
    return kept_build(build_history, make, clinic, other_clinic)


def report(format_code: str, period: str, clinics=("BBR",)) -> Dataset:
    request = services.ReportRequest(format_code=format_code, period_code=period, clinic_codes=list(clinics))
    return services.build(actor=system_actor(), request=request, now=NOW)


def table(dataset: Dataset, title: str) -> TableData:
    found = [t for g in dataset.groups for t in g.tables if t.title == title]
    assert len(found) == 1, f"no single table {title!r}"
    return found[0]


def nonzero(t: TableData) -> dict[tuple[str, str], int]:
    """The table's non-zero cells as {("row labels", "column labels"): value}; checks the sums too."""
    cells = {}
    for labels, values, row_total in zip(t.rows, t.values, t.row_totals, strict=True):
        assert sum(values) == row_total
        for column, value in zip(t.columns, values, strict=True):
            assert type(value) is int
            if value:
                cells[(" / ".join(labels), " / ".join(column))] = value
    assert t.total == sum(cells.values())
    return cells


# --------------------------------------------------------------------------- MER, FY2026Q1, Beitbridge
MER_FY2026Q1_BBR = {
    # c1, c2, c3, c4 (MSW: "MSM"), c5 (TG), c6, c7 (known positive), c9, c10, c11 (MSM), c13, c14 (MSW),
    # c15 (outreach, by UIC): 13 people, each once. c6 was diagnosed in the period: newly tested.
    "KP_PREV: key population type by testing status": {
        ("FSW", "Known positive"): 1,
        ("FSW", "Newly tested or referred"): 8,
        ("MSM", "Newly tested or referred"): 3,
        ("TG", "Newly tested or referred"): 1,
    },
    # 12 tests: not c7 (known positive), c11 (inconclusive), V19 (result not given), X5/X6 (outside),
    # N1 (other clinic). c2's two tests fall either side of her 20th birthday.
    "HTS_TST: modality and result by age and sex": {
        ("KP clinic / Negative", "Female / 15-19"): 1,  # c2 on 2025-10-20
        ("KP clinic / Negative", "Female / 20-24"): 1,  # c2 on 2025-12-01
        ("KP clinic / Negative", "Female / 25-29"): 2,  # c3 (V5), c13
        ("KP clinic / Negative", "Female / 30-34"): 1,  # c9
        ("KP clinic / Negative", "Female / 35-39"): 1,  # c1 (V1, first day)
        ("KP clinic / Negative", "Transgender / 25-29"): 1,  # c5, transgender
        ("KP clinic / Positive", "Female / 25-29"): 1,  # c3 (V6)
        ("VCT / Negative", "Female / 20-24"): 1,  # c10 (last day)
        ("VCT / Negative", "Female / 35-39"): 1,  # c1 (V2)
        ("STI clinic / Negative", "Male / 40-44"): 1,  # c4
        ("Mobile / Positive", "Female / 30-34"): 1,  # c6
    },
    "HTS_TST: key population type by result": {
        ("FSW", "Negative"): 8,
        ("FSW", "Positive"): 2,
        ("MSM", "Negative"): 1,
        ("TG", "Negative"): 1,
    },
    "HTS_SELF: kits by distribution and user": {
        ("Assisted", "Other"): 1,  # c13
        ("Unassisted", "Self"): 1,  # c10
        ("Unassisted", "Sexual partner"): 2,  # c10
        ("Unassisted", "Not recorded (outreach)"): 3,  # the group O3
    },
    "PrEP_NEW: age and sex": {("Female", "15-19"): 1},  # c2, 19 at initiation
    "PrEP_NEW: key population type": {("FSW", ""): 1},
    "PrEP_NEW: PrEP type by distribution": {("Oral", "Facility"): 1},  # c2, TDF/FTC at the clinic
    # c3 (latest positive), c4 (latest not tested: MER "Other"), c5 (negative); not c2 (new this period).
    "PrEP_CT: HIV test result at the latest visit": {("Positive", ""): 1, ("Negative", ""): 1, ("Other", ""): 1},
    "PrEP_CT: age and sex": {("Female", "25-29"): 1, ("Male", "40-44"): 1, ("Transgender", "25-29"): 1},
    "PrEP_CT: key population type": {("FSW", ""): 1, ("MSM", ""): 1, ("TG", ""): 1},  # c3; c4 (MSW); c5
    "PrEP_CT: PrEP type by distribution": {("Oral", "Facility"): 3},
    # c7 (45, first, positive) and c8 (53, HPV positive, triage negative); not c6 (not on ART),
    # c9 (incomplete), c10 (HIV negative).
    "CXCA_SCRN: visit type and result by age": {
        ("First screening / Positive", "45-49"): 1,
        ("Rescreen after a negative / Negative", "50-54"): 1,  # MER splits 50+ for CXCA
    },
    "CXCA_TX denominator: screen positives by visit type": {("First screening", ""): 1},
    "CXCA_TX: treatment by screening visit type": {("Thermal ablation", "First screening"): 1},
    "CXCA_TX: age": {("45-49", ""): 1},  # c7, treated the day of her screen
    "TX_NEW: age and sex (ART started at this clinic)": {("Female", "25-29"): 1},  # c3
    "TX_NEW: key population type": {("FSW", ""): 1},
    "GEND_GBV: type of violence, with PEP given": {
        ("Sexual violence", "PEP given"): 1,  # c13, twice, once
        ("Physical or emotional violence", "No PEP"): 1,  # c14
    },
}

# --------------------------------------------------------------------------- programme, 2025Q4, Beitbridge
PROGRAMME_2025Q4_BBR = {
    # V1..V19 less V15 (c11 is MSM, not a sex worker).
    "Sex-worker visits (total)": {
        ("Female sex worker", "New"): 5,  # V1, V3, V10, V14, V16
        ("Female sex worker", "Return"): 8,  # V2, V4, V5, V6, V11, V12, V13, V17
        ("Male sex worker", "New"): 1,  # V18
        ("Male sex worker", "Return"): 3,  # V7, V8, V19
        ("Transgender sex worker", "New"): 1,  # V9
    },
    "Sex workers seen (unique people)": {
        ("Female sex worker", ""): 9,  # c1, c2, c3, c6, c7, c8, c9, c10, c13
        ("Male sex worker", ""): 2,  # c4, c14
        ("Transgender sex worker", ""): 1,  # c5
    },
    # The HTS_TST total (12): results given, not c7 (known positive); V15 and V19 below.
    "HIV tests with a result given (HTS_TST)": {("Negative", ""): 10, ("Positive", ""): 2},
    "HIV tests without a result given": {("Inconclusive", ""): 1, ("Result not given", ""): 1},  # V15; V19
    "PrEP: new": {("Female sex worker", ""): 1},
    "PrEP: continuing": {("Female sex worker", ""): 1, ("Male sex worker", ""): 1, ("Transgender sex worker", ""): 1},
    # c6, c8 (by triage), c10 negative; c7 positive; c9 incomplete.
    "Cervical screenings of all clients, by result": {("Negative", ""): 3, ("Positive", ""): 1},
    "Violence cases given clinical care": {
        ("Sexual violence", "PEP given"): 1,
        ("Physical or emotional violence", "No PEP"): 1,
    },
    "Outreach contacts": {("One person", ""): 4, ("Small group", ""): 1},  # O1, O2, O4, O5; O3
    "People reached by outreach": {("", ""): 9},  # c1 once, O4's UIC, c15's UIC, a group of 6
    "Referrals issued": {("HIV test", ""): 1, ("PrEP", ""): 1, ("Cervical screening", ""): 1},  # R1, R2, R4
    # Slips redeemed in the quarter: R1 at V2 (2025-11-10), within its 60 days.
    "Referrals completed (slips redeemed in the period)": {("HIV test", "On time"): 1},
    "People trained": {("Clients", ""): 2, ("Others (head count)", ""): 4},  # c1 (twice, once), c15; 4 others
}

# --------------------------------------------------------------------------- clinic monthly, 2025-12, Beitbridge
CLINIC_MONTHLY_2025_12_BBR = {
    "Visits, new and return": {("New", ""): 1, ("Return", ""): 4},  # V14; V4, V6, V17, V19
    "HIV tests by result (result given)": {("Negative", ""): 2, ("Positive", ""): 1},  # V4, V14; V6
    "HIV tests without a result given": {("Result not given", ""): 1},  # V19
    "HIV self-test kits": {("Unassisted", "Self"): 1, ("Unassisted", "Sexual partner"): 2},
    "HIV self-test kits by where they were handed out": {("At the clinic", "Unassisted"): 3},
    "PrEP started": {},
    # c2 started in October, so in December alone her follow-up is PrEP_CT; c3 positive.
    "PrEP follow-ups and refills": {("Negative", ""): 1, ("Positive", ""): 1},
    "PEP given": {("Condom burst or slipped", ""): 1},
    "ART started here": {("Female", ""): 1},
    "STI screenings": {("Treated", ""): 1},
    "Cervical screenings by result": {("Negative", "First screening"): 1},
    "Condoms and lubricant handed out": {
        ("Female condoms", "At the clinic"): 4,
        ("Lubricant sachets", "At outreach"): 5,
    },
    "Peer referrals issued": {("Cervical screening", ""): 1},  # R4 on 2025-12-31
    "Peer referrals completed (redeemed this month)": {},
}

CASES = [
    ("mer", "FY2026Q1", MER_FY2026Q1_BBR),
    ("programme", "2025Q4", PROGRAMME_2025Q4_BBR),
    ("clinic_monthly", "2025-12", CLINIC_MONTHLY_2025_12_BBR),
]


def _table_cases():
    for format_code, period, expected in CASES:
        for title, cells in expected.items():
            yield pytest.param(format_code, period, title, cells, id=f"{format_code}-{period}-{title[:40]}")


@pytest.mark.parametrize(("format_code", "period", "title", "cells"), list(_table_cases()))
def test_each_table_matches_the_hand_count(history, format_code, period, title, cells):
    assert nonzero(table(report(format_code, period), title)) == cells


@pytest.mark.parametrize(("format_code", "period", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_hand_count_covers_every_table_of_the_format(history, format_code, period, expected):
    dataset = report(format_code, period)
    assert [t.title for g in dataset.groups for t in g.tables] == list(expected)
    assert (dataset.period, dataset.period_start, dataset.period_end) == (
        period,
        "2025-12-01" if period == "2025-12" else "2025-10-01",
        "2025-12-31",
    )
    assert dataset.clinics == ["Beitbridge (BBR)"]


# --------------------------------------------------------------------------- trends
def test_mer_trend_counts_the_three_quarters_before(history):
    dataset = report("mer", "FY2026Q1")
    assert dataset.trend_periods == ["FY2025Q2", "FY2025Q3", "FY2025Q4", "FY2026Q1"]
    assert dataset.trend == {
        "HTS_TST": [1, 1, 1, 12],  # X1, X2, X6 (2025-09-30)
        "PrEP_NEW": [1, 1, 0, 1],  # c3, c4, c2
        "PrEP_CT": [0, 0, 0, 3],
        # Each point is its own quarter, even FY2025Q4 (whose MER table counts the fiscal year to date:
        # c3, c4, c11, c15): only c11 (X6) and c15 (O6) were reached in Jul-Sep 2025.
        "KP_PREV": [1, 1, 2, 13],
    }
    assert "counts its own period only" in dataset.trend_note


def test_a_q4_trend_says_its_last_point_is_the_quarter_not_the_fiscal_year(history):
    dataset = report("mer", "FY2025Q4")
    assert dataset.trend["KP_PREV"][-1] == 2  # c11 and c15, not the four people of FY2025
    assert dataset.totals()["KP_PREV"] == 4  # the table: the fiscal year to date, as MER asks at Q4
    assert "the trend's last point counts FY2025Q4 alone" in dataset.trend_note


def test_programme_trend(history):
    dataset = report("programme", "2025Q4")
    assert dataset.trend_periods == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert dataset.trend == {
        "SW_PEOPLE": [1, 1, 0, 12],  # c3; c4; c11 is MSM
        "HIV_TESTS": [1, 1, 1, 12],  # results given: the HTS_TST total (not V15, V19)
        "PrEP_NEW": [1, 1, 0, 1],
        "OUTREACH_CONTACTS": [0, 0, 1, 5],  # O6
    }


def test_clinic_monthly_trend(history):
    dataset = report("clinic_monthly", "2025-12")
    assert dataset.trend_periods == ["2025-09", "2025-10", "2025-11", "2025-12"]
    assert dataset.trend == {
        "VISITS": [1, 7, 7, 5],
        "HIV_TESTS": [1, 5, 4, 3],  # results given: not V15 (Nov, inconclusive), V19 (Dec, not given)
        "PrEP_CT": [0, 2, 2, 2],
        # Sep: X6 5 + O6 4; Oct: 20 + 10 + 15 + 5 + O1 10 + O4 5; Nov: 10 + 30 + 12 + O3 60 + O5 8;
        # Dec: 4 female condoms + O2 5 lubricant.
        "COMMODITIES": [9, 65, 120, 9],
    }


# --------------------------------------------------------------------------- clinics
def test_another_clinics_test_counts_only_when_every_clinic_is_reported(history):
    bbr = report("mer", "FY2026Q1")
    everywhere = report("mer", "FY2026Q1", clinics=())
    ngo = report("mer", "FY2026Q1", clinics=("NGO",))
    by_age = "HTS_TST: modality and result by age and sex"
    by_kp = "HTS_TST: key population type by result"
    assert nonzero(table(bbr, by_age))[("VCT / Negative", "Female / 35-39")] == 1  # c1
    assert nonzero(table(everywhere, by_age))[("VCT / Negative", "Female / 35-39")] == 2  # c1 and c12
    assert table(everywhere, by_age).total == 13
    assert nonzero(table(everywhere, by_kp))[("FSW", "Negative")] == 9
    assert nonzero(table(ngo, by_age)) == {("VCT / Negative", "Female / 35-39"): 1}
    assert everywhere.clinics == ["All clinics"]


def test_other_clinics_kp_prev_reach_counts_for_all_clinics_only(history):
    everywhere = report("mer", "FY2026Q1", clinics=())
    ngo = report("mer", "FY2026Q1", clinics=("NGO",))
    title = "KP_PREV: key population type by testing status"
    assert table(everywhere, title).total == 14  # the 13 of BBR and c12
    assert nonzero(table(ngo, title)) == {("FSW", "Newly tested or referred"): 1}


# --------------------------------------------------------------------------- data quality
def test_data_quality_findings_of_the_history(history):
    findings = {f.code: f.count for f in report("mer", "FY2026Q1").findings}
    assert findings == {
        "positive_without_linkage": 1,  # V10 (c6); V6 (c3) was started on ART
        "reactive_unconfirmed": 1,  # V15 (c11)
        "result_not_given": 1,  # V19 (c14)
        "prep_followup_without_initiation": 1,  # V9 (c5)
        "cervical_incomplete": 1,  # V13 (c9)
        "pep_without_outcome": 1,  # V19 (2025-12-02, 28 days before the end)
        "sex_or_age_missing": 0,
    }
    # Ngodwana has none of them.
    assert {f.count for f in report("mer", "FY2026Q1", clinics=("NGO",)).findings} == {0}


# --------------------------------------------------------------------------- KP_PREV at Q4: the fiscal year
@pytest.fixture
def fiscal_year(make, clinic, other_clinic):
    """Six people reached with a test and condoms on chosen days around fiscal year 2026."""
    nurse = make.user(role="nurse", clinic=clinic)
    peer = make.user(role="peer_educator", clinic=clinic)
    h = ClinicHistory(clinic=clinic, other_clinic=other_clinic, nurse=nurse, peer=peer)

    def reached(name, day, born, **kw):
        person = h.clients.get(name) or h.client(name, make, sex=Sex.FEMALE, born=born, kp=KeyPopulation.FSW, **kw)
        visit = h.visit(f"{name}-{day}", make, person, day, reasons=(VisitReason.HIV_TESTING, VisitReason.CONDOMS))
        h.hiv(visit, NEG, KP_CLINIC)
        h.dispense(visit, Commodity.MALE_CONDOMS, 10)
        return person

    qa = reached("qa", date(2025, 11, 5), date(1990, 1, 1), own="QA")  # FY Q1, again in Q4 twice
    reached("qa", date(2026, 8, 10), date(1990, 1, 1))
    h.contact(date(2026, 9, 30), client=qa, male_condoms=5, referral_offered=True)  # last day of Q4
    reached("qb", date(2025, 10, 1), date(1991, 1, 1), own="QB")  # first day of the fiscal year
    reached("qc", date(2026, 7, 15), date(1992, 1, 1), own="QC")  # Q4 only
    reached("qd", date(2025, 9, 30), date(1993, 1, 1), own="QD")  # the day before FY2026
    reached("qe", date(2026, 10, 1), date(1994, 1, 1), own="QE")  # the day after FY2026
    reached("qf", date(2026, 5, 5), date(1995, 1, 1), own="QF")  # Q3
    return h


KP_PREV_TABLE = "KP_PREV: key population type by testing status"


@pytest.mark.parametrize(
    ("period", "people"),
    [
        ("FY2026Q1", 2),  # qa, qb
        ("FY2026Q2", 0),
        ("FY2026Q3", 1),  # qf
        ("FY2026Q4", 4),  # the fiscal year: qa (three times, once), qb, qc, qf
        ("FY2026S1", 2),  # qa, qb
        ("FY2026S2", 4),  # closes the fiscal year too
        ("FY2026", 4),
        ("FY2027Q1", 1),  # qe
    ],
)
def test_kp_prev_counts_people_over_the_fiscal_year_when_the_period_closes_it(fiscal_year, period, people):
    dataset = report("mer", period)
    assert nonzero(table(dataset, KP_PREV_TABLE)) == ({("FSW", "Newly tested or referred"): people} if people else {})


def test_only_kp_prev_is_cumulated_at_q4_and_the_report_says_so(fiscal_year):
    q4 = report("mer", "FY2026Q4")
    assert table(q4, "HTS_TST: key population type by result").total == 2  # qa in August, qc in July
    assert q4.notes == ["KP_PREV counts each person once over the fiscal year from 2025-10-01."]
    assert report("mer", "FY2026Q3").notes == []


# --------------------------------------------------------------------------- PrEP boundaries
def test_prep_new_and_ct_never_count_one_person_twice(make, clinic, other_clinic):
    """A person started and followed up in one period is new only; in the next period continuing only."""
    nurse = make.user(role="nurse", clinic=clinic)
    h = ClinicHistory(clinic=clinic, other_clinic=other_clinic, nurse=nurse, peer=nurse)
    person = h.client("p", make, sex=Sex.FEMALE, born=date(1999, 1, 1), kp=KeyPopulation.FSW)
    for key, day, event in (
        ("a", date(2025, 10, 2), PrepEventType.INITIATION),
        ("b", date(2025, 11, 2), PrepEventType.FOLLOW_UP),
        ("c", date(2025, 12, 2), PrepEventType.STOP),
        ("d", date(2026, 1, 5), PrepEventType.RESTART),
        ("e", date(2026, 2, 5), PrepEventType.FOLLOW_UP),
    ):
        visit = h.visit(key, make, person, day, reasons=(VisitReason.PREP,))
        h.prep(visit, event)
        if key in ("a", "e"):
            h.hiv(visit, NEG, KP_CLINIC)
    q1, q2 = report("mer", "FY2026Q1"), report("mer", "FY2026Q2")
    assert nonzero(table(q1, "PrEP_NEW: key population type")) == {("FSW", ""): 1}
    assert nonzero(table(q1, "PrEP_CT: HIV test result at the latest visit")) == {}
    assert nonzero(table(q2, "PrEP_NEW: key population type")) == {}
    # A restart and a follow-up: once, by the latest (the follow-up with a negative test).
    assert nonzero(table(q2, "PrEP_CT: HIV test result at the latest visit")) == {("Negative", ""): 1}


def test_tx_new_counts_only_art_started_at_this_clinic(make, clinic, other_clinic):
    nurse = make.user(role="nurse", clinic=clinic)
    h = ClinicHistory(clinic=clinic, other_clinic=other_clinic, nurse=nurse, peer=nurse)
    here = h.client("here", make, sex=Sex.MALE, born=date(1980, 6, 1), kp=KeyPopulation.MSW, own="HE")
    elsewhere = h.client("elsewhere", make, sex=Sex.FEMALE, born=date(1980, 6, 1), kp=KeyPopulation.FSW, own="EL")
    h.hiv(
        h.visit("h", make, here, date(2025, 9, 20)), POS, art_started_on=date(2025, 10, 3), art_site=ArtSite.THIS_CLINIC
    )
    h.hiv(
        h.visit("e", make, elsewhere, date(2025, 10, 20)),
        POS,
        art_started_on=date(2025, 10, 25),
        art_site=ArtSite.OTHER_FACILITY,
    )
    # Tested in FY2025Q4, started in FY2026Q1: counted when ART started, at 45.
    assert nonzero(table(report("mer", "FY2026Q1"), "TX_NEW: age and sex (ART started at this clinic)")) == {
        ("Male", "45-49"): 1
    }
    assert nonzero(table(report("mer", "FY2025Q4"), "TX_NEW: age and sex (ART started at this clinic)")) == {}


# --------------------------------------------------------------------------- focused cases (one rule each)
@pytest.fixture
def small(make, clinic, other_clinic):
    """An empty history to write a few records into."""
    nurse = make.user(role="nurse", clinic=clinic)
    peer = make.user(role="peer_educator", clinic=clinic)
    return ClinicHistory(clinic=clinic, other_clinic=other_clinic, nurse=nurse, peer=peer)


def test_kp_prev_testing_status_known_positive_means_known_before_this_reach(small, make):
    """Diagnosed at her first reach this period: newly tested. Diagnosed last year: known positive."""
    reasons = (VisitReason.HIV_TESTING, VisitReason.CONDOMS)

    def person(name, born):
        return small.client(name, make, sex=Sex.FEMALE, born=born, kp=KeyPopulation.FSW, own=name.upper())

    diagnosed_now, known, later = (
        person("ab", date(1990, 1, 1)),
        person("cd", date(1991, 1, 1)),
        person("ef", date(1992, 1, 1)),
    )
    visit = small.visit("a1", make, diagnosed_now, date(2025, 11, 3), reasons=reasons)
    small.hiv(visit, POS, KP_CLINIC)
    small.dispense(visit, Commodity.MALE_CONDOMS, 10)
    small.hiv(small.visit("b0", make, known, date(2025, 6, 1)), POS, KP_CLINIC, art_referred_to="District hospital")
    visit = small.visit("b1", make, known, date(2025, 11, 4), reasons=reasons)
    small.known_positive(visit)
    small.dispense(visit, Commodity.MALE_CONDOMS, 10)
    for key, day, result in (("c1", date(2025, 10, 5), NEG), ("c2", date(2025, 12, 1), POS)):
        visit = small.visit(key, make, later, day, reasons=reasons)
        small.hiv(visit, result, KP_CLINIC)
        small.dispense(visit, Commodity.MALE_CONDOMS, 10)
    assert nonzero(table(report("mer", "FY2026Q1"), KP_PREV_TABLE)) == {
        ("FSW", "Known positive"): 1,  # cd
        ("FSW", "Newly tested or referred"): 2,  # ab (diagnosed at this reach), ef (diagnosed later on)
    }


def test_cxca_scrn_takes_hiv_and_art_status_on_the_screening_date(small, make):
    """On ART since before her screen: counted. Diagnosed after her screen: not a WLHIV screen."""
    from clinic_app.screening.models import CervicalMethod, CervicalResult, CervicalVisitType

    on_art = small.client("w1", make, sex=Sex.FEMALE, born=date(1985, 1, 1), kp=KeyPopulation.FSW, own="WA")
    # Tested on 1 September, started on ART two weeks later (recorded on the test's visit).
    small.hiv(
        small.visit("w1a", make, on_art, date(2025, 9, 1)),
        POS,
        KP_CLINIC,
        art_started_on=date(2025, 9, 15),
        art_site=ArtSite.THIS_CLINIC,
    )
    small.cervical(
        small.visit("w1b", make, on_art, date(2025, 11, 1), reasons=(VisitReason.CERVICAL,)),
        CervicalVisitType.FIRST,
        CervicalMethod.VIA,
        CervicalResult.NEGATIVE,
    )
    later = small.client("w2", make, sex=Sex.FEMALE, born=date(1995, 1, 1), kp=KeyPopulation.FSW, own="WB")
    small.cervical(
        small.visit("w2a", make, later, date(2025, 10, 5), reasons=(VisitReason.CERVICAL,)),
        CervicalVisitType.FIRST,
        CervicalMethod.VIA,
        CervicalResult.NEGATIVE,
    )
    small.hiv(
        small.visit("w2b", make, later, date(2025, 12, 10)),
        POS,
        KP_CLINIC,
        art_started_on=date(2025, 12, 10),
        art_site=ArtSite.THIS_CLINIC,
    )
    assert nonzero(table(report("mer", "FY2026Q1"), "CXCA_SCRN: visit type and result by age")) == {
        ("First screening / Negative", "40-44"): 1  # w1, 40
    }
    # Every client's screen counts in the programme report, whatever her status.
    assert nonzero(table(report("programme", "2025Q4"), "Cervical screenings of all clients, by result")) == {
        ("Negative", ""): 2
    }


def test_people_reached_counts_a_known_client_once_by_number_or_by_uic(small, make):
    person = small.client("k", make, sex=Sex.FEMALE, born=date(1994, 4, 4), kp=KeyPopulation.FSW, own="KA")
    small.contact(date(2025, 10, 5), client=person, male_condoms=5, referral_offered=True)
    small.contact(date(2025, 11, 5), uic=person.uic, male_condoms=5, referral_offered=True)
    dataset = report("programme", "2025Q4")
    assert nonzero(table(dataset, "Outreach contacts")) == {("One person", ""): 2}
    assert nonzero(table(dataset, "People reached by outreach")) == {("", ""): 1}
    # KP_PREV already knows the UIC is hers: once.
    assert nonzero(table(report("mer", "FY2026Q1"), KP_PREV_TABLE)) == {("FSW", "Newly tested or referred"): 1}
