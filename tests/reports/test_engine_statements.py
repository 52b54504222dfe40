"""The report engine runs one aggregated query per indicator, one per trend line and one per
data-quality check, whatever the data holds (an N+1 over people or visits fails here)."""

from datetime import UTC, datetime

import pytest

from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.reports import engine, quality
from clinic_app.reports.formats import all_formats, get_format
from clinic_app.reports.indicators import INDICATORS
from clinic_app.reports.periods import current_period

# Indicators that first read their cases' times (hours between report and first contact, PEP within 72
# hours of the incident in each clinic's own time zone) and then aggregate them: two statements each.
READ_FIRST = {"CRISIS_FIRST_CONTACT_MEDIAN", "CRISIS_FIRST_CONTACT", "CRISIS_PEP"}


@pytest.mark.parametrize("code", sorted(all_formats()))
def test_a_report_runs_one_query_per_indicator_trend_and_check(app, demo_data, count_queries, code):
    demo_data(60)
    fmt = get_format(code)
    period = current_period(fmt.period_kinds[0], local_today("Africa/Harare")).previous(1)[0]
    spec = engine.ReportSpec(
        format=fmt,
        period=period,
        clinic_ids=None,
        clinic_names=["All clinics"],
        prepared_by="test",
        generated_at=datetime.now(UTC),
    )
    engine.compute(spec)  # warm: formats, translations
    with count_queries() as statements:
        dataset = engine.compute(spec)
    trend_queries = sum(
        1 if INDICATORS[c].trend_facts is not None else engine.TREND_PERIODS for c in (fmt.trend if fmt.trend else ())
    )
    # On SQLite, three PRAGMAs read, enlarge and give back the page cache for the report (core.sqlite).
    cache = 3 if db.engine.dialect.name == "sqlite" else 0
    allowed = len(fmt.indicators) + len(READ_FIRST & set(fmt.indicators)) + trend_queries + len(quality.CHECKS) + cache
    assert sum(t.total for g in dataset.groups for t in g.tables) > 0  # the demo fills the report
    assert statements.count <= allowed, (statements.count, allowed)


def test_a_report_enlarges_the_sqlite_page_cache_only_while_it_runs(app, demo_data, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the page cache is SQLite's (PostgreSQL has no per-connection cache to set)")
    demo_data(20)
    fmt = get_format("mer")
    spec = engine.ReportSpec(
        format=fmt,
        period=current_period(fmt.period_kinds[0], local_today("Africa/Harare")).previous(1)[0],
        clinic_ids=None,
        clinic_names=["All clinics"],
        prepared_by="test",
        generated_at=datetime.now(UTC),
    )
    connection = db.session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    seen = []
    original = engine._compute
    monkeypatch.setattr(
        engine,
        "_compute",
        lambda s: seen.append(connection.exec_driver_sql("PRAGMA cache_size").scalar()) or original(s),
    )
    engine.compute(spec)
    assert seen == [-app.config["REPORT_CACHE_MIB"] * 1024]
    assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
