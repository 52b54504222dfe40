"""The floor: the MER report's numbers by the shortest hand-written SQL (SQLite), one query per indicator.

Each indicator is a query of fact rows (``w`` is the weight; ``age`` feeds the age
band); ``grouped`` sums them by the same disaggregations the engine groups by, and
``total`` gives a trend point. Codes come back raw; reports.py labels them with the
engine's own label_of before comparing, so the floor does no more work than SQL.
"""

import sqlite3
from datetime import timedelta

from clinic_app.reports.periods import Period

# MER 2.7 PrEP type from the regimen kept in the facts (clinical.PREP_TYPE).
PREP_TYPE = ("CASE v.prep_regimen WHEN 'tdf_ftc' THEN 'oral' WHEN 'tdf_3tc' THEN 'oral' "
             "WHEN 'cab_la' THEN 'injectable' WHEN 'ring' THEN 'other' END")  # fmt: skip


def age(dob: str, on: str) -> str:
    """Completed years, as the engine's age_at: a birthday not yet reached this year counts one less."""
    return (
        f"(CAST(substr({on}, 1, 4) AS INTEGER) - CAST(substr({dob}, 1, 4) AS INTEGER)"
        f" - (substr({on}, 6, 5) < substr({dob}, 6, 5)))"
    )


def band_sql(age_bands) -> str:
    whens = [f"WHEN age < {age_bands[0][0]} THEN '<{age_bands[0][0]}'"]
    for low, high in age_bands:
        whens.append(f"WHEN age <= {high} THEN '{low}+'" if high >= 120 else f"WHEN age <= {high} THEN '{low}-{high}'")
    return f"CASE WHEN age IS NULL THEN 'unknown' {' '.join(whens)} ELSE 'unknown' END"


IN_WINDOW = "v.service_date BETWEEN :start AND :end"
POSITIVE_BY = """EXISTS (SELECT 1 FROM visits pv JOIN hiv_tests pt ON pt.visit_id = pv.id
    WHERE pv.client_id = {client} AND pv.service_date <= {on}
      AND (pt.final_result = 'positive' OR pt.previous_status = 'known_positive'))"""
# Each client's first positive result and first known-positive statement, in one pass over the tests:
# "known positive before the first reach" is then a comparison, not an EXISTS per person reached.
DIAGNOSED = """(SELECT pv.client_id AS cid,
        min(CASE WHEN pt.final_result = 'positive' THEN pv.service_date END) AS positive_on,
        min(CASE WHEN pt.previous_status = 'known_positive' THEN pv.service_date END) AS stated_on
    FROM hiv_tests pt CROSS JOIN visits pv ON pv.id = pt.visit_id
    WHERE pt.final_result = 'positive' OR pt.previous_status = 'known_positive' GROUP BY pv.client_id)"""
ON_ART_BY = """EXISTS (SELECT 1 FROM visits av JOIN hiv_tests art ON art.visit_id = av.id
    WHERE av.client_id = {client} AND art.art_started_on <= {on})"""


def living_with_hiv_on_art(screen_counts: str) -> str:
    """Positive and on ART by the screening visit, checked only for screens that count: inside a CASE,
    SQLite tests it once the screening row is found, not for every visit of the window."""
    positive = POSITIVE_BY.format(client="v.client_id", on="v.service_date")
    on_art = ON_ART_BY.format(client="v.client_id", on="v.service_date")
    return f"CASE WHEN {screen_counts} THEN {positive} AND {on_art} END"


CX_RESULT = "CASE WHEN s.method = 'hpv' AND s.result = 'positive' THEN s.triage_result ELSE s.result END"
LATEST = "max(v.service_date || v.created_at) AS latest"  # SQLite: bare columns come from the max row

FACTS = {
    "KP_PREV": f"""
        WITH p AS MATERIALIZED (
            SELECT cid, CASE WHEN dx.positive_on < d OR dx.stated_on <= d THEN 'known_positive'
                        WHEN r >= 2 OR slip.cid IS NOT NULL THEN 'tested_or_referred' END AS testing_status
            FROM (SELECT cid, min(d) AS d, max(r) AS r FROM (
                    SELECT v.client_id AS cid, v.service_date AS d, 2 * (t.screening_result IS NOT NULL) AS r
                    FROM visits v JOIN hiv_tests t ON t.visit_id = v.id
                    WHERE {IN_WINDOW} AND (EXISTS (SELECT 1 FROM dispensed_items x WHERE x.visit_id = v.id)
                        OR EXISTS (SELECT 1 FROM prep_events x WHERE x.visit_id = v.id)
                        OR EXISTS (SELECT 1 FROM sti_screenings x WHERE x.visit_id = v.id)
                        OR EXISTS (SELECT 1 FROM self_test_kits x WHERE x.visit_id = v.id)
                        OR EXISTS (SELECT 1 FROM pep_courses x WHERE x.visit_id = v.id))
                    UNION ALL
                    SELECT coalesce(o.client_id, (SELECT id FROM clients WHERE uic = o.contact_uic
                                                  AND merged_into_id IS NULL LIMIT 1)),
                           o.contact_date, 2 * (o.self_test_kits > 0 OR o.referral_offered)
                    FROM outreach_contacts o
                    WHERE o.contact_date BETWEEN :start AND :end AND o.kind = 'individual'
                      AND (o.male_condoms > 0 OR o.lubricant > 0 OR o.hiv_info OR o.rights_info OR o.violence_info))
                  WHERE cid IS NOT NULL GROUP BY cid)
            LEFT JOIN {DIAGNOSED} dx USING (cid)
            LEFT JOIN (SELECT client_id AS cid FROM referrals WHERE service = 'hiv_test'
                       AND issued_on BETWEEN :start AND :end GROUP BY client_id) slip USING (cid))
        SELECT c.key_population AS kp_type, p.testing_status, 1 AS w
        FROM p JOIN clients c ON c.id = p.cid
        WHERE p.testing_status IS NOT NULL AND c.key_population <> 'non_kp'""",
    "HTS_TST": f"""
        SELECT t.modality, t.final_result AS result, c.sex, {age("c.date_of_birth", "v.service_date")} AS age,
               c.key_population AS kp_type, 1 AS w
        FROM hiv_tests t JOIN visits v ON v.id = t.visit_id JOIN clients c ON c.id = v.client_id
        WHERE {IN_WINDOW} AND t.final_result IN ('negative', 'positive') AND t.result_received
          AND t.previous_status <> 'known_positive'""",
    "HTS_SELF": f"""
        SELECT k.distribution, 'self' AS recipient, k.for_self AS w
        FROM self_test_kits k JOIN visits v ON v.id = k.visit_id WHERE {IN_WINDOW} AND k.for_self > 0
        UNION ALL SELECT k.distribution, 'partner', k.for_partner
        FROM self_test_kits k JOIN visits v ON v.id = k.visit_id WHERE {IN_WINDOW} AND k.for_partner > 0
        UNION ALL SELECT k.distribution, 'other', k.for_other
        FROM self_test_kits k JOIN visits v ON v.id = k.visit_id WHERE {IN_WINDOW} AND k.for_other > 0
        UNION ALL SELECT 'unassisted', 'not_recorded', self_test_kits FROM outreach_contacts
        WHERE contact_date BETWEEN :start AND :end AND self_test_kits > 0""",
    "PrEP_NEW": f"""
        SELECT v.sex, {age("v.dob", "v.service_date")} AS age, v.kp AS kp_type, {PREP_TYPE} AS prep_type,
               v.prep_distribution, 1 AS w
        FROM report_visits v JOIN report_people p ON p.client_id = v.client_id
        WHERE v.service_date BETWEEN :start AND :end AND v.prep_event = 'initiation'
          AND v.service_date = p.prep_first_on
        GROUP BY v.client_id""",
    "PrEP_CT": f"""
        SELECT coalesce(x.hiv_final_result, 'not_tested') AS result, x.sex, {age("x.dob", "x.d")} AS age,
               x.kp AS kp_type, {PREP_TYPE.replace("v.", "x.")} AS prep_type, x.prep_distribution, 1 AS w
        FROM (SELECT v.*, max(v.service_date) AS d FROM report_visits v
              WHERE v.service_date BETWEEN :start AND :end AND v.prep_event IS NOT NULL
                AND (v.prep_event IN ('follow_up', 'restart')
                     OR (v.prep_seroconverted AND v.hiv_final_result = 'positive'))
                AND v.client_id NOT IN (SELECT client_id FROM report_visits WHERE prep_event = 'initiation'
                                        AND service_date BETWEEN :start AND :end)
              GROUP BY v.client_id) x""",
    "CXCA_SCRN": f"""
        SELECT s.screening_type, {CX_RESULT} AS cx_result, {age("c.date_of_birth", "v.service_date")} AS age,
               1 AS w, {LATEST}
        FROM cervical_screenings s JOIN visits v ON v.id = s.visit_id JOIN clients c ON c.id = v.client_id
        WHERE {IN_WINDOW} AND {living_with_hiv_on_art("s.complete")}
        GROUP BY v.client_id""",
    "CXCA_SCRN_POS": f"""
        SELECT s.screening_type, 1 AS w, {LATEST}
        FROM cervical_screenings s JOIN visits v ON v.id = s.visit_id
        WHERE {IN_WINDOW}
          AND {living_with_hiv_on_art(f"s.complete AND {CX_RESULT} IN ('positive', 'suspected_cancer')")}
        GROUP BY v.client_id""",
    "CXCA_TX": f"""
        SELECT v.cx_treatment AS treatment, v.cx_type AS screening_type, {age("v.dob", "v.cx_treated_on")} AS age,
               1 AS w
        FROM report_visits v JOIN report_people p ON p.client_id = v.client_id
        WHERE v.cx_treated_on BETWEEN :start AND :end AND v.cx_result IN ('positive', 'suspected_cancer')
          AND v.cx_in_cxca AND (p.positive_on <= v.service_date OR p.stated_positive_on <= v.service_date)
          AND p.art_started_on <= v.service_date
        GROUP BY v.client_id""",
    "TX_NEW": f"""
        SELECT c.sex, {age("c.date_of_birth", "x.d")} AS age, c.key_population AS kp_type, 1 AS w
        FROM (SELECT v.client_id, min(t.art_started_on) AS d FROM hiv_tests t CROSS JOIN visits v ON v.id = t.visit_id
              WHERE t.art_started_on BETWEEN :start AND :end AND t.art_site = 'this_clinic' GROUP BY v.client_id) x
        JOIN clients c ON c.id = x.client_id""",
    "GEND_GBV": f"""
        SELECT CASE WHEN sexual THEN 'sexual' ELSE 'physical_emotional' END AS violence_type,
               CASE WHEN sexual THEN 'yes' ELSE 'no' END AS pep_given, 1 AS w
        FROM (SELECT max(p.exposure = 'sexual_violence') AS sexual
              FROM visits v LEFT JOIN pep_courses p ON p.visit_id = v.id
              WHERE {IN_WINDOW} AND (p.exposure = 'sexual_violence'
                    OR EXISTS (SELECT 1 FROM visit_reasons r WHERE r.visit_id = v.id AND r.reason = 'violence'))
              GROUP BY v.client_id)""",
}

QUALITY = f"""
    SELECT
      total(CASE WHEN t.final_result = 'positive' THEN NOT EXISTS (
          SELECT 1 FROM visits lv JOIN hiv_tests lt ON lt.visit_id = lv.id WHERE lv.client_id = v.client_id
            AND (lt.art_started_on IS NOT NULL OR lt.art_referred_to IS NOT NULL)) END),
      total(t.screening_result = 'reactive' AND t.confirmatory_result IS NULL),
      total(t.final_result IS NOT NULL AND NOT t.result_received),
      total(CASE WHEN p.event IN ('follow_up', 'restart') THEN NOT EXISTS (
          SELECT 1 FROM visits iv JOIN prep_events ip ON ip.visit_id = iv.id
          WHERE iv.client_id = v.client_id AND ip.event = 'initiation') END),
      total(NOT s.complete),
      total(pc.id IS NOT NULL AND pc.outcome IS NULL AND v.service_date <= :pep_due),
      total(c.sex IS NULL OR c.date_of_birth IS NULL
            OR {age("c.date_of_birth", "v.service_date")} NOT BETWEEN 10 AND 100)
    FROM visits v JOIN clients c ON c.id = v.client_id
    LEFT JOIN hiv_tests t ON t.visit_id = v.id LEFT JOIN prep_events p ON p.visit_id = v.id
    LEFT JOIN cervical_screenings s ON s.visit_id = v.id LEFT JOIN pep_courses pc ON pc.visit_id = v.id
    WHERE {IN_WINDOW}"""
QUALITY_CODES = (
    "positive_without_linkage",
    "reactive_unconfirmed",
    "result_not_given",
    "prep_followup_without_initiation",
    "cervical_incomplete",
    "pep_without_outcome",
    "sex_or_age_missing",
)


def _columns(sql: str, conn: sqlite3.Connection) -> list[str]:
    return [d[0] for d in conn.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]


def grouped(conn: sqlite3.Connection, code: str, dims: tuple[str, ...], bands: str, params: dict) -> dict:
    """{(raw code per dimension): summed weight} for one indicator."""
    facts = FACTS[code]
    select = [bands if d == "age_band" else d for d in dims]
    query = f"SELECT {', '.join(select + ['total(w)'])} FROM ({facts})"
    if dims:
        query += f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}"
    return {tuple(row[:-1]): int(row[-1]) for row in conn.execute(query, params)}


def total(conn: sqlite3.Connection, code: str, params: dict) -> int:
    return int(conn.execute(f"SELECT total(w) FROM ({FACTS[code]})", params).fetchone()[0])


def compute(conn: sqlite3.Connection, fmt, period: Period, fiscal_year_codes: set[str], trend_periods: int) -> dict:
    """Every MER grid's cells, the trend and the data-quality counts, by hand-written SQL."""

    def window(code: str, p: Period) -> dict:
        start = p.fiscal_year_start if code in fiscal_year_codes and p.closes_fiscal_year else p.start
        return {"start": start.isoformat(), "end": p.end.isoformat()}

    bands = band_sql(fmt.age_bands)
    cells = {code: grouped(conn, code, fmt.dimensions_of(code), bands, window(code, period)) for code in fmt.indicators}
    trend = {}
    for code in fmt.trend:
        earlier = [total(conn, code, window(code, p)) for p in period.previous(trend_periods - 1)]
        # The period itself is already counted by its grid.
        now = sum(cells[code].values()) if code in cells else total(conn, code, window(code, period))
        trend[code] = earlier + [now]
    params = {**window("", period), "pep_due": (period.end - timedelta(days=28)).isoformat()}
    findings = dict(zip(QUALITY_CODES, (int(n) for n in conn.execute(QUALITY, params).fetchone()), strict=True))
    return {"cells": cells, "trend": trend, "findings": findings}
