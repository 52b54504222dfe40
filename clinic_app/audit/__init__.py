"""Audit trail: who did what to which record, when (UTC) and from where; hash-chained."""
