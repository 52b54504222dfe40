"""The audit chain's key, which is never stored in the database in the clear.

- Encrypted SQLite (a clinic): a random 32-byte key, made with the first keyed audit line and stored
  only sealed (AES-256-GCM) under a key derived with scrypt from the database passphrase. It opens
  after unlock; a passphrase change reseals it (``reseal``), so the chain outlives the change.
- Otherwise (PostgreSQL, tests): the ``AUDIT_KEY`` setting, or ``instance/audit_key`` (0600), kept
  outside the database as the session secret is. Someone who can edit the database but does not hold
  that file cannot recompute the chain.
"""

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from flask import current_app
from sqlalchemy import select

from clinic_app.audit.models import AuditKeySeal
from clinic_app.vault.keyring import vault

KEY_BYTES = 32
_SEAL_INFO = b"bluebox audit chain key"


class KeyUnavailable(RuntimeError):
    """The chain's key cannot be had (its seal does not open, or its file is missing)."""


def _wrapping_key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase.encode())


def seal(key: bytes, passphrase: str) -> AuditKeySeal:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_wrapping_key(passphrase, salt)).encrypt(nonce, key, _SEAL_INFO)
    return AuditKeySeal(salt=salt, nonce=nonce, sealed=sealed)


def _unseal(row: AuditKeySeal, passphrase: str) -> bytes | None:
    try:
        return AESGCM(_wrapping_key(passphrase, row.salt)).decrypt(row.nonce, row.sealed, _SEAL_INFO)
    except InvalidTag:
        return None


def _cache() -> dict:
    return current_app.extensions.setdefault("audit_chain_key", {})


def _sealed_key(session, *, create: bool) -> bytes | None:
    passphrase = vault().passphrase()
    marker = hashlib.sha256(passphrase.encode()).hexdigest()
    cache = _cache()
    if marker in cache:
        return cache[marker]
    for row in session.scalars(select(AuditKeySeal)):
        key = _unseal(row, passphrase)
        if key is not None:
            cache.clear()
            cache[marker] = key
            return key
    if session.scalar(select(AuditKeySeal.id).limit(1)) is not None:
        raise KeyUnavailable("The audit chain's key does not open with this passphrase.")
    if not create:
        return None
    key = secrets.token_bytes(KEY_BYTES)
    session.add(seal(key, passphrase))
    cache[marker] = key
    return key


def _configured_key() -> bytes:
    configured = current_app.config.get("AUDIT_KEY")
    if configured:
        return hashlib.sha256(b"bluebox audit|" + str(configured).encode()).digest()
    cache = _cache()
    if "file" not in cache:
        cache["file"] = bytes.fromhex(key_file(Path(current_app.instance_path)))
    return cache["file"]


def key_file(instance: Path) -> str:
    """The hex key in instance/audit_key, made (0600) if there is none yet."""
    path = instance / "audit_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text().strip()
        if len(text) != 2 * KEY_BYTES:
            raise KeyUnavailable(f"{path} does not hold an audit key.") from None
        return text
    value = secrets.token_hex(KEY_BYTES)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value)
    return value


def chain_key(session, *, create: bool = True) -> bytes | None:
    """The key of the chain; with ``create``, an encrypted database gets its sealed key now."""
    if vault().enabled:
        return _sealed_key(session, create=create)
    return _configured_key()


def reseal(session, old_passphrase: str, new_passphrase: str) -> None:
    """Before a passphrase change: add a seal that opens with the new passphrase (the old one stays)."""
    key = None
    for row in session.scalars(select(AuditKeySeal)):
        key = key or _unseal(row, old_passphrase)
    if key is not None:
        session.add(seal(key, new_passphrase))


def drop_other_seals(session, passphrase: str) -> None:
    """After a passphrase change: keep only the seals that open with the passphrase now in force."""
    for row in list(session.scalars(select(AuditKeySeal))):
        if _unseal(row, passphrase) is None:
            session.delete(row)
    _cache().clear()
