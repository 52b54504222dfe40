"""The ground floor stays the ground floor: nothing in clinic_app/core imports a feature package."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "clinic_app"
# What core may import from the app besides itself: the unbound extensions and the settings.
CORE_MAY_IMPORT = {"core", "extensions", "config"}


def imported_app_modules(path: Path) -> list[tuple[int, str]]:
    """Every ``clinic_app.x`` a module imports, at any depth (also inside functions and TYPE_CHECKING)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "clinic_app":
                found += [(node.lineno, f"clinic_app.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, "<relative import>"))
    return [(line, name) for line, name in found if name.startswith(("clinic_app.", "<"))]


def test_core_imports_no_feature():
    offending = [
        f"{path.relative_to(APP.parent)}:{line} imports {name}"
        for path in sorted((APP / "core").rglob("*.py"))
        for line, name in imported_app_modules(path)
        if name.startswith("<") or name.split(".")[1] not in CORE_MAY_IMPORT
    ]
    assert not offending, "\n".join(offending)
