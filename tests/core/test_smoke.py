"""Every main page answers for the role that may use it."""


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
