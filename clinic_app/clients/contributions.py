"""What the features built on clients add to its pages and to a merge (core/hooks.py says why hooks).

clients sits below visits, reports and network, so it never imports them; they register here instead.
"""

from clinic_app.core.hooks import Hook

# The client page: ``(client, *, actor, today) -> dict`` of template variables (the visit timeline and
# clinical summary from visits, the network panel from network).
client_page = Hook("clients.client_page")

# A search that found nobody here: ``(*, actor, term) -> dict`` of template variables (the network's index).
search_elsewhere = Hook("clients.search_elsewhere")

# The health card's next appointment: ``(client, today) -> date | None``; the first one given is printed.
next_appointment = Hook("clients.next_appointment")

# Dates a corrected enrolment date may not follow: ``(client) -> date | None`` (the first visit).
enrolment_bound = Hook("clients.enrolment_bound")

# A merge, in three steps. Before anything moves: ``(keep, duplicate) -> None``, raising Conflict to refuse.
merge_checks = Hook("clients.merge_checks")
# After the duplicate's records moved by bulk statements, which the session hooks do not see: ``(keep) ->
# None`` to put the kept record's own rules right (one first visit).
after_merge = Hook("clients.after_merge")
# Then the derived rows of both records are recomputed: ``(connection, client_ids) -> None`` (each client's
# status row, the report facts). Each is a function of the records alone, so their order does not matter.
derived_rows = Hook("clients.derived_rows")
