"""Every main page answers for the role that may use it; every feature imports on its own."""

import subprocess
import sys
from pathlib import Path

import pytest


def test_nurse_pages_render(client, login, nurse, make):
    c = make.client(registered_by=nurse)
    make.visit(client=c, recorded_by=nurse)
    assert login(nurse).status_code == 302
    for url in [
        "/",
        "/clients/",
        "/clients/new",
        f"/clients/{c.id}",
        f"/clients/{c.id}/edit",
        f"/visits/for/{c.id}/new",
        "/visits/",
        "/auth/account",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


FEATURES = sorted(
    path.parent.name
    for path in (Path(__file__).resolve().parents[2] / "clinic_app").glob("*/__init__.py")
    if path.parent.name != "translations"
)


@pytest.mark.parametrize("module", [f"clinic_app.{name}" for name in FEATURES] + ["clinic_app.visits.models"])
def test_each_feature_imports_on_its_own(module):
    """Scripts and commands import one feature first: none may hit an import cycle that way."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
