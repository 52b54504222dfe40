"""Small-cell suppression for every aggregate that leaves the clinic.

Counts from 1 to threshold-1 (1-4 by default) are hidden as "<5" (primary suppression). A grid
publishes its row and column totals, and each row or column is an equation (its cells add up to its
total): while an equation has a single hidden entry, or only hidden small numbers with one solution
(1+1=2, 4+4=8: every solution is tried), one more entry of it is hidden (complementary suppression,
shown "*"), the smallest non-zero count first, so no hidden count can be worked out from what is
shown. Zeros are shown (a zero is not a person). The plan is plain data: the preview marks the cells
an export will hide, the exports show the published copy.

Other features use ``plan_grid`` for their own grids (e.g. the crisis report).
"""

import copy
import itertools
from dataclasses import dataclass, field

from flask_babel import gettext as _

from clinic_app.reports.dataset import Dataset, TableData

PRIMARY, COMPLEMENT = "primary", "complement"
HIDDEN_MARK = "*"


def small_label(threshold: int) -> str:
    return f"<{threshold}"


@dataclass
class GridPlan:
    """Which entries of one grid an export hides, and why (PRIMARY or COMPLEMENT)."""

    cells: dict[tuple[int, int], str] = field(default_factory=dict)
    row_totals: dict[int, str] = field(default_factory=dict)
    column_totals: dict[int, str] = field(default_factory=dict)
    total: str | None = None

    @property
    def hidden(self) -> int:
        return len(self.cells) + len(self.row_totals) + len(self.column_totals) + (self.total is not None)


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def plan_grid(
    values: list[list[int]],
    row_totals: list[int] | None,
    column_totals: list[int] | None,
    total: int | None,
    threshold: int,
    hide: frozenset = frozenset(),
) -> GridPlan:
    """The suppression plan of a grid whose shown totals are given (None: that total is not shown).

    ``hide`` names entries hidden anyway: ("c", i, j), ("r", i), ("k", j) or ("t",).
    """
    entries: dict[tuple, int] = {}
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            entries[("c", i, j)] = value
    equations: list[list[tuple]] = []
    n_rows, n_cols = len(values), len(values[0]) if values else 0
    if row_totals is not None:
        for i in range(n_rows):
            entries[("r", i)] = row_totals[i]
            equations.append([("c", i, j) for j in range(n_cols)] + [("r", i)])
    if column_totals is not None:
        for j in range(n_cols):
            entries[("k", j)] = column_totals[j]
            equations.append([("c", i, j) for i in range(n_rows)] + [("k", j)])
    if total is not None and row_totals is not None and column_totals is not None:
        entries[("t",)] = total
        equations.append([("k", j) for j in range(n_cols)] + [("t",)])
        equations.append([("r", i) for i in range(n_rows)] + [("t",)])
    hidden = {ref: PRIMARY for ref, value in entries.items() if is_small(value, threshold)}
    for ref in hide:
        if ref in entries:
            hidden.setdefault(ref, COMPLEMENT)
    changed = True
    while changed:
        changed = False
        for equation in equations:
            if _gives_away(equation, hidden, entries, threshold):
                extra = _complement(equation, hidden, entries)
                if extra is not None:
                    hidden[extra] = COMPLEMENT
                    changed = True
    result = GridPlan()
    for ref, kind in hidden.items():
        if ref[0] == "c":
            result.cells[(ref[1], ref[2])] = kind
        elif ref[0] == "r":
            result.row_totals[ref[1]] = kind
        elif ref[0] == "k":
            result.column_totals[ref[1]] = kind
        else:
            result.total = kind
    return result


def _gives_away(equation, hidden, entries, threshold) -> bool:
    """True when the shown entries of this equation (its cells add up to its last entry, the total)
    reveal a hidden one: a single hidden entry, or hidden small numbers with only one solution."""
    unknown = [ref for ref in equation if ref in hidden]
    if len(unknown) == 1:
        return True
    if not unknown or len(unknown) > 5 or any(hidden[ref] != PRIMARY for ref in unknown):
        return False  # a hidden number that may be large leaves the equation open
    *cells, total = equation
    shown_cells = sum(entries[ref] for ref in cells if ref not in hidden)
    possible: dict[tuple, set[int]] = {ref: set() for ref in unknown}
    for guess in itertools.product(range(1, threshold), repeat=len(unknown)):
        value = dict(zip(unknown, guess, strict=True))
        cell_sum = shown_cells + sum(value[ref] for ref in cells if ref in value)
        if cell_sum == value.get(total, entries[total]):
            for ref in unknown:
                possible[ref].add(value[ref])
    return any(len(values) == 1 for values in possible.values())


def _complement(equation, hidden, entries):
    """The entry to hide next: the smallest non-zero cell, then a total, then a zero cell."""
    shown = [ref for ref in equation if ref not in hidden]
    if not shown:
        return None
    cells = [ref for ref in shown if ref[0] == "c"]
    non_zero = sorted((ref for ref in cells if entries[ref] > 0), key=lambda ref: entries[ref])
    totals = [ref for ref in shown if ref[0] != "c"]
    zeros = [ref for ref in cells if entries[ref] == 0]
    return (non_zero or totals or zeros)[0]


def _total_ref(table: TableData) -> tuple:
    """Where a report grid shows its grand total (see reports/_grid.html)."""
    if table.row_titles and table.column_titles:
        return ("t",)
    if table.row_titles:
        return ("k", 0)  # one column: its total is the totals row
    if table.column_titles:
        return ("r", 0)  # one row: its total is the row's total
    return ("c", 0, 0)  # one cell


def _has(grid: GridPlan, ref: tuple) -> bool:
    if ref[0] == "t":
        return grid.total is not None
    if ref[0] == "k":
        return ref[1] in grid.column_totals
    if ref[0] == "r":
        return ref[1] in grid.row_totals
    return (ref[1], ref[2]) in grid.cells


def table_plan(table: TableData, threshold: int, hide_total: bool = False) -> GridPlan:
    """The plan for a report grid, with the totals the grid shows."""
    return plan_grid(
        table.values,
        table.row_totals if table.column_titles else None,
        table.column_totals if table.row_titles else None,
        table.total,
        threshold,
        hide=frozenset({_total_ref(table)}) if hide_total else frozenset(),
    )


def plan(dataset: Dataset, threshold: int) -> list[list[GridPlan]]:
    """One plan per table, group by group.

    Grids of the same indicator share their grand total: where one hides it, all of them do
    (planned again with the total hidden), so it cannot be read from another grid.
    """
    tables = [table for group in dataset.groups for table in group.tables]
    hide: set[str] = set()
    while True:
        grids = [table_plan(table, threshold, hide_total=table.indicator in hide) for table in tables]
        now = hide | {t.indicator for t, g in zip(tables, grids, strict=True) if _has(g, _total_ref(t))}
        if now == hide:
            break
        hide = now
    found = iter(grids)
    return [[next(found) for _table in group.tables] for group in dataset.groups]


def hidden_totals(dataset: Dataset, plans: list[list[GridPlan]]) -> set[str]:
    """The indicators whose total for the period the exports hide."""
    return {
        table.indicator
        for group, grids in zip(dataset.groups, plans, strict=True)
        for table, grid in zip(group.tables, grids, strict=True)
        if _has(grid, _total_ref(table))
    }


def _shown(value: int, kind: str | None, threshold: int):
    if kind is None:
        return value
    return small_label(threshold) if kind == PRIMARY else HIDDEN_MARK


def published(dataset: Dataset, threshold: int) -> Dataset:
    """The copy of a dataset that may leave the clinic: hidden counts replaced by "<5" or "*"."""
    out = copy.deepcopy(dataset)
    plans = plan(dataset, threshold)
    for group, grids in zip(out.groups, plans, strict=True):
        for table, grid in zip(group.tables, grids, strict=True):
            table.values = [
                [_shown(v, grid.cells.get((i, j)), threshold) for j, v in enumerate(row)]
                for i, row in enumerate(table.values)
            ]
            table.row_totals = [_shown(v, grid.row_totals.get(i), threshold) for i, v in enumerate(table.row_totals)]
            table.column_totals = [
                _shown(v, grid.column_totals.get(j), threshold) for j, v in enumerate(table.column_totals)
            ]
            # Totals a grid does not show still travel in JSON: they repeat its one column or row.
            if not table.column_titles:
                table.row_totals = [row[0] if row else 0 for row in table.values]
            if not table.row_titles and table.values:
                table.column_totals = list(table.values[0])
            hidden = _has(grid, _total_ref(table))
            table.total = _shown(
                table.total,
                (PRIMARY if is_small(table.total, threshold) else COMPLEMENT) if hidden else None,
                threshold,
            )
    hidden_codes = hidden_totals(dataset, plans)
    for code, series in out.trend.items():
        last = len(series) - 1
        # The trend's last value is this period's total: hidden where the grids hide it.
        out.trend[code] = [
            small_label(threshold)
            if is_small(v, threshold)
            else (HIDDEN_MARK if i == last and code in hidden_codes else v)
            for i, v in enumerate(series)
        ]
    for finding in out.findings:
        if is_small(finding.count, threshold):
            finding.count = small_label(threshold)
    out.notes.append(
        _(
            "Numbers from 1 to %(top)d are shown as %(small)s, and %(mark)s marks a number hidden so that "
            "those cannot be worked out from the totals.",
            top=threshold - 1,
            small=small_label(threshold),
            mark=HIDDEN_MARK,
        )
    )
    return out
