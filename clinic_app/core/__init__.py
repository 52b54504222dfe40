"""Pieces every feature shares: model base, coded values, errors, permissions, time."""
