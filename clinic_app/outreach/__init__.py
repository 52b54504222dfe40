"""Peer-educator mobilisation: hotspots, outreach contacts, referral slips, tracing, trainings."""
