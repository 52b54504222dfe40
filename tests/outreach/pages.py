"""Reading outreach pages the way a user sees them, and the forms a user sends."""

import re
import uuid
from datetime import date

from tests.helpers import text

_FIGURE = re.compile(r'<div class="figure"><b>([^<]*)</b>([^<]*)</div>')
_CELL = re.compile(r'<td data-label="([^"]*)"[^>]*>(.*?)</td>', re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


def figures_shown(response) -> dict[str, str]:
    """The figure tiles of /outreach/figures: label -> the number shown."""
    return {label.strip(): value.strip() for value, label in _FIGURE.findall(text(response))}


def peer_row(response, name: str) -> dict[str, str]:
    """The 'By peer educator' row of one peer educator: column -> value."""
    for row in _ROW.findall(text(response)):
        cells = {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in _CELL.findall(row)}
        if cells.get("Peer educator") == name:
            return cells
    raise AssertionError(f"no row for {name}")


def new_key() -> str:
    return str(uuid.uuid4())


def contact_form(day: date, **overrides) -> dict:
    data = {"contact_date": day.isoformat(), "kind": "individual", "hiv_info": "y", "submission_key": new_key()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def visit_form(day: date, **overrides) -> dict:
    data = {"service_date": day.isoformat(), "visit_type": "new", "reasons": ["hiv_testing", "condoms"]}
    data.update(overrides)
    return data
