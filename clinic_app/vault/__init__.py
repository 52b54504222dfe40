"""Encryption at rest: the SQLite database is encrypted with SQLCipher and stays locked
until the data administrator types the passphrase after a restart."""
