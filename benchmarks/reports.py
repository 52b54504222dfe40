"""Report benchmarks: the MER quarterly report, its hand-written-SQL floor, PDF, Excel and the line list,
on synthetic SQLite databases of 10k, 100k and 1M visits.

    .venv/bin/python benchmarks/reports.py [--sizes 10k,100k,1m] [--rebuild] [--runs 3]

Times are the best of ``--runs`` after one warm-up (time.perf_counter); peak memory
is a separate run under tracemalloc (Python allocations only, not SQLite's page
cache or sorter). Results go to benchmarks/results.json. See benchmarks/README.md.
"""

import argparse
import csv
import io
import json
import platform
import sqlite3
import sys
import time
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import floor, synthetic_db  # noqa: E402
from clinic_app import create_app  # noqa: E402
from clinic_app.extensions import db  # noqa: E402
from clinic_app.reports import engine, linelist, quality  # noqa: E402
from clinic_app.reports.facts import Window  # noqa: E402
from clinic_app.reports.formats import get_format  # noqa: E402
from clinic_app.reports.indicators import INDICATORS  # noqa: E402
from clinic_app.reports.periods import Period, current_period  # noqa: E402
from clinic_app.reports.render_xlsx import render_xlsx  # noqa: E402

HERE = ROOT / "benchmarks"
DATA, OUT = HERE / "data", HERE / "data" / "out"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
LINELIST_ROWS = 100_000
MIB = 1024 * 1024
BOUNDED_MIB = 64  # a streamed export should stay under this whatever the row count
TARGETS = {
    "mer_engine": "< 2 s and <= 3x floor",
    "mer_floor": "(reference)",
    "pdf": "< 2 s",
    "xlsx": "< 2 s",
    "linelist_xlsx": f"< 10 s, < {BOUNDED_MIB} MiB",
    "linelist_csv": f"< 10 s, < {BOUNDED_MIB} MiB",
}
SERVICE_TABLES = (
    "hiv_tests",
    "prep_events",
    "pep_courses",
    "sti_screenings",
    "cervical_screenings",
    "self_test_kits",
)


# --- measuring ------------------------------------------------------------------------------------------------


def best_of(fn, runs: int) -> float:
    """The fastest of ``runs`` timed calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_mib(fn) -> float:
    """Peak Python memory (tracemalloc) of one call, in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def in_session(fn):
    """Run ``fn`` as one request would: its own session, removed afterwards."""

    def call():
        try:
            return fn()
        finally:
            db.session.remove()

    return call


# --- choosing periods -----------------------------------------------------------------------------------------


def last_full_fiscal_quarter(conn: sqlite3.Connection) -> Period:
    last_day = date.fromisoformat(conn.execute("SELECT max(service_date) FROM visits").fetchone()[0])
    quarter = current_period("fiscal_quarter", last_day)
    return quarter if quarter.end <= last_day else quarter.previous(1)[0]


def linelist_window(conn: sqlite3.Connection, end: date) -> tuple[Window, int]:
    """The whole months up to ``end`` that hold at least LINELIST_ROWS service rows (or all the data)."""
    services = " UNION ALL ".join(f"SELECT visit_id FROM {t}" for t in SERVICE_TABLES)
    per_month = conn.execute(
        f"SELECT substr(v.service_date, 1, 7), count(*) FROM ({services}) s JOIN visits v ON v.id = s.visit_id "
        "WHERE v.service_date <= ? GROUP BY 1 ORDER BY 1 DESC",
        (end.isoformat(),),
    ).fetchall()
    rows, start = 0, end
    for month, count in per_month:
        rows, start = rows + count, date.fromisoformat(f"{month}-01")
        if rows >= LINELIST_ROWS:
            break
    return Window(start, end, None), rows


# --- the floor must give the engine's numbers -----------------------------------------------------------------


def labelled(fmt, dims: tuple[str, ...], raw: dict) -> dict:
    cells: dict[tuple, int] = {}
    for codes, value in raw.items():
        key = tuple(engine.label_of(fmt, d, c) for d, c in zip(dims, codes, strict=True))
        cells[key] = cells.get(key, 0) + value
    return {k: v for k, v in cells.items() if v}


def floor_mismatches(fmt, spec, dataset, found: dict) -> list[str]:
    problems = []
    for code in fmt.indicators:
        indicator, dims = INDICATORS[code], fmt.dimensions_of(code)
        by_engine = engine.aggregate(indicator, dims, engine.window_for(indicator, spec.period, None), fmt)
        by_engine = {k: v for k, v in by_engine.items() if v}
        by_floor = labelled(fmt, dims, found["cells"][code])
        for key in sorted(set(by_engine) | set(by_floor), key=str):
            if by_engine.get(key, 0) != by_floor.get(key, 0):
                problems.append(f"{code} {key}: engine {by_engine.get(key, 0)}, floor {by_floor.get(key, 0)}")
    for code, series in dataset.trend.items():
        if series != found["trend"][code]:
            problems.append(f"trend {code}: engine {series}, floor {found['trend'][code]}")
    for finding in dataset.findings:
        if finding.count != found["findings"][finding.code]:
            problems.append(f"check {finding.code}: engine {finding.count}, floor {found['findings'][finding.code]}")
    return problems


# --- per-indicator breakdown ----------------------------------------------------------------------------------


def engine_parts(spec) -> dict:
    fmt, period, parts = spec.format, spec.period, {}
    for code in fmt.indicators:
        indicator = INDICATORS[code]
        parts[code] = lambda i=indicator, c=code: engine.aggregate(
            i, fmt.dimensions_of(c), engine.window_for(i, period, None), fmt
        )
    for code in fmt.trend:
        indicator = INDICATORS[code]
        windows = [engine.window_for(indicator, p, None) for p in period.previous(engine.TREND_PERIODS - 1) + [period]]
        parts[f"trend {code}"] = lambda i=indicator, ws=windows: [engine.aggregate(i, (), w, fmt) for w in ws]
    parts["quality checks"] = lambda: quality.findings(Window(period.start, period.end, None))
    return parts


def floor_parts(conn, fmt, period: Period, fiscal_year_codes: set[str]) -> dict:
    bands, parts = floor.band_sql(fmt.age_bands), {}

    def window(code, p):
        start = p.fiscal_year_start if code in fiscal_year_codes and p.closes_fiscal_year else p.start
        return {"start": start.isoformat(), "end": p.end.isoformat()}

    for code in fmt.indicators:
        parts[code] = lambda c=code: floor.grouped(conn, c, fmt.dimensions_of(c), bands, window(c, period))
    for code in fmt.trend:
        parts[f"trend {code}"] = lambda c=code: [
            floor.total(conn, c, window(c, p)) for p in period.previous(engine.TREND_PERIODS - 1)
        ]
    params = {**window("", period), "pep_due": (period.end - timedelta(days=quality.PEP_COURSE_DAYS)).isoformat()}
    parts["quality checks"] = lambda: conn.execute(floor.QUALITY, params).fetchone()
    return parts


def breakdown(parts: dict, runs: int, wrap=lambda fn: fn) -> dict:
    return {name: best_of(wrap(fn), runs) for name, fn in parts.items()}


# --- one database ---------------------------------------------------------------------------------------------


def benchmark_size(label: str, n_visits: int, args) -> dict:
    path = args.data / f"visits-{label}.db"
    if args.rebuild or not synthetic_db.usable(path, n_visits):
        print(f"Building {path} ({n_visits:,} visits) ...", flush=True)
        synthetic_db.build(path, n_visits, seed=args.seed)
    else:
        print(f"Reusing {path}", flush=True)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    period = last_full_fiscal_quarter(conn)
    fmt = get_format("mer")
    app = create_app(
        {"SECRET_KEY": "benchmark", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DATABASE_ENCRYPTION": "none"}
    )
    results, runs = [], args.runs

    def record(step: str, seconds: float, peak: float, detail: str = "") -> None:
        results.append(
            {"size": label, "visits": n_visits, "step": step, "seconds": seconds, "peak_mib": peak, "detail": detail}
        )
        print(f"  {step:<14} {seconds:8.3f} s  {peak:8.1f} MiB  {detail}", flush=True)

    with app.app_context():
        spec = engine.ReportSpec(
            format=fmt,
            period=period,
            clinic_ids=None,
            clinic_names=["All clinics"],
            prepared_by="benchmark",
            generated_at=datetime.now(UTC),
        )
        compute = in_session(lambda: engine.compute(spec))
        fiscal_year_codes = {c for c in fmt.indicators if INDICATORS[c].fiscal_year_at_q4}
        by_floor = lambda: floor.compute(conn, fmt, period, fiscal_year_codes, engine.TREND_PERIODS)  # noqa: E731
        record("mer_engine", best_of(compute, runs), peak_mib(compute), f"MER {period.code}")
        record("mer_floor", best_of(by_floor, runs), peak_mib(by_floor), "hand-written SQL, sqlite3")

        dataset = compute()
        problems = floor_mismatches(fmt, spec, dataset, by_floor())
        db.session.remove()
        for problem in problems:
            print(f"  MISMATCH {problem}")
        print(f"  floor check: {'numbers equal the engine' if not problems else f'{len(problems)} mismatches'}")

        from clinic_app.reports.render_pdf import render_pdf

        pdf = lambda: render_pdf(dataset)  # noqa: E731
        xlsx = lambda: render_xlsx(dataset)  # noqa: E731
        record("pdf", best_of(pdf, runs), peak_mib(pdf), f"{len(pdf()):,} bytes")
        record("xlsx", best_of(xlsx, runs), peak_mib(xlsx), f"{len(xlsx()):,} bytes")

        window, rows = linelist_window(conn, period.end)
        # k=1: every row is written, so the count can be checked (k-anonymity costs one grouped count).
        options = linelist.LineListOptions(window=window, k=1)
        OUT.mkdir(parents=True, exist_ok=True)
        xlsx_path, csv_path = OUT / f"linelist-{label}.xlsx", OUT / f"linelist-{label}.zip"

        def to_csv():
            with open(csv_path, "wb") as handle:
                linelist.write_csv_zip(options, handle)

        write_xlsx = in_session(lambda: linelist.write_xlsx(options, xlsx_path))
        to_csv = in_session(to_csv)
        detail = f"{rows:,} rows, {window.start}..{window.end}"
        record("linelist_xlsx", best_of(write_xlsx, runs), peak_mib(write_xlsx), detail)
        record("linelist_csv", best_of(to_csv, runs), peak_mib(to_csv), detail)
        with zipfile.ZipFile(csv_path) as archive:
            written = sum(1 for _ in csv.reader(io.StringIO(archive.read("linelist.csv").decode()))) - 1
        if written != rows:
            print(f"  MISMATCH line list has {written:,} rows, expected {rows:,}")

        parts = {}
        if args.breakdown:
            parts = {
                "engine": breakdown(engine_parts(spec), runs, in_session),
                "floor": breakdown(floor_parts(conn, fmt, period, fiscal_year_codes), runs),
            }
            print_breakdown(parts)
        db.engine.dispose()
    conn.close()
    return {"results": results, "floor_mismatches": problems, "breakdown": parts, "period": period.code}


# --- reporting ------------------------------------------------------------------------------------------------


def judge(results: list[dict]) -> None:
    """Mark each result against its target (targets are stated for 1M visits; smaller sizes must meet them too)."""
    floors = {r["size"]: r["seconds"] for r in results if r["step"] == "mer_floor"}
    for r in results:
        step, seconds = r["step"], r["seconds"]
        r["target"] = TARGETS[step]
        if step == "mer_engine":
            r["ratio_to_floor"] = seconds / floors[r["size"]]
            r["met"] = seconds < 2 and r["ratio_to_floor"] <= 3
        elif step in ("pdf", "xlsx"):
            r["met"] = seconds < 2
        elif step.startswith("linelist"):
            r["met"] = seconds < 10 and r["peak_mib"] < BOUNDED_MIB
        else:
            r["met"] = None


def print_table(results: list[dict]) -> None:
    print(f"\n{'size':<5} {'step':<14} {'seconds':>8} {'peak MiB':>9}  {'target':<26} {'met':<4} detail")
    for r in results:
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        detail = r["detail"]
        if "ratio_to_floor" in r:
            detail = f"{r['ratio_to_floor']:.1f}x floor; {detail}"
        figures = f"{r['seconds']:8.3f} {r['peak_mib']:9.1f}"
        print(f"{r['size']:<5} {r['step']:<14} {figures}  {r['target']:<26} {met:<4} {detail}")


def print_breakdown(parts: dict) -> None:
    """Engine beside floor, part by part (engine trend parts count every trend period, the floor's the earlier ones)."""
    print(f"  {'part':<22} {'engine s':>9} {'floor s':>9} {'ratio':>6}")
    for name, seconds in parts["engine"].items():
        floor_s = parts["floor"].get(name)
        ratio = f"{seconds / floor_s:6.1f}" if floor_s else ""
        floor_text = f"{floor_s:9.3f}" if floor_s is not None else f"{'':>9}"
        print(f"  {name:<22} {seconds:9.3f} {floor_text} {ratio}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k, 100k, 1m")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the databases even if usable ones exist")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per step, after one warm-up (best is kept)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-breakdown", dest="breakdown", action="store_false", help="skip per-indicator timings")
    parser.add_argument("--data", type=Path, default=DATA, help="where the databases are kept")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    labels = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown}; choose from {', '.join(SIZES)}")
    args.data = args.data.resolve()
    args.data.mkdir(parents=True, exist_ok=True)
    per_size = {}
    for label in labels:
        print(f"\n== {label} visits ==", flush=True)
        per_size[label] = benchmark_size(label, SIZES[label], args)
    results = [r for size in per_size.values() for r in size["results"]]
    judge(results)
    print_table(results)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
        },
        "method": f"best of {args.runs} runs after one warm-up; peak memory from a separate tracemalloc run",
        "results": results,
        "sizes": {k: {key: v[key] for key in ("period", "floor_mismatches", "breakdown")} for k, v in per_size.items()},
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nWrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if any(v["floor_mismatches"] for v in per_size.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
