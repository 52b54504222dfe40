"""HTTPS on the clinic network: the clinic CA and server certificate, the app served over TLS by
cheroot, Secure cookies and HSTS over TLS, plain HTTP refused, and the reverse-proxy setting."""

import http.client
import importlib.util
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509

from clinic_app import create_app
from clinic_app.tls.certificates import fingerprint, tls_files
from clinic_app.tls.serve import tls_server
from tests.conftest import Browser, _config
from tests.factories import PASSWORD
from tests.helpers import text

RUN_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run.py"


@pytest.fixture
def tls_app(app, tmp_path):
    app.config["TLS_DIR"] = str(tmp_path / "tls")
    result = app.test_cli_runner().invoke(args=["tls", "init", "--name", "clinic.example"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def served(tls_app):
    """The app served over HTTPS on a free port of 127.0.0.1 by cheroot; yields (port, CA file)."""
    files = tls_files(tls_app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = tls_server(tls_app, "127.0.0.1", port, certificate=str(files.server), key=str(files.server_key))
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield port, files.ca
    server.stop()
    thread.join(timeout=10)


def _https(port, ca) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(ca))  # trusts only the clinic CA, checks the name
    return http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)


def test_tls_init_makes_a_clinic_ca_limited_to_the_clinic_network_and_a_server_certificate(tls_app):
    files = tls_files(tls_app)
    assert files.ready()
    for key in (files.ca_key, files.server_key):
        assert key.stat().st_mode & 0o777 == 0o600
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    permitted = ca.extensions.get_extension_for_class(x509.NameConstraints).value.permitted_subtrees
    assert x509.DNSName("local") in permitted  # the CA cannot vouch for any name on the internet
    server = x509.load_pem_x509_certificate(files.server.read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert "clinic.example" in names.get_values_for_type(x509.DNSName)
    assert any(str(ip) == "127.0.0.1" for ip in names.get_values_for_type(x509.IPAddress))
    before = files.ca.read_bytes()
    assert tls_app.test_cli_runner().invoke(args=["tls", "init"]).exit_code == 0
    assert files.ca.read_bytes() == before  # a new server certificate, the same CA: phones keep trusting it


def test_the_app_is_served_over_https_with_hsts_and_a_secure_session_cookie(served, nurse):
    port, ca = served
    connection = _https(port, ca)
    connection.request("GET", "/auth/login")
    page = connection.getresponse()
    body = page.read().decode()
    assert page.status == 200
    assert 'name="password"' in body
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000"
    connection.request(
        "POST",
        "/auth/login",
        body=f"username=nurse&password={PASSWORD.replace(' ', '+')}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    signed_in = connection.getresponse()
    signed_in.read()
    assert signed_in.status == 302
    cookies = [value for name, value in signed_in.getheaders() if name.lower() == "set-cookie"]
    assert cookies and all("Secure" in cookie for cookie in cookies)
    connection.close()


def test_plain_http_to_the_clinic_port_is_refused_and_shows_no_page(served):
    port, _ca = served
    with socket.create_connection(("127.0.0.1", port), timeout=30) as plain:
        plain.sendall(b"GET /auth/login HTTP/1.1\r\nHost: clinic\r\n\r\n")
        answer = b""
        try:
            while chunk := plain.recv(4096):
                answer += chunk
        except ConnectionResetError:
            pass  # the server may close at once after its refusal
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    assert b"password" not in answer


def test_hsts_and_secure_cookies_only_over_tls(client, login, nurse):
    plain = client.get("/auth/login")
    assert "Strict-Transport-Security" not in plain.headers
    response = login(nurse)
    assert all("Secure" not in c for c in response.headers.getlist("Set-Cookie"))
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_reverse_proxy_the_setting_makes_the_forwarded_scheme_count(database_uri):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9"}
    for setting, expect_https in ((0, False), (1, True)):
        proxied = create_app(_config(database_uri, PROXY_FIX_FORWARDS=setting))
        proxied.test_client_class = Browser
        with proxied.app_context():
            response = proxied.test_client().get("/auth/login", headers=forwarded)
        assert ("Strict-Transport-Security" in response.headers) is expect_https  # a forged header counts for nothing


def test_the_phone_page_gives_the_ca_and_its_fingerprint(tls_app, client):
    page = text(client.get("/tls/"))
    assert fingerprint(tls_files(tls_app).ca) in page
    download = client.get("/tls/ca.crt")
    assert download.status_code == 200
    assert download.mimetype == "application/x-x509-ca-cert"
    assert download.data == tls_files(tls_app).ca.read_bytes()
    download.close()


def test_the_run_script_serves_https_beyond_this_computer_and_plain_http_only_on_it():
    spec = importlib.util.spec_from_file_location("run_script", RUN_SCRIPT)
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert run.serve_command("0.0.0.0", "5000")[:2] == ["-m", "clinic_app.tls.serve"]  # noqa: S104
    assert run.serve_command("192.168.1.20", "5000")[:2] == ["-m", "clinic_app.tls.serve"]
    assert run.serve_command("127.0.0.1", "5000")[:2] == ["-m", "waitress"]


def test_plain_http_from_the_network_is_refused_even_without_the_run_script(app, client):
    """Served by hand (waitress on 0.0.0.0), plain HTTP still answers only this computer."""
    app.config["REQUIRE_TLS_FROM_NETWORK"] = True
    phone = client.get("/auth/login", environ_base={"REMOTE_ADDR": "192.168.1.23"})
    assert phone.status_code == 403
    assert "Open this app with https://" in text(phone)
    assert 'name="password"' not in text(phone)
    assert client.get("/auth/login").status_code == 200  # the desktop itself
    over_tls = client.get("/auth/login", base_url="https://clinic.local", environ_base={"REMOTE_ADDR": "192.168.1.23"})
    assert over_tls.status_code == 200
