"""The home page: what each role needs first thing in the day."""
