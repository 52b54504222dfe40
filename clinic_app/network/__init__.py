"""The clinic network: a hub on PostgreSQL, clinics that sync to it, and clients found at any Blue Box."""
