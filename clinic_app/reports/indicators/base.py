"""What an indicator is, and the SQL pieces the indicator modules share.

Every indicator is one SELECT of "fact rows" (see reports.facts): one row per counted unit with
its weight, the person's sex, birth date and key population, the date their age is taken on, and
the indicator's own disaggregation columns.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select

from clinic_app.clients.models import Client, KeyPopulation
from clinic_app.outreach.models import OutreachContact
from clinic_app.reports import upkeep
from clinic_app.reports.facts import Window, person_columns
from clinic_app.visits.models import Visit

SEX_WORKERS = (KeyPopulation.FSW, KeyPopulation.MSW, KeyPopulation.TGSW)


# How every age disaggregation is taken; appended to the definition of each indicator with an age band.
AGE_RULE = _l(
    "Age: completed years on the date stated above (29 February birthdays count on 1 March). A client "
    "registered with an estimated age is counted by it (the registration day, that many years earlier, "
    "marked estimated); a client whose date of birth is unknown, with no estimate, is counted under age "
    "'Unknown'."
)


@dataclass(frozen=True)
class Indicator:
    code: str
    title: object
    definition: object  # exactly what is counted, once per what, and on which date
    unit: str  # people, events, kits, pieces
    dimensions: tuple[str, ...]
    facts: Callable[[Window], object]
    fiscal_year_at_q4: bool = False  # MER: unique people over the fiscal year when the period closes it
    # The trend in one pass: fact rows of several windows at once, each with the ``period`` (index of
    # its window) it counts in. None: the trend computes each period on its own.
    trend_facts: Callable[[tuple[Window, ...]], object] | None = None

    def full_definition(self) -> str:
        """The definition text, with the age rule when the indicator is disaggregated by age."""
        text = str(self.definition)
        return f"{text} {AGE_RULE}" if "age_band" in self.dimensions else text


def visit_facts(*extra, window: Window):
    """Fact rows of the visits in the window, with the client's columns and the visit's date."""
    return (
        select(*person_columns(), Visit.service_date.label("on_date"), *extra)
        .join(Client, Client.id == Visit.client_id)
        .where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id))
    )


def latest_per_person(query, order_by):
    """Keep one fact row per person: the first by ``order_by``."""
    ranked = query.add_columns(
        func.row_number().over(partition_by=Client.id, order_by=order_by).label("rank")
    ).subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1)


def nobody():
    """The person columns of a fact row that belongs to no known person (a head count, a group)."""
    return (literal(None).label("sex"), literal(None).label("dob"), literal(None).label("kp"))


def contacts_in(window: Window):
    return (window.dates(OutreachContact.contact_date), window.clinics(OutreachContact.clinic_id))


def client_by_uic():
    """The registered client an outreach contact's UIC names, if any (so a person counts once): the
    earliest registered when several share it, as the report facts resolve it (reports.upkeep)."""
    return upkeep.client_by_uic()


def span(windows) -> Window:
    """One window over several (a trend's periods, all of the same clinics)."""
    return Window(min(w.start for w in windows), max(w.end for w in windows), windows[0].clinic_ids)


def period_of(windows, column):
    """The index of the window a fact's date falls in (None: in none of them), for a trend in one pass."""
    return case(*[(column.between(w.start, w.end), i) for i, w in enumerate(windows)], else_=None)
