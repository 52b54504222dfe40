"""Donor formats as data: each file in reports/formats/ is one format (TOML).

A format names its indicators and lays out their disaggregation grids (rows and
columns), labels, age bands, the period kinds it is reported for and the
indicators of its trend chart. Adding a donor format needs no Python change:
drop a new .toml file beside the others. Labels are translated when shown.
"""

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from clinic_app.reports.dimensions import DIMENSIONS
from clinic_app.reports.indicators import INDICATORS

FORMATS_DIR = Path(__file__).parent / "formats"


class BadFormat(ValueError):
    pass


@dataclass(frozen=True)
class TableSpec:
    indicator: str
    title: str
    rows: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.rows + self.columns


@dataclass(frozen=True)
class Group:
    title: str
    sheet: str
    tables: tuple[TableSpec, ...]


@dataclass(frozen=True)
class ReportFormat:
    code: str
    title: str
    description: str
    period_kinds: tuple[str, ...]
    groups: tuple[Group, ...]
    trend: tuple[str, ...] = ()
    age_bands: tuple[tuple[int, int], ...] = ()
    # Indicators whose donor grid uses other age bands than the format's (MER splits 50+ for some).
    indicator_age_bands: dict = field(default_factory=dict)
    dimension_maps: dict = field(default_factory=dict)  # dimension -> {"map": {...}, "order": [...]}

    @property
    def indicators(self) -> list[str]:
        seen = []
        for group in self.groups:
            for table in group.tables:
                if table.indicator not in seen:
                    seen.append(table.indicator)
        return seen

    def bands_for(self, indicator: str) -> tuple[tuple[int, int], ...]:
        return self.indicator_age_bands.get(indicator, self.age_bands)

    def dimensions_of(self, indicator: str) -> tuple[str, ...]:
        dims = []
        for group in self.groups:
            for table in group.tables:
                if table.indicator == indicator:
                    dims += [d for d in table.dimensions if d not in dims]
        return tuple(dims)


def _table(raw: dict, where: str) -> TableSpec:
    code = raw.get("indicator")
    if code not in INDICATORS:
        raise BadFormat(f"{where}: unknown indicator {code!r}")
    table = TableSpec(
        indicator=code,
        title=raw.get("title") or code,
        rows=tuple(raw.get("rows", ())),
        columns=tuple(raw.get("columns", ())),
    )
    for dim in table.dimensions:
        if dim not in DIMENSIONS:
            raise BadFormat(f"{where}: unknown dimension {dim!r}")
        if dim not in INDICATORS[code].dimensions:
            raise BadFormat(f"{where}: {code} cannot be disaggregated by {dim!r}")
    return table


def _bands(raw) -> tuple[tuple[int, int], ...]:
    return tuple(tuple(band) for band in raw)


def _indicator_bands(raw: dict, where: str) -> dict:
    unknown = [code for code in raw if code not in INDICATORS]
    if unknown:
        raise BadFormat(f"{where}: age bands for unknown indicators {unknown}")
    return {code: _bands(bands) for code, bands in raw.items()}


def load_format(path: Path) -> ReportFormat:
    """Read and check one format file; BadFormat names what is wrong and where."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise BadFormat(f"{path.name}: {error}") from None
    groups = tuple(
        Group(
            title=g["title"],
            sheet=g.get("sheet", g["title"])[:31],
            tables=tuple(_table(t, f"{path.name}, group {g['title']!r}") for t in g.get("tables", [])),
        )
        for g in raw.get("groups", [])
    )
    trend = tuple(raw.get("trend", ()))
    unknown = [code for code in trend if code not in INDICATORS]
    if unknown:
        raise BadFormat(f"{path.name}: unknown trend indicators {unknown}")
    return ReportFormat(
        code=raw.get("code", path.stem),
        title=raw["title"],
        description=raw.get("description", ""),
        period_kinds=tuple(raw.get("period_kinds", ("quarter",))),
        groups=groups,
        trend=trend,
        age_bands=_bands(raw.get("age_bands", ())),
        indicator_age_bands=_indicator_bands(raw.get("indicator_age_bands", {}), path.name),
        dimension_maps=raw.get("dimensions", {}),
    )


@cache
def all_formats() -> dict[str, ReportFormat]:
    return {f.code: f for f in (load_format(p) for p in sorted(FORMATS_DIR.glob("*.toml")))}


def get_format(code: str) -> ReportFormat:
    formats = all_formats()
    if code not in formats:
        raise BadFormat(f"No report format {code!r}. Formats: {', '.join(sorted(formats))}.")
    return formats[code]


def _labels(value, key: str = ""):
    """Every title, description and category label in a parsed format file."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _labels(v, "label" if key == "map" else k)
    elif isinstance(value, list):
        for v in value:
            yield from _labels(v, "label" if key == "order" else key)
    elif isinstance(value, str) and key in ("title", "description", "label", "note"):
        yield value


def extract_toml(fileobj, keywords, comment_tags, options):
    """Babel extractor (see babel.cfg): the titles and labels of format files, for translation."""
    raw = tomllib.loads(fileobj.read().decode("utf-8"))
    for text in dict.fromkeys(_labels(raw)):
        yield 0, "gettext", text, []
