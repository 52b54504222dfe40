"""Backups of the SQLite database: online, encrypted like the database, rotated; and restore."""
