"""Tests and screenings done at a visit: HIV testing, STI screening, cervical screening."""
