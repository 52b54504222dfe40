"""Crisis response: violence and arrest cases from the first call to the outcome, the PEP clock, the fund."""
