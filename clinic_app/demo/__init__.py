"""Demo mode: a clinic network filled with synthetic (invented) clients and visits."""
