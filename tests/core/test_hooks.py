"""Contribution points (core/hooks.py): a feature below learns from the features above without importing them."""

import pytest

from clinic_app.clients import contributions as clients
from clinic_app.core.hooks import Hook, Slot
from clinic_app.visits import contributions as visits


def test_a_hook_calls_its_functions_in_the_order_they_registered():
    hook = Hook("test.pages")

    def first(value):
        return {"a": value, "shared": "first"}

    def second(value):
        return {"b": value * 2, "shared": "second"}

    hook.register(first)
    hook.register(second)
    assert hook(1) == [{"a": 1, "shared": "first"}, {"b": 2, "shared": "second"}]
    assert hook.context(1) == {"a": 1, "b": 2, "shared": "second"}


def test_registering_a_function_again_replaces_it():
    """A module imported again (a reload) must not contribute twice."""
    hook = Hook("test.once")

    def answer():
        return 1

    hook.register(answer)
    hook.register(answer)
    assert hook() == [1]


def test_an_empty_slot_says_what_is_missing():
    slot = Slot("test.slot")
    with pytest.raises(LookupError, match="test.slot"):
        slot.get()
    provider = object()
    assert slot.provide(provider) is provider
    assert slot.get() is provider


def _modules(hook: Hook) -> set[str]:
    return {function.__module__ for function in hook}


def test_the_app_fills_every_contribution_point(app):
    """The factory imports every feature, so each point holds what the features above give it."""
    assert _modules(clients.client_page) == {"clinic_app.visits.views", "clinic_app.network.views"}
    assert _modules(clients.search_elsewhere) == {"clinic_app.network.views"}
    assert _modules(clients.next_appointment) == {"clinic_app.visits.views"}
    assert _modules(clients.enrolment_bound) == {"clinic_app.visits.client_records"}
    assert _modules(clients.merge_checks) == {"clinic_app.visits.client_records"}
    assert _modules(clients.after_merge) == {"clinic_app.visits.client_records"}
    assert _modules(clients.derived_rows) == {"clinic_app.visits.status", "clinic_app.reports.upkeep"}
    for hook in (visits.visit_form, visits.visit_page, visits.visit_recorded):
        assert _modules(hook) == {"clinic_app.crisis.care"}
    assert _modules(visits.prep_elsewhere) == {"clinic_app.network.services"}
    assert visits.referrals.get().redeemable.__module__ == "clinic_app.outreach.referrals"
