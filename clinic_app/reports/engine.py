"""The indicator engine: one aggregated query per indicator, laid out in the format's grids.

compute() takes a ReportSpec (format, period, clinics) and returns a Dataset of
plain numbers; renderers turn that into HTML, PDF, Excel or JSON.
"""

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from clinic_app.core import sqlite
from clinic_app.extensions import db
from clinic_app.reports import quality
from clinic_app.reports.dataset import Dataset, Definition, GroupData, TableData
from clinic_app.reports.dimensions import DIMENSIONS, UNKNOWN, column_of
from clinic_app.reports.facts import Window, age_at
from clinic_app.reports.formats import ReportFormat, TableSpec
from clinic_app.reports.indicators import INDICATORS, Indicator
from clinic_app.reports.periods import Period

TREND_PERIODS = 4


@dataclass
class ReportSpec:
    format: ReportFormat
    period: Period
    clinic_ids: tuple | None  # None: all clinics
    clinic_names: list[str]
    prepared_by: str
    generated_at: datetime
    include_trend: bool = True
    notes: list[str] = field(default_factory=list)


# --- categories -----------------------------------------------------------------------------------------------


def _age_labels(bands) -> list[tuple[str, str]]:
    labels = [(f"<{bands[0][0]}", f"<{bands[0][0]}")] if bands else []
    for low, high in bands:
        label = f"{low}+" if high >= 120 else f"{low}-{high}"
        labels.append((label, label))
    return labels


def categories(fmt: ReportFormat, dim: str, indicator: str | None = None) -> list[str]:
    """The labels of a dimension's categories, in the order the format wants (age bands: the indicator's)."""
    custom = fmt.dimension_maps.get(dim, {})
    if "order" in custom:
        return [_(label) for label in custom["order"]]
    if dim == "age_band":
        bands = fmt.bands_for(indicator) if indicator else fmt.age_bands
        return [label for _code, label in _age_labels(bands)]
    mapping = custom.get("map", {})
    labels = [_(mapping[code]) if code in mapping else str(label) for code, label in DIMENSIONS[dim].categories]
    return list(dict.fromkeys(labels))


def label_of(fmt: ReportFormat, dim: str, code) -> str:
    """The label a raw code is counted under (merging codes the format maps together)."""
    if isinstance(code, Enum):
        code = code.value
    if code is None or code == UNKNOWN:
        return _("Unknown")
    mapping = fmt.dimension_maps.get(dim, {}).get("map", {})
    if code in mapping:
        return _(mapping[code])
    if dim == "age_band":
        return code
    for known, label in DIMENSIONS[dim].categories:
        if known == code:
            return str(label)
    return str(code)


def _age_band_expr(bands, facts):
    age = age_at(facts.c.dob, facts.c.on_date)
    bands = bands or ((0, 200),)
    whens = [(facts.c.dob.is_(None), UNKNOWN), (age < bands[0][0], f"<{bands[0][0]}")]
    for low, high in bands:
        whens.append((age <= high, f"{low}+" if high >= 120 else f"{low}-{high}"))
    return case(*whens, else_=UNKNOWN)


# --- queries --------------------------------------------------------------------------------------------------


def window_for(indicator: Indicator, period: Period, clinic_ids) -> Window:
    """The dates an indicator counts over: the period, or the fiscal year to date where MER asks for it."""
    start = period.start
    if indicator.fiscal_year_at_q4 and period.closes_fiscal_year:
        start = period.fiscal_year_start
    return Window(start=start, end=period.end, clinic_ids=clinic_ids)


def aggregate(indicator: Indicator, dims: tuple[str, ...], window: Window, fmt: ReportFormat) -> dict[tuple, int]:
    """One aggregated query: the sum of fact weights for each combination of the dimensions' labels."""
    facts = indicator.facts(window).subquery()
    bands = fmt.bands_for(indicator.code)
    exprs = [_age_band_expr(bands, facts) if d == "age_band" else facts.c[column_of(d)] for d in dims]
    query = select(*exprs, func.coalesce(func.sum(facts.c.weight), 0))
    if exprs:
        query = query.group_by(*exprs)
    cells: dict[tuple, int] = {}
    for *codes, value in db.session.execute(query):
        key = tuple(label_of(fmt, d, c) for d, c in zip(dims, codes, strict=True))
        cells[key] = cells.get(key, 0) + int(value)
    return cells


def trend_in_one_pass(indicator: Indicator, windows: tuple[Window, ...]) -> list[int]:
    """The indicator's total in each window, from one query over them all (each window counted alone)."""
    facts = indicator.trend_facts(windows).subquery()
    query = select(facts.c.period, func.coalesce(func.sum(facts.c.weight), 0)).group_by(facts.c.period)
    totals = {period: int(value) for period, value in db.session.execute(query)}
    return [totals.get(i, 0) for i in range(len(windows))]


# --- grids ----------------------------------------------------------------------------------------------------


def months_of(window: Window) -> list[str]:
    """Every month of the window as the crisis indicators label it ('2026-11'), oldest first."""
    months, year, month = [], window.start.year, window.start.month
    while (year, month) <= (window.end.year, window.end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _axis(
    fmt: ReportFormat, code: str, dims: tuple[str, ...], cells: dict, positions: list[int], months: list[str]
) -> list[tuple]:
    """Every combination of the dimensions' categories, plus any label the data holds beyond them.

    A month dimension has every month of the indicator's window, so a month without cases shows as 0."""
    per_dim = []
    for dim, position in zip(dims, positions, strict=True):
        labels = months if dim == "month" else categories(fmt, dim, code)
        extra = sorted({key[position] for key, value in cells.items() if value and key[position] not in labels})
        per_dim.append(labels + extra)
    return list(itertools.product(*per_dim)) if dims else [()]


def build_table(
    fmt: ReportFormat, table: TableSpec, dims: tuple[str, ...], cells: dict, months: list[str] | None = None
) -> TableData:
    indicator = INDICATORS[table.indicator]
    row_pos = [dims.index(d) for d in table.rows]
    col_pos = [dims.index(d) for d in table.columns]
    months = months or []
    rows = _axis(fmt, table.indicator, table.rows, cells, row_pos, months)
    columns = _axis(fmt, table.indicator, table.columns, cells, col_pos, months)
    grid = {(r, c): 0 for r in rows for c in columns}
    for key, value in cells.items():
        spot = (tuple(key[p] for p in row_pos), tuple(key[p] for p in col_pos))
        if spot in grid:
            grid[spot] += value
    values = [[grid[(r, c)] for c in columns] for r in rows]
    return TableData(
        indicator=table.indicator,
        title=_(table.title),
        unit=indicator.unit,
        row_titles=[str(DIMENSIONS[d].title) for d in table.rows],
        column_titles=[str(DIMENSIONS[d].title) for d in table.columns],
        rows=[list(r) for r in rows],
        columns=[list(c) for c in columns],
        values=values,
        row_totals=[sum(row) for row in values],
        column_totals=[sum(col) for col in zip(*values, strict=True)] if values else [],
        total=sum(sum(row) for row in values),
    )


def compute(spec: ReportSpec) -> Dataset:
    """Compute every indicator of the format for the period and clinics."""
    with sqlite.page_cache(db.session, current_app.config["REPORT_CACHE_MIB"]):
        return _compute(spec)


def _compute(spec: ReportSpec) -> Dataset:
    fmt = spec.format
    cells = {}
    for code in fmt.indicators:
        dims = fmt.dimensions_of(code)
        window = window_for(INDICATORS[code], spec.period, spec.clinic_ids)
        cells[code] = (dims, aggregate(INDICATORS[code], dims, window, fmt), months_of(window))
    groups = [
        GroupData(
            title=_(g.title),
            sheet=g.sheet,
            tables=[build_table(fmt, t, *cells[t.indicator]) for t in g.tables],
        )
        for g in fmt.groups
    ]
    notes = list(spec.notes)
    if spec.period.closes_fiscal_year and any(INDICATORS[c].fiscal_year_at_q4 for c in fmt.indicators):
        notes.append(
            _(
                "KP_PREV counts each person once over the fiscal year from %(d)s.",
                d=spec.period.fiscal_year_start.isoformat(),
            )
        )
    dataset = Dataset(
        format_code=fmt.code,
        format_title=_(fmt.title),
        period=spec.period.code,
        period_start=spec.period.start.isoformat(),
        period_end=spec.period.end.isoformat(),
        clinics=spec.clinic_names,
        prepared_by=spec.prepared_by,
        generated_at=spec.generated_at.isoformat(),
        groups=groups,
        notes=notes,
        definitions=[
            Definition(c, str(INDICATORS[c].title), INDICATORS[c].unit, _definition(fmt, c)) for c in fmt.indicators
        ],
        findings=quality.findings(Window(spec.period.start, spec.period.end, spec.clinic_ids)),
    )
    if spec.include_trend and fmt.trend:
        _add_trend(dataset, spec)
    return dataset


def _definition(fmt: ReportFormat, code: str) -> str:
    """The indicator's definition, with the format's note on each dimension its grids use (e.g. how MER's
    sex columns take transgender clients)."""
    text = INDICATORS[code].full_definition()
    for dim in fmt.dimensions_of(code):
        note = fmt.dimension_maps.get(dim, {}).get("note")
        if note:
            text += "\n" + _(note)
    return text


def _add_trend(dataset: Dataset, spec: ReportSpec) -> None:
    """Each point counts its own period alone: a Q4 (or S2) point is that quarter, never the fiscal year
    to date that the Q4 tables report for KP_PREV, so the line compares like with like."""
    periods = spec.period.previous(TREND_PERIODS - 1) + [spec.period]
    dataset.trend_periods = [p.code for p in periods]
    windows = tuple(Window(p.start, p.end, spec.clinic_ids) for p in periods)
    for code in spec.format.trend:
        indicator = INDICATORS[code]
        dataset.trend_titles[code] = str(indicator.title)
        if indicator.trend_facts is not None:
            dataset.trend[code] = trend_in_one_pass(indicator, windows)
        else:
            dataset.trend[code] = [sum(aggregate(indicator, (), w, spec.format).values()) for w in windows]
    dataset.trend_note = _("Each point counts its own period only (people once per period).")
    closes = spec.period.closes_fiscal_year and spec.period.kind != "fiscal_year"
    if closes and any(INDICATORS[c].fiscal_year_at_q4 for c in spec.format.trend):
        dataset.trend_note += " " + _(
            "The tables' KP_PREV counts the fiscal year to date; the trend's last point counts %(period)s alone.",
            period=spec.period.code,
        )
