"""The visit screen: the common return visit in one submit, and corrections kept in history."""

import html
from datetime import date

from sqlalchemy import func, select

from clinic_app.extensions import db
from clinic_app.screening.models import HivResult, HivTest
from clinic_app.visits.models import Dispensed, PrepEvent, PrepEventType, Visit, VisitReason, VisitRevision
from tests.helpers import text

COMMON_VISIT = {
    "service_date": "2026-11-20",
    "visit_type": "return",
    "hiv-previous_status": "negative",
    "hiv-modality": "facility_kp",
    "hiv-screening_result": "non_reactive",
    "hiv-result_received": "y",
    "prep-event": "follow_up",
    "prep-regimen": "tdf_ftc",
    "prep-months_dispensed": "3",
    "commodities-male_condoms": "30",
    "commodities-lubricant": "10",
}


def _prepared_client(make, nurse):
    client = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 5))
    make.visit(client=client, recorded_by=nurse, service_date=date(2026, 1, 5), visit_type="new")
    first = make.visit(client=client, recorded_by=nurse, service_date=date(2026, 8, 20))
    db.session.add(
        HivTest(
            clinic_id=first.clinic_id,
            visit_id=first.id,
            previous_status="never_tested",
            modality="facility_kp",
            screening_result="non_reactive",
            final_result="negative",
        )
    )
    db.session.add(
        PrepEvent(
            clinic_id=first.clinic_id,
            visit_id=first.id,
            event="initiation",
            regimen="tdf_ftc",
            months_dispensed=3,
            next_appointment_on=date(2026, 11, 20),
        )
    )
    db.session.commit()
    return client


def test_nurse_records_the_common_return_visit_in_one_submit(client, login, nurse, make):
    person = _prepared_client(make, nurse)
    login(nurse)
    response = client.post(f"/visits/for/{person.id}/new", data=COMMON_VISIT)
    assert response.status_code == 302, response.get_data(as_text=True)
    visit = db.session.scalar(
        select(Visit).where(Visit.client_id == person.id, Visit.service_date == date(2026, 11, 20))
    )
    assert visit.hiv_test.final_result == HivResult.NEGATIVE
    assert visit.prep_event.event == PrepEventType.FOLLOW_UP
    assert visit.prep_event.next_appointment_on == date(2027, 2, 20)
    assert {(d.item.value, d.quantity) for d in visit.dispensed} == {("male_condoms", 30), ("lubricant", 10)}
    assert {VisitReason.HIV_TESTING, VisitReason.PREP, VisitReason.CONDOMS} <= set(visit.reasons)
    page = client.get(f"/clients/{person.id}").get_data(as_text=True)
    assert "2026-11-20" in page


def test_a_rule_violation_saves_nothing_and_keeps_the_entries(client, login, nurse, make):
    person = _prepared_client(make, nurse)
    login(nurse)
    data = dict(COMMON_VISIT, **{"hiv-screening_result": "reactive", "hiv-confirmatory_result": "reactive"})
    response = client.post(f"/visits/for/{person.id}/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "latest confirmed HIV result is positive" in html
    assert 'value="30"' in html  # the condoms typed are still there
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.client_id == person.id)) == 2


def test_correcting_a_section_keeps_the_previous_values_in_history(client, login, nurse, make):
    person = _prepared_client(make, nurse)
    login(nurse)
    client.post(f"/visits/for/{person.id}/new", data=COMMON_VISIT)
    visit = db.session.scalar(select(Visit).where(Visit.service_date == date(2026, 11, 20)))
    corrected = dict(COMMON_VISIT, **{"commodities-male_condoms": "50"})
    response = client.post(f"/visits/{visit.id}/edit", data=corrected)
    assert response.status_code == 302
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(Dispensed.quantity).where(Dispensed.visit_id == visit.id, Dispensed.item == "male_condoms")
        )
        == 50
    )
    revision = db.session.scalar(select(VisitRevision).where(VisitRevision.visit_id == visit.id))
    assert revision.section == "commodities"
    assert revision.before == {"male_condoms": 30, "lubricant": 10}
    assert revision.after == {"male_condoms": 50, "lubricant": 10}


def test_pep_after_72_hours_is_refused_beside_the_field_with_every_section_kept(client, login, nurse, make):
    """The form may hand the exposure over as its plain code: the rule must still answer with its message."""
    person = _prepared_client(make, nurse)
    login(nurse)
    for exposure, violence in (("sexual_violence", True), ("condom_failure", False)):
        data = {
            **COMMON_VISIT,
            "pep-exposure": exposure,
            "pep-hours_since_exposure": "80",
            "pep-regimen": "tdf_3tc_dtg",
        }
        response = client.post(f"/visits/for/{person.id}/new", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "PEP is not given more than 72 hours after exposure" in page
        assert ("and violence support" in page) is violence
        assert 'value="80"' in page and 'value="30"' in page  # the PEP hours and the condoms typed stay
    same_day = select(func.count()).select_from(Visit).where(Visit.service_date == date(2026, 11, 20))
    assert db.session.scalar(same_day) == 0


def test_format_errors_and_rule_errors_come_in_one_round(client, login, nurse, make):
    """A date that does not parse and a PEP past 72 hours: both messages at once, nothing saved."""
    person = _prepared_client(make, nurse)
    login(nurse)
    data = {
        **COMMON_VISIT,
        "next_appointment_on": "31/31/2026",
        "pep-exposure": "condom_failure",
        "pep-hours_since_exposure": "100",
        "pep-regimen": "tdf_3tc_dtg",
    }
    response = client.post(f"/visits/for/{person.id}/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="next_appointment_on-err"' in page
    assert "PEP is not given more than 72 hours after exposure" in page
    assert (
        db.session.scalar(select(func.count()).select_from(Visit).where(Visit.service_date == date(2026, 11, 20))) == 0
    )


def test_entry_errors_and_rule_errors_of_the_service_come_together(client, login, nurse, make):
    """No reason and a confirmatory test without a reactive screen: the service names both."""
    person = _prepared_client(make, nurse)
    login(nurse)
    data = {
        "service_date": "2026-11-20",
        "visit_type": "new",  # the client has earlier visits: a return visit
        "hiv-previous_status": "negative",
        "hiv-modality": "facility_kp",
        "hiv-screening_result": "non_reactive",
        "hiv-confirmatory_result": "reactive",
    }
    page = client.post(f"/visits/for/{person.id}/new", data=data).get_data(as_text=True)
    assert "This client has an earlier visit, so this is a return visit." in page
    assert "A confirmatory test is done only after a reactive screening test" in page


def test_the_visit_form_shows_the_clients_status_and_offers_last_times_prep(client, login, nurse, make):
    person = _prepared_client(make, nurse)
    login(nurse)
    page = client.get(f"/visits/for/{person.id}/new").get_data(as_text=True)
    status = page[page.index("Status before this visit") : page.index("</section>")]
    assert "Negative" in status and "2026-08-20" in status  # the last HIV test
    assert "Oral TDF/FTC" in status and "3 months supplied" in status and "next 2026-11-20" in status
    attribute = page[page.index('id="visit-suggestions" data-suggestions="') :].split('"', 3)[3]
    suggestions = html.unescape(attribute.split('"', 1)[0])
    assert '"prep-regimen": "tdf_ftc"' in suggestions and '"prep-event": "follow_up"' in suggestions
    assert '"prep-months_dispensed": "3"' in suggestions


def test_correction_history_shows_only_what_changed_in_words_notes_included(client, login, nurse, make):
    person = _prepared_client(make, nurse)
    login(nurse)
    client.post(f"/visits/for/{person.id}/new", data=dict(COMMON_VISIT, notes="First note"))
    visit = db.session.scalar(select(Visit).where(Visit.service_date == date(2026, 11, 20)))
    corrected = dict(COMMON_VISIT, notes="Second note", **{"prep-regimen": "tdf_3tc", "commodities-male_condoms": "50"})
    assert client.post(f"/visits/{visit.id}/edit", data=corrected).status_code == 302
    page = text(client.get(f"/visits/{visit.id}"))
    history = page[page.index("History of corrections") :]
    assert "Notes: First note" in history and "Notes: Second note" in history
    assert "Male condoms: 30" in history and "Male condoms: 50" in history
    assert "Lubricant sachets" not in history  # unchanged
    assert "Regimen: Oral TDF/FTC" in history
    for code in ("tdf_ftc", "male_condoms", "follow_up", "notes:"):
        assert code not in history
