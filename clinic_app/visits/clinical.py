"""Each clinical fact defined once: its Python predicate and its SQL expression side by side.

The clinical rules and the visit summary ask the Python side about records in hand; the
status rows, due lists, data-quality checks and indicators ask the SQL side over the tables.
tests/visits/test_clinical_facts.py records the same histories through the visit service and
checks that the two sides agree on every one of them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import aliased

from clinic_app.screening.algorithms import cervical_outcome
from clinic_app.screening.models import (
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    CervicalTreatment,
    HivResult,
    HivTest,
    PreviousHivStatus,
)
from clinic_app.visits.models import (
    PepCourse,
    PepExposure,
    PrepEvent,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    ViolenceCare,
    ViolenceType,
    Visit,
    VisitReason,
    VisitReasonRow,
)


@dataclass(frozen=True)
class HivRecord:
    """One HIV section of a client's history, as the Python predicates read it."""

    service_date: date
    final_result: HivResult | None
    previous_status: PreviousHivStatus | None
    art_started_on: date | None = None


# --- "shows HIV positive": one HIV record -------------------------------------------------------------------


def shows_positive(final_result: HivResult | None, previous_status: PreviousHivStatus | None) -> bool:
    """The record shows the client living with HIV: a confirmed positive result (national algorithm),
    or the client's own statement that they are known positive."""
    return final_result == HivResult.POSITIVE or previous_status == PreviousHivStatus.KNOWN_POSITIVE


def shows_positive_sql(test=HivTest):
    return or_(test.final_result == HivResult.POSITIVE, test.previous_status == PreviousHivStatus.KNOWN_POSITIVE)


# --- "known HIV positive on a date" ------------------------------------------------------------------------


def known_positive_on(records: Iterable[HivRecord], on: date, *, known_before: bool = False) -> bool:
    """Living with HIV on ``on``: a record showing positive on that day or earlier.

    With ``known_before``, a result found on ``on`` itself does not count (the person was newly
    diagnosed that day, not already known positive); their own statement that day still does.
    """
    for record in records:
        if record.previous_status == PreviousHivStatus.KNOWN_POSITIVE and record.service_date <= on:
            return True
        if record.final_result == HivResult.POSITIVE and (
            record.service_date < on if known_before else record.service_date <= on
        ):
            return True
    return False


def known_positive_sql(client_id, on, *, known_before: bool = False):
    tested = aliased(Visit)  # the outer query's visit stays the one ``on`` belongs to
    result_date = tested.service_date < on if known_before else tested.service_date <= on
    return exists(
        select(HivTest.id)
        .join(tested, tested.id == HivTest.visit_id)
        .where(
            tested.client_id == client_id,
            or_(
                and_(HivTest.previous_status == PreviousHivStatus.KNOWN_POSITIVE, tested.service_date <= on),
                and_(HivTest.final_result == HivResult.POSITIVE, result_date),
            ),
        )
    )


def positive_since(records: Iterable[HivRecord]) -> date | None:
    """The first date a record shows the client positive (None: never)."""
    days = [r.service_date for r in records if shows_positive(r.final_result, r.previous_status)]
    return min(days) if days else None


# --- "on ART on a date" ---------------------------------------------------------------------------------------


def on_art_on(records: Iterable[HivRecord], on: date) -> bool:
    """An ART start on or before ``on`` is recorded at any visit (wherever ART was started)."""
    return any(r.art_started_on is not None and r.art_started_on <= on for r in records)


def on_art_sql(client_id, on):
    linked = aliased(Visit)
    return exists(
        select(HivTest.id)
        .join(linked, linked.id == HivTest.visit_id)
        .where(linked.client_id == client_id, HivTest.art_started_on.is_not(None), HivTest.art_started_on <= on)
    )


def linkage_recorded_sql(test=HivTest):
    """A test that records the client's linkage to care: an ART start date or the ART site referred to."""
    return or_(test.art_started_on.is_not(None), test.art_referred_to.is_not(None))


def living_with_hiv_on_art(records: Iterable[HivRecord], on: date) -> bool:
    records = list(records)
    return known_positive_on(records, on) and on_art_on(records, on)


def living_with_hiv_on_art_sql(client_id, on):
    return and_(known_positive_sql(client_id, on), on_art_sql(client_id, on))


# --- "HIV test with a result given" (HTS_TST) -----------------------------------------------------------------


def test_result_given(
    final_result: HivResult | None, result_received: bool, previous_status: PreviousHivStatus | None
) -> bool:
    """A new test whose final result (negative or positive) the client received; a client already
    known positive is not newly tested, an inconclusive result is not a result."""
    return (
        final_result in (HivResult.NEGATIVE, HivResult.POSITIVE)
        and bool(result_received)
        and previous_status != PreviousHivStatus.KNOWN_POSITIVE
    )


def test_result_given_sql(test=HivTest):
    return and_(
        test.final_result.in_((HivResult.NEGATIVE, HivResult.POSITIVE)),
        test.result_received.is_(True),
        test.previous_status != PreviousHivStatus.KNOWN_POSITIVE,
    )


# --- "complete cervical screen" and its outcome ---------------------------------------------------------------


def cervical_outcome_sql(cx=CervicalScreening):
    hpv_positive = and_(cx.method == CervicalMethod.HPV, cx.result == CervicalResult.POSITIVE)
    return case((hpv_positive, cx.triage_result), else_=cx.result)


def cervical_complete(method, result, triage) -> bool:
    """A screen is complete with a result, and for an HPV-positive screen, its triage result."""
    return cervical_outcome(method, result, triage) is not None


def cervical_complete_sql(cx=CervicalScreening):
    return cervical_outcome_sql(cx).is_not(None)


SCREEN_POSITIVE = (CervicalResult.POSITIVE, CervicalResult.SUSPECTED_CANCER)


def screen_positive(method, result, triage) -> bool:
    """A complete screen whose outcome is positive or suspected cancer (needs treatment or referral)."""
    return cervical_outcome(method, result, triage) in SCREEN_POSITIVE


def screen_positive_sql(cx=CervicalScreening):
    return cervical_outcome_sql(cx).in_(SCREEN_POSITIVE)


def precancer_treated(treatment: CervicalTreatment | None) -> bool:
    """Cryotherapy, thermal ablation or LEEP was given (the treatments CXCA_TX counts)."""
    return treatment not in (None, CervicalTreatment.NONE)


def precancer_treated_sql(cx=CervicalScreening):
    return and_(cx.treatment.is_not(None), cx.treatment != CervicalTreatment.NONE)


# --- PrEP -------------------------------------------------------------------------------------------------------

PREP_DISPENSED = (PrepEventType.INITIATION, PrepEventType.FOLLOW_UP, PrepEventType.RESTART)


def prep_dispensed(event: PrepEventType | None) -> bool:
    """PrEP was given at the visit (initiation, refill or restart); a stop gives nothing."""
    return event in PREP_DISPENSED


def prep_dispensed_sql(prep=PrepEvent):
    return prep.event.in_(PREP_DISPENSED)


def seroconversion_stop(event: PrepEventType | None, stop_reason: PrepStopReason | None) -> bool:
    """PrEP stopped because the client tested HIV positive (a PrEP follow-up with a positive result)."""
    return event == PrepEventType.STOP and stop_reason == PrepStopReason.HIV_POSITIVE


def seroconversion_stop_sql(prep=PrepEvent):
    return and_(prep.event == PrepEventType.STOP, prep.stop_reason == PrepStopReason.HIV_POSITIVE)


def regimen_given_before_sql(visit=Visit):
    """The PrEP regimen last given to the visit's client before its date (a stop gives none), as a scalar
    subquery: a stop's PrEP type is the regimen the client was on. When two earlier visits share a date,
    the one recorded last counts, so the report facts and the reference over the records pick the same."""
    earlier_visit, earlier = aliased(Visit), aliased(PrepEvent)
    return (
        select(earlier.regimen)
        .join(earlier_visit, earlier_visit.id == earlier.visit_id)
        .where(
            earlier_visit.client_id == visit.client_id,
            earlier_visit.service_date < visit.service_date,
            earlier.regimen.is_not(None),
        )
        .order_by(earlier_visit.service_date.desc(), earlier_visit.created_at.desc(), earlier_visit.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# MER 2.7 PrEP type from the regimen.
PREP_TYPE = {
    PrepRegimen.TDF_FTC: "oral",
    PrepRegimen.TDF_3TC: "oral",
    PrepRegimen.CAB_LA: "injectable",
    PrepRegimen.RING: "other",
}


def prep_type(regimen: PrepRegimen | None) -> str | None:
    return PREP_TYPE.get(regimen) if regimen is not None else None


def prep_type_sql(regimen_column):
    return case(*[(regimen_column == regimen, kind) for regimen, kind in PREP_TYPE.items()], else_=None)


# --- the PEP window after an exposure (sexual violence) ----------------------------------------------------

# PEP works only when started within 72 hours of the exposure.
PEP_WINDOW_HOURS = 72


class PepWindow(StrEnum):
    OPEN = "open"
    # The incident's time is unknown: counted from the start of its day the window has closed, from its end not yet.
    MAYBE_CLOSED = "maybe_closed"
    CLOSED = "closed"


@dataclass(frozen=True)
class PepClock:
    """Hours since an incident and hours left of the PEP window, at one instant.

    An unknown time of day counts from the start of the incident's day (the most hours it can be,
    so the least time left): the clock never promises time the survivor may not have.
    """

    time_known: bool
    starts_at: datetime  # the incident, or the start of its day (UTC)
    latest_start: datetime  # the incident, or the end of its day (UTC)
    now: datetime

    @property
    def hours_since(self) -> int:
        return max(0, int((self.now - self.starts_at) // timedelta(hours=1)))

    @property
    def hours_left(self) -> int:
        left = self.starts_at + timedelta(hours=PEP_WINDOW_HOURS) - max(self.now, self.starts_at)
        return max(0, int(left // timedelta(hours=1)))

    @property
    def window(self) -> PepWindow:
        if self.now < self.starts_at + timedelta(hours=PEP_WINDOW_HOURS):
            return PepWindow.OPEN
        if self.now < self.latest_start + timedelta(hours=PEP_WINDOW_HOURS):
            return PepWindow.MAYBE_CLOSED
        return PepWindow.CLOSED

    @property
    def inside(self) -> bool:
        """PEP may still work (with an unknown time, as long as it might)."""
        return self.window != PepWindow.CLOSED


def incident_instants(incident_on: date, incident_time: time | None, tz_name: str) -> tuple[datetime, datetime]:
    """The earliest and latest UTC instant of an incident given in the clinic's local date and time."""
    zone = ZoneInfo(tz_name)
    if incident_time is not None:
        at = datetime.combine(incident_on, incident_time, tzinfo=zone).astimezone(UTC)
        return at, at
    start = datetime.combine(incident_on, time(0, 0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(incident_on + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)
    return start, end


def pep_clock(incident_on: date, incident_time: time | None, tz_name: str, now: datetime) -> PepClock:
    """The PEP clock of an incident at ``now`` (an aware instant)."""
    start, latest = incident_instants(incident_on, incident_time, tz_name)
    return PepClock(incident_time is not None, start, latest, now)


def pep_given_in_window(incident_on: date, incident_time: time | None, tz_name: str, given_at: datetime) -> bool:
    """PEP given within 72 hours of the incident. With the time unknown, given before the window could have
    closed counts (the nurse checks the hours with the survivor at the visit)."""
    _start, latest = incident_instants(incident_on, incident_time, tz_name)
    return given_at <= latest + timedelta(hours=PEP_WINDOW_HOURS)


# --- post-violence clinical care and its violence type (GEND_GBV) -------------------------------------------
# A visit is post-violence care when the violence types are recorded at it, when PEP is given after sexual
# violence, or when violence support is a reason for it. Crisis cases are a second source of the same fact
# (reports.indicators.violence.GBV_SOURCES).


def post_violence_care(
    types: Iterable[ViolenceType], pep_exposure: PepExposure | None, reasons: Iterable[VisitReason]
) -> bool:
    return bool(list(types)) or pep_exposure == PepExposure.SEXUAL_VIOLENCE or VisitReason.VIOLENCE in reasons


def post_violence_care_sql(visit=Visit, care=ViolenceCare, pep=PepCourse):
    return or_(
        care.id.is_not(None),
        pep.exposure == PepExposure.SEXUAL_VIOLENCE,
        visit.reason_rows.any(VisitReasonRow.reason == VisitReason.VIOLENCE),
    )


def sexual_violence(types: Iterable[ViolenceType], pep_exposure: PepExposure | None) -> bool:
    """Care for sexual violence: recorded as such, or PEP given after sexual violence (a PEP course without a
    recorded type still says so); any other post-violence care is for physical or emotional violence."""
    return ViolenceType.SEXUAL in types or pep_exposure == PepExposure.SEXUAL_VIOLENCE


def sexual_violence_sql(care=ViolenceCare, pep=PepCourse):
    return or_(care.sexual.is_(True), pep.exposure == PepExposure.SEXUAL_VIOLENCE)
