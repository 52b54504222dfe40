"""The clinical sections of a visit, registered once: what each is, how it is stored, read back and checked.

A section is what can be recorded at a visit besides the visit itself (an HIV test, PrEP, condoms...).
``SECTIONS`` is the one registry of them: the visit form, the services (``ServicesInput``, the implied
reasons, writing the rows and their history), the correction form's loader, the timeline's eager loads,
the clinical rules and the history page all iterate it. The visit screen, the command line and tests hand
a ``ServicesInput`` to visits.services; an absent section is None.

To add a section (family planning, TB screening...):

1. its table: a model with a ``visit_id`` (``Visit`` gets the relationship) and an Alembic revision;
2. its typed input in visits.inputs, its ``build_...`` and ``load_...`` in visits.rows, and its rules
   (functions of a ``RuleContext``) in visits.rules; a rule reading several sections' fields goes in
   ``rules.ACROSS_SECTIONS`` instead;
3. one ``Section(...)`` in ``SECTIONS`` below, naming them. The registry's order is the order the
   sections are written, so the order the audit line and the history name them;
4. its sub-form in visits.forms, a ``FormField`` of ``VisitForm`` named like the section (the form's
   order is the screen's), and its tag in templates/visits/_services.html (the client's timeline).

Nothing else lists the sections: ServicesInput, the implied reasons, writing, history, the loader, the
timeline's eager loads and the visit screen follow the registry. A few places single out one section for
what only it does (a known positive's HIV section implies ART, not testing: recording.implied_reasons;
the later treatment is offered only with a screen to treat: views; condoms' and violence's history
labels: history). A section a report counts or a status row reads is named there too (reports.upkeep,
visits.status). tests/visits/test_sections.py records, reloads, saves back unchanged and removes every
registered section: give it an example.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from clinic_app.screening.models import StiSyndrome, StiTreatment
from clinic_app.visits import rows, rules
from clinic_app.visits.inputs import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    SelfTestInput,
    StiInput,
    ViolenceInput,
)
from clinic_app.visits.models import VisitReason

__all__ = [
    "BY_NAME",
    "RULES",
    "SECTIONS",
    "CervicalInput",
    "CervicalTreatmentInput",
    "CommoditiesInput",
    "HivTestInput",
    "PepInput",
    "PrepInput",
    "Section",
    "SelfTestInput",
    "ServicesInput",
    "StiInput",
    "ViolenceInput",
    "check",
]


@dataclass(frozen=True)
class Section:
    name: str  # the ServicesInput attribute, the sub-form's prefix ("hiv-modality"), its name in history and audit
    label: Any  # its title on the visit screen and in the visit's history (a lazy translation)
    input: type  # its typed input (visits.inputs)
    reason: VisitReason  # the reason for the visit that recording it implies
    attribute: str  # the Visit relationship holding its row (or rows)
    build: Callable[..., Any]  # input -> the row(s) to store (keywords: service_date, hiv_positive, algorithm)
    load: Callable[..., Any]  # visit -> its input as recorded, or None (fills the correction form)
    rules: tuple[Callable[..., dict], ...] = ()  # visits.rules checks of its fields, in the order they run
    # What else a change of it changes, after its row is written: (visit, before, new row, actor=, hiv_positive=).
    on_change: Callable[..., None] | None = None
    # Columns holding a JSON list of codes, with their enum (for the history's labels).
    list_codes: dict[str, type] = field(default_factory=dict)


SECTIONS = (
    Section(
        name="hiv",
        label=_l("HIV test"),
        input=HivTestInput,
        reason=VisitReason.HIV_TESTING,
        attribute="hiv_test",
        build=rows.build_hiv,
        load=rows.load_hiv,
        rules=(
            rules.hiv_test_is_complete,
            rules.known_positive_not_retested,
            rules.index_testing_halted_for_key_populations,
            rules.confirmatory_only_after_reactive,
            rules.tiebreaker_follows_the_national_algorithm,
            rules.art_linkage_only_for_positives,
        ),
    ),
    Section(
        name="sti",
        label=_l("STI screening"),
        input=StiInput,
        reason=VisitReason.STI,
        attribute="sti_screening",
        build=rows.build_sti,
        load=rows.load_sti,
        rules=(rules.sti_findings_are_consistent,),
        list_codes={"syndromes": StiSyndrome, "treatments": StiTreatment},
    ),
    Section(
        name="prep",
        label=_l("PrEP"),
        input=PrepInput,
        reason=VisitReason.PREP,
        attribute="prep_event",
        build=rows.build_prep,
        load=rows.load_prep,
        rules=(
            rules.no_prep_for_positive,
            rules.seroconversion_stop_needs_the_positive_result,
            rules.prep_new_means_never_before,
            rules.prep_refill_long_after_the_supply_is_a_restart,
            rules.prep_refill_needs_a_recent_hiv_test,
            rules.prep_start_needs_negative_test,
            rules.prep_dispensing_is_complete,
        ),
    ),
    Section(
        name="pep",
        label=_l("PEP"),
        input=PepInput,
        reason=VisitReason.PEP,
        attribute="pep_course",
        build=rows.build_pep,
        load=rows.load_pep,
        rules=(rules.pep_within_72_hours,),
    ),
    Section(
        name="cervical",
        label=_l("Cervical cancer screening"),
        input=CervicalInput,
        reason=VisitReason.CERVICAL,
        attribute="cervical_screening",
        build=rows.build_cervical,
        load=rows.load_cervical,
        rules=(rules.cervical_screening_applies, rules.cervical_screening_is_consistent),
    ),
    Section(
        name="selftest",
        label=_l("HIV self-test kits"),
        input=SelfTestInput,
        reason=VisitReason.HIV_TESTING,
        attribute="self_test_kit",
        build=rows.build_selftest,
        load=rows.load_selftest,
    ),
    Section(
        name="violence",
        label=_l("Post-violence care"),
        input=ViolenceInput,
        reason=VisitReason.VIOLENCE,
        attribute="violence_care",
        build=rows.build_violence,
        load=rows.load_violence,
        rules=(rules.violence_care_names_the_violence,),
    ),
    Section(
        name="cervical_tx",
        label=_l("Treatment of an earlier positive cervical screen"),
        input=CervicalTreatmentInput,
        reason=VisitReason.CERVICAL,
        attribute="later_treatment",
        build=rows.build_later_treatment,
        load=rows.load_later_treatment,
        rules=(rules.later_treatment_is_for_an_earlier_positive_screen,),
        on_change=rows.treat_earlier_screen,
    ),
    Section(
        name="commodities",
        label=_l("Condoms and lubricant"),
        input=CommoditiesInput,
        reason=VisitReason.CONDOMS,
        attribute="dispensed",
        build=rows.build_dispensed,
        load=rows.load_dispensed,
    ),
)
BY_NAME = {section.name: section for section in SECTIONS}

# Every rule, in the order they run: each section's, then those that read several sections' fields.
RULES = (*(rule for section in SECTIONS for rule in section.rules), *rules.ACROSS_SECTIONS)


def check(ctx: rules.RuleContext) -> dict[str, str]:
    """Every problem found by every rule; the first message per field wins."""
    errors: dict[str, str] = {}
    for rule in RULES:
        for name, message in rule(ctx).items():
            errors.setdefault(name, message)
    return errors


def _given(self) -> list[str]:
    """The names of the sections filled."""
    return [section.name for section in SECTIONS if getattr(self, section.name) is not None]


# Every section of the visit screen, one attribute per registered section; None means the section was not filled.
ServicesInput = make_dataclass(
    "ServicesInput",
    [(section.name, section.input | None, field(default=None)) for section in SECTIONS],
    namespace={"given": _given, "__doc__": "Every section of the visit screen; None means the section was not filled."},
)
ServicesInput.__module__ = __name__
