"""Models for HIV tests, STI screenings and cervical cancer screenings.

Each row belongs to one visit (so to one client, clinic and date of service).
Derived values (an HIV test's final result, a cervical screen's completeness
and next due date) come from screening.algorithms and are stored, so that
reports and due lists count them in SQL.
"""

import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded


class TestingModality(CodedEnum):
    FACILITY_KP = "facility_kp", _l("KP clinic (facility)")
    VCT = "vct", _l("VCT")
    STI_CLINIC = "sti", _l("STI clinic")
    OTHER_PITC = "other_pitc", _l("Other PITC (facility)")
    MOBILE = "mobile", _l("Mobile outreach")
    SNS = "sns", _l("Social network testing (SNS)")
    INDEX = "index", _l("Index testing (not for key populations)")


class PreviousHivStatus(CodedEnum):
    NEVER_TESTED = "never_tested", _l("Never tested")
    NEGATIVE = "negative", _l("Tested negative before")
    KNOWN_POSITIVE = "known_positive", _l("Known HIV positive")
    UNKNOWN = "unknown", _l("Does not know / not stated")


class AssayResult(CodedEnum):
    NON_REACTIVE = "non_reactive", _l("Non-reactive")
    REACTIVE = "reactive", _l("Reactive")
    INVALID = "invalid", _l("Invalid")


class HivResult(CodedEnum):
    NEGATIVE = "negative", _l("Negative")
    POSITIVE = "positive", _l("Positive")
    INCONCLUSIVE = "inconclusive", _l("Inconclusive")


class ArtSite(CodedEnum):
    THIS_CLINIC = "this_clinic", _l("This clinic")
    OTHER_FACILITY = "other_facility", _l("Another facility")


class HivTest(Record, Base):
    """HIV testing at a visit, or the record that the client is already known positive."""

    __tablename__ = "hiv_tests"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    modality: Mapped[TestingModality | None] = mapped_column(coded(TestingModality, 12))
    previous_status: Mapped[PreviousHivStatus] = mapped_column(coded(PreviousHivStatus, 16), index=True)
    screening_result: Mapped[AssayResult | None] = mapped_column(coded(AssayResult, 14))
    confirmatory_result: Mapped[AssayResult | None] = mapped_column(coded(AssayResult, 14))
    # The third assay of a national algorithm that has one, after reactive then non-reactive.
    tiebreaker_result: Mapped[AssayResult | None] = mapped_column(coded(AssayResult, 14))
    final_result: Mapped[HivResult | None] = mapped_column(coded(HivResult, 14), index=True)
    retest_on: Mapped[date | None]  # an inconclusive result is reported with the date to retest
    result_received: Mapped[bool] = mapped_column(default=False)
    # Offered an HIV test, and the client declined it (KP_PREV "declined testing"); no assay then.
    declined: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    art_referred_to: Mapped[str | None] = mapped_column(String(120))
    art_started_on: Mapped[date | None] = mapped_column(index=True)
    art_site: Mapped[ArtSite | None] = mapped_column(coded(ArtSite, 16))

    @property
    def tested(self) -> bool:
        return self.screening_result is not None


class StiSyndrome(CodedEnum):
    NONE = "none", _l("No symptoms")
    DISCHARGE = "discharge", _l("Vaginal or urethral discharge")
    ULCER = "ulcer", _l("Genital ulcer")
    LOWER_ABDOMINAL_PAIN = "lap", _l("Lower abdominal pain")
    ANORECTAL = "anorectal", _l("Anorectal symptoms")
    WARTS = "warts", _l("Genital warts")
    SCROTAL_SWELLING = "scrotal", _l("Scrotal swelling")


class SyphilisResult(CodedEnum):
    NOT_DONE = "not_done", _l("Not done")
    NON_REACTIVE = "non_reactive", _l("Non-reactive")
    REACTIVE = "reactive", _l("Reactive")


class StiTreatment(CodedEnum):
    SYNDROMIC = "syndromic", _l("Syndromic treatment given")
    SYPHILIS = "syphilis", _l("Syphilis treatment (benzathine penicillin)")
    PARTNER_SLIP = "partner_slip", _l("Partner notification slip")
    REFERRED = "referred", _l("Referred")


class StiScreening(Record, Base):
    __tablename__ = "sti_screenings"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    syndromes: Mapped[list] = mapped_column(JSON, default=list)
    syphilis_result: Mapped[SyphilisResult] = mapped_column(coded(SyphilisResult, 14))
    treatments: Mapped[list] = mapped_column(JSON, default=list)


class CervicalVisitType(CodedEnum):
    FIRST = "first", _l("First screening")
    RESCREEN = "rescreen", _l("Rescreen after a negative")
    POST_TREATMENT = "post_treatment", _l("Post-treatment follow-up")


class CervicalMethod(CodedEnum):
    VIA = "via", _l("VIA")
    HPV = "hpv", _l("HPV test")
    PAP = "pap", _l("Pap smear")


class CervicalResult(CodedEnum):
    NEGATIVE = "negative", _l("Negative")
    POSITIVE = "positive", _l("Positive")
    SUSPECTED_CANCER = "suspected_cancer", _l("Suspected cancer")


class CervicalTreatment(CodedEnum):
    NONE = "none", _l("No treatment")
    CRYOTHERAPY = "cryotherapy", _l("Cryotherapy")
    THERMAL_ABLATION = "thermal_ablation", _l("Thermal ablation")
    LEEP = "leep", _l("LEEP")


class TreatmentTiming(CodedEnum):
    SAME_DAY = "same_day", _l("Same day")
    REFERRED = "referred", _l("Referred")


class CervicalScreening(Record, Base):
    __tablename__ = "cervical_screenings"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    screening_type: Mapped[CervicalVisitType] = mapped_column(coded(CervicalVisitType, 16))
    method: Mapped[CervicalMethod] = mapped_column(coded(CervicalMethod, 4))
    result: Mapped[CervicalResult | None] = mapped_column(coded(CervicalResult, 18))
    result_on: Mapped[date | None]
    triage_result: Mapped[CervicalResult | None] = mapped_column(coded(CervicalResult, 18))
    treatment: Mapped[CervicalTreatment | None] = mapped_column(coded(CervicalTreatment, 18))
    treatment_timing: Mapped[TreatmentTiming | None] = mapped_column(coded(TreatmentTiming, 10))
    treated_on: Mapped[date | None]
    complete: Mapped[bool] = mapped_column(default=False)
    # Why a client outside the screening ages was screened: such a screen counts among all
    # clients' screenings, never in CXCA.
    outside_age_reason: Mapped[str | None] = mapped_column(String(200))
    next_due_on: Mapped[date | None]
