"""The computed report: plain data that every renderer (HTML, PDF, Excel, JSON) reads.

Renderers never touch the database; whatever they show is in a Dataset.
"""

from dataclasses import asdict, dataclass, field


@dataclass
class TableData:
    indicator: str
    title: str
    unit: str
    row_titles: list[str]  # one per row dimension
    column_titles: list[str]  # one per column dimension
    rows: list[list[str]]  # the row dimensions' labels, one list per grid row
    columns: list[list[str]]  # the column dimensions' labels, one list per grid column
    values: list[list[int]]  # rows x columns
    row_totals: list[int]
    column_totals: list[int]
    total: int


@dataclass
class GroupData:
    title: str
    sheet: str
    tables: list[TableData]


@dataclass
class Finding:
    code: str
    title: str
    count: int


@dataclass
class Definition:
    indicator: str
    title: str
    unit: str
    definition: str


@dataclass
class Dataset:
    format_code: str
    format_title: str
    period: str
    period_start: str
    period_end: str
    clinics: list[str]
    prepared_by: str
    generated_at: str  # ISO 8601, UTC
    groups: list[GroupData]
    trend_periods: list[str] = field(default_factory=list)
    trend: dict[str, list[int]] = field(default_factory=dict)  # indicator -> one value per trend period
    trend_titles: dict[str, str] = field(default_factory=dict)
    trend_note: str = ""  # what each trend point counts
    findings: list[Finding] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def totals(self) -> dict[str, int]:
        """Each indicator's total (from its first table), for checks and summaries."""
        found = {}
        for group in self.groups:
            for table in group.tables:
                found.setdefault(table.indicator, table.total)
        return found
