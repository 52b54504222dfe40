"""Talking to the hub over HTTPS: signed, compressed requests and failures put in words.

Uses the standard library's HTTP client and TLS (certificate and host name checked; a hub with
its own certificate authority is trusted through ``NETWORK_HUB_CA_FILE``). A plain ``http://``
hub is refused except on this computer's loopback address (tests, a local tunnel).
"""

import ipaddress
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from clinic_app.network import protocol

API = "/network/api"


class HubUnavailable(Exception):
    """The hub could not be asked or refused: ``words`` is what the data administrator reads."""

    def __init__(self, words: str, *, status: int | None = None, answer: dict | None = None):
        super().__init__(words)
        self.words = words
        self.status = status
        self.answer = answer or {}


def check_hub_url(url: str) -> str:
    """The hub address without a trailing slash; ValueError when it is not HTTPS (loopback aside)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("The hub address must look like https://hub.example.org")
    if parts.scheme == "http":
        try:
            loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("The hub must be reached over HTTPS (http:// only on this computer).")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _tls(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


WORDS = {
    401: "The hub could not verify this clinic's signature. The request was refused; if it repeats, enrol again.",
    403: "The hub refused this clinic: {reason}",
    409: "The hub refused the request: {reason}",
    400: "The hub refused a batch: {reason}",
}


def post(
    hub_url: str,
    endpoint: str,
    payload: dict,
    *,
    timeout: float,
    ca_file: str | None = None,
    signer=None,
) -> dict:
    """POST ``payload`` to the hub's API; ``signer(path, body)`` gives the signing headers."""
    body = protocol.encode(payload)
    path = f"{API}/{endpoint}"
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    if signer is not None:
        headers.update(signer(path, body))
    url = check_hub_url(hub_url)
    request = urllib.request.Request(url + path, data=body, headers=headers, method="POST")  # noqa: S310 (https/loopback http only)
    context = _tls(ca_file) if url.startswith("https") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:  # noqa: S310  # nosec B310
            return protocol.decode(answer.read())
    except urllib.error.HTTPError as error:
        answer = _answer(error)
        reason = str(answer.get("error", "no reason given"))[:300]
        template = WORDS.get(error.code, "The hub answered with an error ({code}): {reason}")
        raise HubUnavailable(
            template.format(code=error.code, reason=reason), status=error.code, answer=answer
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        detail = getattr(error, "reason", error)
        raise HubUnavailable(
            f"The hub could not be reached ({detail}). Records wait here and are sent when it answers."
        ) from None
    except ValueError:
        raise HubUnavailable("The hub's answer could not be read.") from None


def _answer(error) -> dict:
    try:
        return protocol.decode(error.read())
    except (ValueError, OSError):
        return {}
