"""What usually repeats at a return visit, offered when the nurse opens a section (never saved unasked)."""

from clinic_app.screening.models import HivResult, PreviousHivStatus
from clinic_app.visits.models import PrepEventType
from clinic_app.visits.services import ClinicalSummary


def return_visit_suggestions(summary: ClinicalSummary, latest_visit=None) -> dict[str, str]:
    """Form field -> value, from the client's last services: the PrEP regimen and supply continued,
    the HIV status known before today, the commodities given last time.

    The visit form fills a section with these only when the nurse opens it and it is still empty,
    so a section not given today stays empty and records nothing.
    """
    values: dict[str, str] = {}
    if summary.positive_since:
        values["hiv-previous_status"] = PreviousHivStatus.KNOWN_POSITIVE.value
    elif summary.latest_hiv and summary.latest_hiv.hiv_test.final_result == HivResult.NEGATIVE:
        values["hiv-previous_status"] = PreviousHivStatus.NEGATIVE.value
        if summary.latest_hiv.hiv_test.modality:
            values["hiv-modality"] = summary.latest_hiv.hiv_test.modality.value
    prep = summary.latest_prep.prep_event if summary.latest_prep else None
    if prep is not None and prep.event != PrepEventType.STOP and not summary.positive_since:
        values["prep-event"] = PrepEventType.FOLLOW_UP.value
        if prep.regimen:
            values["prep-regimen"] = prep.regimen.value
        if prep.months_dispensed:
            values["prep-months_dispensed"] = str(prep.months_dispensed)
    for item in latest_visit.dispensed if latest_visit is not None else []:
        values[f"commodities-{item.item.value}"] = str(item.quantity)
    return values
