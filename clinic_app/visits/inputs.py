"""Each clinical section's entries as a plain typed input (visits.sections registers them)."""

from dataclasses import dataclass, field
from datetime import date

from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    PreviousHivStatus,
    StiSyndrome,
    StiTreatment,
    SyphilisResult,
    TestingModality,
    TreatmentTiming,
)
from clinic_app.visits.models import (
    PepExposure,
    PepOutcome,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    SelfTestDistribution,
    ViolenceType,
)


@dataclass
class HivTestInput:
    previous_status: PreviousHivStatus | None
    modality: TestingModality | None = None
    screening_result: AssayResult | None = None
    confirmatory_result: AssayResult | None = None
    tiebreaker_result: AssayResult | None = None  # only where the national algorithm has a third assay
    result_received: bool = False
    declined: bool = False  # offered a test, declined: no assay
    art_referred_to: str | None = None
    art_started_on: date | None = None
    art_site: ArtSite | None = None


@dataclass
class StiInput:
    syndromes: list[StiSyndrome] = field(default_factory=list)
    syphilis_result: SyphilisResult = SyphilisResult.NOT_DONE
    treatments: list[StiTreatment] = field(default_factory=list)


@dataclass
class PrepInput:
    event: PrepEventType | None
    regimen: PrepRegimen | None = None
    months_dispensed: int | None = None
    next_appointment_on: date | None = None
    stop_reason: PrepStopReason | None = None
    distribution: PrepDistribution | None = None  # None: at the clinic
    no_test_reason: str | None = None  # a refill without an HIV test in the retest interval, and why


@dataclass
class PepInput:
    exposure: PepExposure | None
    hours_since_exposure: int | None = None
    regimen: PepRegimen | None = None
    outcome: PepOutcome | None = None
    outcome_on: date | None = None


@dataclass
class CervicalInput:
    screening_type: CervicalVisitType | None
    method: CervicalMethod | None = None
    result: CervicalResult | None = None
    result_on: date | None = None
    triage_result: CervicalResult | None = None
    treatment: CervicalTreatment | None = None
    treatment_timing: TreatmentTiming | None = None
    treated_on: date | None = None
    outside_age_reason: str | None = None  # screened outside the screening ages on purpose


@dataclass
class CommoditiesInput:
    male_condoms: int = 0
    female_condoms: int = 0
    lubricant: int = 0


@dataclass
class SelfTestInput:
    distribution: SelfTestDistribution | None
    for_self: int = 0
    for_partner: int = 0
    for_other: int = 0


@dataclass
class CervicalTreatmentInput:
    """Treatment, at this visit, of a positive screen recorded at an earlier visit."""

    screen_id: str | None
    treatment: CervicalTreatment | None = None


@dataclass
class ViolenceInput:
    """Post-violence care at the visit: the kinds of violence the client reports (several may apply)."""

    types: list[ViolenceType] = field(default_factory=list)
