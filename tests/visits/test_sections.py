"""A section registered in visits.sections is all the visit form, the services, the history and the loader need.

Every registered section is recorded, read back and saved again unchanged (through the service and
through the correction form), then removed, which leaves one history row the visit page shows by name.
A new section needs only an example here.
"""

from dataclasses import fields
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from wtforms import FormField

from clinic_app.core.coded import CodedEnum
from clinic_app.core.forms import section_data, section_input
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.screening.models import (
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    PreviousHivStatus,
    StiSyndrome,
    StiTreatment,
    SyphilisResult,
)
from clinic_app.screening.models import TestingModality as Modality
from clinic_app.visits import history
from clinic_app.visits.forms import VisitForm
from clinic_app.visits.models import (
    PepExposure,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    SelfTestDistribution,
    ViolenceType,
    Visit,
    VisitRevision,
)
from clinic_app.visits.recording import load_sections
from clinic_app.visits.sections import (
    BY_NAME,
    SECTIONS,
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    SelfTestInput,
    ServicesInput,
    StiInput,
    ViolenceInput,
)
from clinic_app.visits.services import WITH_SECTIONS, VisitInput, record_visit, update_visit
from tests.helpers import audit_events, form_state, text

NEGATIVE_TEST = HivTestInput(
    previous_status=PreviousHivStatus.NEGATIVE,
    modality=Modality.FACILITY_KP,
    screening_result=AssayResult.NON_REACTIVE,
    result_received=True,
)


def _untreated_positive_screen(actor, person, today) -> str:
    screen = CervicalInput(CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.POSITIVE)
    data = VisitInput(service_date=today - timedelta(days=30), visit_type="new", reasons=["cervical"])
    visit = record_visit(actor=actor, client=person, data=data, services=ServicesInput(cervical=screen))
    return str(visit.cervical_screening.id)


# Each section as recorded at one visit (with what it needs beside it), as its loader reads it back.
EXAMPLES = {
    "hiv": lambda history: {"hiv": NEGATIVE_TEST},
    "sti": lambda history: {
        "sti": StiInput(
            syndromes=[StiSyndrome.DISCHARGE],
            syphilis_result=SyphilisResult.NON_REACTIVE,
            treatments=[StiTreatment.SYNDROMIC],
        )
    },
    "prep": lambda history: {
        "hiv": NEGATIVE_TEST,  # PrEP starts after a negative test
        "prep": PrepInput(
            event=PrepEventType.INITIATION,
            regimen=PrepRegimen.TDF_FTC,
            months_dispensed=1,
            distribution=PrepDistribution.FACILITY,
        ),
    },
    "pep": lambda history: {
        "pep": PepInput(exposure=PepExposure.CONDOM_FAILURE, hours_since_exposure=20, regimen=PepRegimen.TDF_3TC_DTG)
    },
    "cervical": lambda history: {
        "cervical": CervicalInput(CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.NEGATIVE)
    },
    "selftest": lambda history: {
        "selftest": SelfTestInput(distribution=SelfTestDistribution.ASSISTED, for_self=1, for_partner=2)
    },
    "violence": lambda history: {"violence": ViolenceInput(types=[ViolenceType.PHYSICAL])},
    "cervical_tx": lambda history: {
        "cervical_tx": CervicalTreatmentInput(
            screen_id=history(_untreated_positive_screen), treatment=CervicalTreatment.CRYOTHERAPY
        )
    },
    "commodities": lambda history: {"commodities": CommoditiesInput(male_condoms=20, lubricant=10)},
}


@pytest.fixture
def today():
    """The clinic's date (Beitbridge), which the pages use for 'today'."""
    return local_today("Africa/Harare")


@pytest.fixture
def person(make, nurse):
    return make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))


@pytest.fixture
def recorded(nurse_actor, person, today):
    """Record a visit with one section's example; returns the visit and the inputs recorded."""

    def record(name):
        sections = EXAMPLES[name](lambda earlier: earlier(nurse_actor, person, today))
        data = VisitInput(service_date=today - timedelta(days=3), visit_type="return", reasons=["general"])
        visit = record_visit(actor=nurse_actor, client=person, data=data, services=ServicesInput(**sections))
        return visit, sections

    return record


def _coded(section_input) -> list[CodedEnum]:
    values = [getattr(section_input, f.name) for f in fields(section_input)]
    return [v for value in values for v in (value if isinstance(value, list) else [value]) if isinstance(v, CodedEnum)]


def _revisions(visit) -> list[VisitRevision]:
    return list(db.session.scalars(select(VisitRevision).where(VisitRevision.visit_id == visit.id)))


def test_every_registered_section_has_an_example():
    assert set(EXAMPLES) == set(BY_NAME), "give each registered section an example in EXAMPLES"


def test_every_registered_section_has_its_sub_form_input_and_eager_load(in_request):
    form = VisitForm()
    assert [f.name for f in fields(ServicesInput)] == [section.name for section in SECTIONS]
    assert len(WITH_SECTIONS) == len(SECTIONS)
    for section in SECTIONS:
        subform = form[section.name]
        assert isinstance(subform, FormField), section.name
        assert {f.name for f in fields(section.input)} <= set(subform.form._fields), section.name
        assert str(section.label)
        assert section.attribute in Visit.__mapper__.relationships, section.name


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_a_section_reads_back_as_recorded_and_an_unchanged_save_keeps_no_history(
    name, recorded, nurse_actor, in_request
):
    visit, sections = recorded(name)
    section = BY_NAME[name]
    assert section.reason in visit.reasons
    loaded = load_sections(visit)
    for given, value in sections.items():
        assert getattr(loaded, given) == value
        # The correction form shows it as recorded, and reads it back the same.
        form = VisitForm(data={given: section_data(value)}, meta={"csrf": False})
        assert section_input(form[given], BY_NAME[given].input) == value
    assert loaded.given() == [s.name for s in SECTIONS if s.name in sections]

    data = VisitInput(service_date=visit.service_date, visit_type="return", reasons=[r.value for r in visit.reasons])
    update_visit(actor=nurse_actor, visit=visit, data=data, services=loaded)
    assert _revisions(visit) == []
    assert audit_events("visit.update")[-1].detail is None
    assert load_sections(db.session.get(Visit, visit.id)) == loaded


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_a_section_saved_back_through_the_correction_form_is_unchanged_and_removed_leaves_its_history(
    name, recorded, app, client, sign_in_as, nurse
):
    visit, sections = recorded(name)
    before = load_sections(visit)
    sign_in_as(nurse)
    state = form_state(client.get(f"/visits/{visit.id}/edit"))
    posted = {**state.values, **state.checked}

    response = client.post(f"/visits/{visit.id}/edit", data=posted)
    assert response.status_code == 302, form_state(response).errors
    assert _revisions(visit) == []
    assert audit_events("visit.update")[-1].detail is None
    db.session.expire_all()
    assert load_sections(db.session.get(Visit, visit.id)) == before

    prefix = f"{name}-"
    without = {key: ("" if key.startswith(prefix) else value) for key, value in posted.items()}
    without = {key: value for key, value in without.items() if not (key in state.checked and key.startswith(prefix))}
    response = client.post(f"/visits/{visit.id}/edit", data=without)
    assert response.status_code == 302, form_state(response).errors
    revisions = _revisions(visit)
    assert [revision.section for revision in revisions] == [name]
    assert revisions[0].after is None
    assert audit_events("visit.update")[-1].detail == f"fields={name}"
    with app.test_request_context():
        assert history.changes(revisions[0], VisitForm(meta={"csrf": False})), name
    page = text(client.get(f"/visits/{visit.id}"))
    shown = page[page.index("History of corrections") :]
    assert str(BY_NAME[name].label) in shown
    # What was removed shows in words: every coded value by its label, never its code.
    for value in _coded(sections[name]):
        assert str(value.label) in shown, value
    assert getattr(load_sections(db.session.get(Visit, visit.id)), name) is None
