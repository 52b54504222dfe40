"""Messages are translated for the person asking, and still work without a request (CLI)."""

from clinic_app.auth.passwords import password_problem


def test_service_messages_work_outside_a_request(app):
    assert password_problem("short") == "Use at least 10 characters."


def test_sign_in_page_follows_the_browser_language_when_signed_out(client):
    response = client.get("/auth/login", headers={"Accept-Language": "pt-MZ,pt;q=0.9"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.get_data(as_text=True)  # no catalogue yet: English text
