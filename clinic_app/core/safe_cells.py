"""Text that goes into a spreadsheet cell must never run as a formula."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula, by a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
