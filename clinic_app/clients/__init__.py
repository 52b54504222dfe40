"""The client registry: pseudonymous clients found by number, UIC or alias."""
