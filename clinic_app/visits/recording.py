"""Writing a visit's sections to their tables, and keeping each correction in history."""

from clinic_app.core.actor import Actor
from clinic_app.screening import algorithms
from clinic_app.visits.models import Visit, VisitReason
from clinic_app.visits.rows import SKIP, snapshot, visit_revision
from clinic_app.visits.sections import BY_NAME, SECTIONS, ServicesInput


def implied_reasons(services: ServicesInput) -> set[VisitReason]:
    """The reasons for the visit its filled sections imply."""
    reasons = {BY_NAME[name].reason for name in services.given()}
    if services.hiv and services.hiv.screening_result is None and not services.hiv.declined:
        reasons.discard(VisitReason.HIV_TESTING)
        reasons.add(VisitReason.ART)  # a known positive seen for linkage, not tested
    return reasons


def apply_sections(
    visit: Visit,
    services: ServicesInput,
    *,
    actor: Actor,
    hiv_positive: bool,
    keep_history: bool,
    algorithm: algorithms.TestingAlgorithm = algorithms.TWO_TESTS,
) -> list[str]:
    """Make the visit's sections match ``services``; returns the names of sections that changed.

    With ``keep_history`` (a correction), each changed section leaves a VisitRevision
    holding what it was and what it became.
    """
    changed = []
    for section in SECTIONS:
        data = getattr(services, section.name)
        current = getattr(visit, section.attribute)
        new = (
            section.build(data, service_date=visit.service_date, hiv_positive=hiv_positive, algorithm=algorithm)
            if data
            else None
        )
        if isinstance(new, list) and not new:
            new = None
        for row in new if isinstance(new, list) else [new] if new is not None else []:
            row.clinic_id = visit.clinic_id
        before, after = snapshot(current), snapshot(new)
        if before == after:
            continue
        changed.append(section.name)
        _replace(visit, section.attribute, current, new)
        if keep_history:
            visit_revision(visit, actor, section.name, before, after)
        if section.on_change is not None:
            section.on_change(visit, before, new, actor=actor, hiv_positive=hiv_positive)
    return changed


def _copy_columns(target, source) -> None:
    for column in source.__table__.columns:
        if column.key not in SKIP:
            setattr(target, column.key, getattr(source, column.key))


def _replace(visit: Visit, attribute: str, current, new) -> None:
    """Change rows in place: a row deleted and re-inserted would break the one-per-visit keys."""
    if isinstance(current, list):  # a section of several rows, one per item (condoms, lubricant)
        by_item = {row.item: row for row in current}
        wanted = {row.item: row for row in new or []}
        for item, row in by_item.items():
            if item not in wanted:
                current.remove(row)
            else:
                row.quantity = wanted[item].quantity
        current.extend(row for item, row in wanted.items() if item not in by_item)
    elif current is not None and new is not None:
        _copy_columns(current, new)
    else:
        setattr(visit, attribute, new)


def load_sections(visit: Visit) -> ServicesInput:
    """The visit's recorded sections as inputs, to fill the correction form."""
    return ServicesInput(**{section.name: section.load(visit) for section in SECTIONS})
