"""``flask --app clinic_app clinics create|list``."""

from sqlalchemy import select

from clinic_app.clinics.models import Clinic
from clinic_app.extensions import db
from tests.helpers import count


def test_clinics_create_adds_a_clinic_with_an_upper_case_code(runner, app):
    result = runner.invoke(
        args=[
            "clinics",
            "create",
            "--code",
            "vfa",
            "--name",
            "Victoria Falls",
            "--country",
            "zw",
            "--timezone",
            "Africa/Harare",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created clinic VFA (Victoria Falls)." in result.output
    clinic = db.session.scalar(select(Clinic).where(Clinic.code == "VFA"))
    assert clinic.country == "ZW"


def test_clinics_create_refuses_an_unknown_time_zone_with_a_message(runner, app):
    result = runner.invoke(
        args=[
            "clinics",
            "create",
            "--code",
            "VFA",
            "--name",
            "Victoria Falls",
            "--country",
            "ZW",
            "--timezone",
            "Mars/Olympus",
        ]
    )
    assert result.exit_code == 1
    assert "timezone: Choose a time zone." in result.output
    assert count(Clinic) == 0


def test_clinics_list_shows_code_name_and_state(runner, make):
    make.clinic(code="INC", name="Inchope", country="MZ", timezone="Africa/Maputo", is_active=False)
    result = runner.invoke(args=["clinics", "list"])
    assert result.exit_code == 0
    assert "INC\tInchope\tMZ\tAfrica/Maputo (inactive)" in result.output
