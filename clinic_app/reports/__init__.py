"""Donor reports: an indicator engine, donor formats as data, PDF/Excel/JSON outputs, the line list."""
