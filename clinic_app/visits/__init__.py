"""Visits: one attendance of a client at a clinic, with its reasons."""
