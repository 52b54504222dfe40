"""Messages are translated for the person asking, and still work without a request (CLI)."""

from clinic_app.auth.passwords import password_problem


def test_service_messages_work_outside_a_request(app):
    assert password_problem("short") == "Use at least 10 characters."
