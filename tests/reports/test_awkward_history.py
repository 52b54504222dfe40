"""The awkward history (tests/reports/awkward_history.py), recorded through the app's services, against
cells counted by hand from its docstring before the code ran, in the JSON, Excel and PDF exports.

Each expected dict lists every non-zero cell of a table; every other cell must be 0.
"""

import io
import json
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from clinic_app.core.actor import system_actor
from clinic_app.reports import services
from tests.reports.awkward_history import build_awkward_history
from tests.reports.test_indicators import nonzero, table
from tests.reports.test_outputs import (
    _pdf_lines,
    _sheet_grid,
    _Table,
    assert_pdf_shows,
    needs_pdf,
    table_sheet,
    tables_of,
)

pytestmark = pytest.mark.usefixtures("in_request")

NOW = datetime(2026, 4, 20, 7, 0, tzinfo=UTC)

# --------------------------------------------------------------------------- MER FY2026Q1 (Oct-Dec 2025)
MER_FY2026Q1 = {
    # FSW tested or referred: P1 (tested 12-31), P2, P4 (diagnosed 11-03: newly tested, not known before),
    # P6b (declined at outreach, tested later: the higher status wins), P7 (referral + condoms at two
    # contacts), P8, P11 (an inconclusive test is a test), P12. Declined: P6. Known positive: P9.
    # MSM: P10. Not counted: P5 (a screen is not a package), P7b (her referral was last quarter), P8b (no
    # testing part), P3/P3b (next quarter).
    # P17 (age unknown) and P18 (estimated age) tested with condoms: tested. P20 tested, PrEP restarted.
    # Not P21 (PrEP, but no testing part in the quarter). P22 tested (the tie-breaker said negative).
    "KP_PREV: key population type by testing status": {
        ("FSW", "Known positive"): 1,
        ("FSW", "Newly tested or referred"): 12,
        ("FSW", "Declined testing"): 1,
        ("MSM", "Newly tested or referred"): 1,
    },
    # 12 tests with a result given: not P1 on 09-30 or P3/P3b (outside), P11 (inconclusive, not given), P9.
    "HTS_TST: modality and result by age and sex": {
        ("KP clinic / Negative", "Female / Unknown"): 1,  # P17, date of birth unknown
        ("KP clinic / Negative", "Female / 30-34"): 2,  # P18, estimated 30; P20 at her restart, 32
        ("KP clinic / Negative", "Female / 15-19"): 1,  # P2 on 10-20, 19
        ("KP clinic / Negative", "Female / 20-24"): 1,  # P2 on 11-20, 20 since 11-15
        ("KP clinic / Negative", "Female / 25-29"): 2,  # P12; P22 (27), negative by the tie-breaker
        ("KP clinic / Negative", "Female / 35-39"): 1,  # P8, 37
        ("KP clinic / Positive", "Female / 30-34"): 1,  # P4 at her PrEP visit
        ("VCT / Negative", "Female / 35-39"): 1,  # P1 on the last day, 35
        ("VCT / Positive", "Male / 50+"): 1,  # P10, 57: HTS_TST keeps 50+
        ("SNS / Negative", "Female / 30-34"): 1,  # P6b, 32
    },
    "HTS_TST: key population type by result": {("FSW", "Negative"): 10, ("FSW", "Positive"): 1, ("MSM", "Positive"): 1},
    "HTS_SELF: kits by distribution and user": {("Assisted", "Self"): 1, ("Assisted", "Sexual partner"): 1},  # P19
    "PrEP_NEW: age and sex": {("Female", "15-19"): 1},  # P2, 19 at initiation
    "PrEP_NEW: key population type": {("FSW", ""): 1},
    "PrEP_NEW: PrEP type by distribution": {("Oral", "Facility"): 1},
    # P4 (seroconversion stop: positive, by the regimen she was on), P12, P20 (restart, negative) and P21
    # (refill without a test: Other); not P2 (new this quarter).
    "PrEP_CT: HIV test result at the latest visit": {("Positive", ""): 1, ("Negative", ""): 2, ("Other", ""): 1},
    "PrEP_CT: age and sex": {("Female", "30-34"): 2, ("Female", "25-29"): 1, ("Female", "35-39"): 1},
    "PrEP_CT: key population type": {("FSW", ""): 4},
    "PrEP_CT: PrEP type by distribution": {("Oral", "Facility"): 3, ("Injectable", "Community"): 1},
    # P5, screened 12-29 (45), on ART since 2023; her treatment falls in FY2026Q2.
    "CXCA_SCRN: visit type and result by age": {("First screening / Positive", "45-49"): 1},
    "CXCA_TX denominator: screen positives by visit type": {("First screening", ""): 1},
    # P23, screened in September, treated at a later visit on 10-03: counted on the treatment date.
    "CXCA_TX: treatment by screening visit type": {("Cryotherapy", "First screening"): 1},
    "CXCA_TX: age": {("40-44", ""): 1},
    "TX_NEW: age and sex (ART started at this clinic)": {("Female", "30-34"): 1, ("Male", "55-59"): 1},  # P4, P10
    "TX_NEW: key population type": {("FSW", ""): 1, ("MSM", ""): 1},
    # P13 (sexual, no PEP); P14 (physical then sexual with PEP: sexual) and P15 (PEP, no type recorded);
    # P16 (emotional; her sexual violence was in September).
    "GEND_GBV: type of violence, with PEP given": {
        ("Sexual violence", "No PEP"): 1,
        ("Sexual violence", "PEP given"): 2,
        ("Physical or emotional violence", "No PEP"): 1,
    },
}

# --------------------------------------------------------------------------- either side of the quarter
MER_FY2025Q4 = {  # Jul-Sep 2025
    "HTS_TST: modality and result by age and sex": {
        ("KP clinic / Negative", "Female / 35-39"): 2,  # P1 on 09-30, P21 on 07-15 (35)
        ("KP clinic / Negative", "Female / 30-34"): 1,  # P4 on 07-01
        ("KP clinic / Negative", "Female / 25-29"): 1,  # P12 on 08-05
    },
    "PrEP_NEW: PrEP type by distribution": {("Oral", "Facility"): 2, ("Injectable", "Community"): 1},  # P4, P21, P12
    "CXCA_TX: treatment by screening visit type": {},  # P23's treatment came in October
    "CXCA_SCRN: visit type and result by age": {("First screening / Positive", "40-44"): 1},  # P23 on 09-15 (42)
    "GEND_GBV: type of violence, with PEP given": {("Sexual violence", "No PEP"): 1},  # P16 on 09-29
}
MER_FY2026Q2 = {  # Jan-Mar 2026
    "HTS_TST: modality and result by age and sex": {
        ("KP clinic / Negative", "Female / 25-29"): 1,  # P3 on 2026-02-28: 29, her birthday not reached
        ("KP clinic / Negative", "Female / 30-34"): 1,  # P3b on 2026-03-01: 30 (29 February counts on 1 March)
    },
    # P5, screened in December, treated on 2026-01-08: counted on the treatment date.
    "CXCA_TX: treatment by screening visit type": {("Thermal ablation", "First screening"): 1},
    "CXCA_TX: age": {("45-49", ""): 1},
    "CXCA_SCRN: visit type and result by age": {},
    "TX_NEW: age and sex (ART started at this clinic)": {},
}

# --------------------------------------------------------------------------- programme 2025Q4
PROGRAMME_2025Q4 = {
    # FSW visits in the quarter: P1 x2, P2 x2, P4, P5, P6, P6b, P8, P8b, P9, P11 x2, P12, P13, P14 x2, P15,
    # P16, P17, P18, P20, P21, P22, P23 (P10 is MSM). New (their first visit anywhere): P2, P6, P6b, P8, P8b,
    # P11, P13, P14, P15, P17, P18, P22.
    "Sex-worker visits (total)": {("Female sex worker", "New"): 12, ("Female sex worker", "Return"): 13},
    "Sex workers seen (unique people)": {("Female sex worker", ""): 21},
    "HIV tests with a result given (HTS_TST)": {("Negative", ""): 10, ("Positive", ""): 2},  # = HTS_TST, 12
    "HIV tests without a result given": {("Inconclusive", ""): 1, ("Result not given", ""): 1},  # P11 twice
    "PrEP: new": {("Female sex worker", ""): 1},  # P2
    "PrEP: continuing": {("Female sex worker", ""): 4},  # P4, P12, P20, P21
    "Cervical screenings of all clients, by result": {("Positive", ""): 1},  # P5
    "Violence cases given clinical care": {  # as GEND_GBV in FY2026Q1
        ("Sexual violence", "No PEP"): 1,
        ("Sexual violence", "PEP given"): 2,
        ("Physical or emotional violence", "No PEP"): 1,
    },
    "Outreach contacts": {("One person", ""): 5},  # P6b, P7 x2, P7b on 10-05, P19
    "People reached by outreach": {("", ""): 4},  # P6b, P7, P7b, P19
    "Referrals issued": {("STI check", ""): 1, ("PrEP", ""): 1},  # R2, R3 (R1 was issued in September)
    "Referrals completed (slips redeemed in the period)": {
        ("HIV test", "On time"): 1,  # R1, issued last quarter
        ("STI check", "Late"): 1,  # R2, past its validity
    },
    "People trained": {  # T1 and T2, each person once
        ("Clients", ""): 2,  # P7, P8
        ("Peer educators", ""): 1,
        ("Other staff", ""): 1,  # the nurse
        ("Others (head count)", ""): 3,
    },
}

CASES = [
    ("mer", "FY2026Q1", MER_FY2026Q1, True),
    ("mer", "FY2025Q4", MER_FY2025Q4, False),
    ("mer", "FY2026Q2", MER_FY2026Q2, False),
    ("programme", "2025Q4", PROGRAMME_2025Q4, True),
]


@pytest.fixture
def awkward(kept_build, make, clinic):
    return kept_build(build_awkward_history, make, clinic)


def _request(format_code, period):
    return services.ReportRequest(format_code=format_code, period_code=period, clinic_codes=["BBR"])


def _export(format_code, period, output, *, exact=True) -> bytes:
    """The exact export (small numbers shown, with a reason) unless exact=False: the hand counts are exact."""
    chosen = services.ExactExport(reason="donor_entry") if exact else None
    return services.export(actor=system_actor(), request=_request(format_code, period), output=output, exact=chosen)[0]


@pytest.mark.parametrize(("format_code", "period", "expected", "whole"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_cell_matches_the_hand_count(awkward, format_code, period, expected, whole):
    dataset = services.build(actor=system_actor(), request=_request(format_code, period), now=NOW)
    if whole:
        assert [t.title for g in dataset.groups for t in g.tables] == list(expected)
    for title, cells in expected.items():
        assert nonzero(table(dataset, title)) == cells, title


@pytest.mark.parametrize(("format_code", "period", "expected", "whole"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_json_and_excel_hold_the_hand_counted_cells(awkward, format_code, period, expected, whole):
    report = json.loads(_export(format_code, period, "json"))
    by_title = {t["title"]: nonzero(_Table(t)) for t in tables_of(report)}
    for title, cells in expected.items():
        assert by_title[title] == cells, title
    book = load_workbook(io.BytesIO(_export(format_code, period, "xlsx")))
    for group in report["groups"]:
        for index, raw in enumerate(group["tables"]):
            grid, _header = _sheet_grid(table_sheet(book, group, index), raw)
            assert grid == raw["values"], raw["title"]


@needs_pdf
@pytest.mark.parametrize(("format_code", "period"), [("mer", "FY2026Q1"), ("programme", "2025Q4")])
def test_pdf_shows_the_same_cells(awkward, format_code, period):
    report = json.loads(_export(format_code, period, "json"))
    assert_pdf_shows(_pdf_lines(_export(format_code, period, "pdf")), report)


def test_the_published_export_hides_the_hand_counted_small_cells(awkward):
    """Without the exact choice the same report leaves the clinic with 1-4 shown as "<5" and a partner hidden."""
    report = json.loads(_export("mer", "FY2026Q1", "json", exact=False))
    kp_prev = next(t for t in tables_of(report) if t["title"] == "KP_PREV: key population type by testing status")
    fsw = kp_prev["values"][kp_prev["rows"].index(["FSW"])]
    # Known positive 1 and declined 1 are "<5"; the 10 is hidden too ("*"), or 12 - 10 would tell that both are 1.
    assert [
        fsw[kp_prev["columns"].index([c])] for c in ("Known positive", "Newly tested or referred", "Declined testing")
    ] == ["<5", "*", "<5"]
    assert all(v in (0, "<5", "*") or (isinstance(v, int) and v >= 5) for row in kp_prev["values"] for v in row)
