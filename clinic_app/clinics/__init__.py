"""Clinics (Blue Box sites): code, name, country and time zone."""
