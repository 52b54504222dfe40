"""Text that goes into a spreadsheet cell must never run as a formula, nor break the file."""

from clinic_app.core import text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula, by a leading apostrophe; drop the control
    characters a spreadsheet cannot hold (openpyxl refuses them: rows stored before core.text cleaned them)."""
    if text.has_forbidden(value):
        value = text.clean(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_row(values) -> list:
    """A row of cells for a write-only sheet, every text made safe."""
    return [safe_text(value) if isinstance(value, str) else value for value in values]
