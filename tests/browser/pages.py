"""Every page of the app, as each role may open it, with real records of the seeded database.

The pages come from the app's own URL map, so a new feature's pages are visited without touching
this file: an ``<x_id>`` part takes a record of the table named like it (``case_id`` -> ``cases``),
at the user's clinic and, for a peer educator, her own. A URL part of another kind needs its values
in ARGUMENT_VALUES (the suite says so when one is missing).
"""

from dataclasses import dataclass
from datetime import date
from itertools import product

from sqlalchemy import func, select

from clinic_app.core.permissions import PUBLIC, Role, required_action, role_can
from clinic_app.extensions import db


@dataclass(frozen=True)
class Page:
    endpoint: str
    path: str
    variant: str = ""  # what tells two pages of one endpoint apart (a due list's name, a report format)

    @property
    def name(self) -> str:
        """A name that stays the same from run to run (record ids change with every seeded database)."""
        return self.endpoint + (f"-{self.variant}" if self.variant else "")


def _argument_values(today: date) -> dict[tuple[str, str], list[str]]:
    from clinic_app.duelists.services import DUE_LISTS
    from clinic_app.reports.quality import CHECKS

    return {
        ("duelists.show", "name"): list(DUE_LISTS),
        ("reports.quality_list", "code"): [check.code for check in CHECKS],
    }


def _queries(endpoint: str, today: date) -> list[str]:
    """Query strings a page needs (report choices only, never client data)."""
    from clinic_app.reports.formats import all_formats
    from clinic_app.reports.services import period_choices

    if endpoint == "reports.preview":
        return [f"?format_code={code}&period_code={period_choices(code, today)[1]}" for code in all_formats()]
    if endpoint == "reports.quality_list":
        return [f"?period_code={period_choices('clinic_monthly', today)[1]}"]
    if endpoint == "reports.download":
        return ["?format_code=clinic_monthly&period_code=" + period_choices("clinic_monthly", today)[1] + "&as=json"]
    return [""]


def _table_for(argument: str):
    stem = argument.removesuffix("_id")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for name in (f"{stem}s", f"{stem}es"):
        if name in tables:
            return tables[name]
    matches = [t for n, t in tables.items() if n.endswith(f"_{stem}s")]
    return matches[0] if len(matches) == 1 else None


def _record_id(argument: str, user):
    """A record for ``<argument>`` that this user may open: at her clinic, her own for a peer educator."""
    table = _table_for(argument)
    if table is None:
        raise LookupError(f"no table for URL part <{argument}>: add its values to ARGUMENT_VALUES")
    query = select(table.c.id)
    if "clinic_id" in table.c and table.name != "clinics":
        query = query.where(table.c.clinic_id == user.clinic_id)
    if table.name == "clinics":
        query = query.where(table.c.id == user.clinic_id)
    if "peer_educator_id" in table.c and user.role == Role.PEER_EDUCATOR:
        query = query.where(table.c.peer_educator_id == user.id)
    if table.name == "users":
        query = query.where(table.c.id != user.id)
    if table.name == "fund_applications" and not role_can(user.role, "crisis.fund_decide"):
        query = query.where(table.c.requested_by_id == user.id)  # she opens her own applications
    if table.name == "crisis_cases":  # a case she may open (the restricted ones ask for a reason first)
        from clinic_app.core.actor import Actor
        from clinic_app.crisis.access import visible_filter

        query = query.where(visible_filter(Actor(user))).order_by(table.c.restricted, table.c.reported_at.desc())
    if table.name == "clients":  # the client with the longest history shows the most
        from clinic_app.visits.models import Visit

        query = query.outerjoin(Visit, Visit.client_id == table.c.id).group_by(table.c.id)
        query = query.order_by(func.count(Visit.id).desc())
    if table.name == "visits":
        from clinic_app.visits.models import PrepEvent

        query = query.join(PrepEvent, PrepEvent.visit_id == table.c.id).order_by(table.c.service_date.desc())
    found = db.session.scalar(query.limit(1))
    if found is None:
        raise LookupError(f"the seeded database has no {table.name} row that {user.username} may open")
    return found


def pages_for(app, user, today: date) -> list[Page]:
    """Every GET page the user's role may open (or, with user None, the public ones)."""
    values = _argument_values(today)
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        action = required_action(app.view_functions[rule.endpoint])
        if user is None and action != PUBLIC or user is not None and not role_can(user.role, action):
            continue
        arguments = sorted(set(rule.arguments) - set(rule.defaults or {}))
        choices = []
        for argument in arguments:
            if (rule.endpoint, argument) in values:
                choices.append(values[rule.endpoint, argument])
            else:
                choices.append([_record_id(argument, user)])
        named = [(rule.endpoint, a) in values for a in arguments]
        shape = rule.rule.rstrip("/").rsplit("/", 1)[-1].strip("<>").rpartition(":")[2]  # "new", "hotspot_id"
        twins = sum(
            1 for other in app.url_map.iter_rules() if other.endpoint == rule.endpoint and "GET" in other.methods
        )
        for combination in product(*choices):
            path = rule.build(dict(zip(arguments, combination, strict=True)), append_unknown=False)[1]
            variant = "-".join(str(v) for v, shown in zip(combination, named, strict=True) if shown)
            for query in _queries(rule.endpoint, today):
                report = query.partition("format_code=")[2].partition("&")[0]
                label = "-".join(p for p in (shape if twins > 1 else "", variant, report) if p)
                pages.append(Page(rule.endpoint, path + query, label))
    return pages
