"""Report facts: the records flattened into the rows the indicators count, kept beside them on every write.

Three tables, each derived from the records alone (``reports.upkeep`` writes them in the same
transaction as the visit, correction, client edit or merge, outreach contact or referral slip that
changes them; ``flask reports rebuild-facts`` recomputes them whole):

- ``report_people``: one row per client: sex, birth date and key population, and the dates that
  decide the HIV facts on any day (first confirmed positive result, first stated known positive,
  earliest ART start, earliest PrEP initiation, earliest PrEP record of any kind).
- ``report_visits``: one row per visit: the client's columns, the visit's date, clinic and type, and the
  services the indicators read, in columns (the HTS_TST result, the PrEP event and regimen, the cervical
  screen, STI screening, PEP, the commodities handed out).
- ``report_prevention``: one row per contact that can make up a KP_PREV package (a clinic visit, an
  individual outreach contact resolved to a client by number or UIC, an HIV-test referral slip for a
  known client), with its testing part and whether it gave another service.

Indicators select from these through covering indexes, so a quarter's cost follows the quarter's rows.
Derived at each site from the records, so never synced, and never moved by a merge (recomputed).
"""

import uuid
from datetime import date, datetime

from sqlalchemy import Index, SmallInteger, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.core.db import Base, coded
from clinic_app.screening.models import CervicalResult, CervicalTreatment, CervicalVisitType, HivResult, TestingModality
from clinic_app.visits.models import PepExposure, PrepDistribution, PrepEventType, PrepRegimen, VisitType

DERIVED = {"info": {"derived": True}}
# A visit that handed out any commodity (the condition of its partial index; COMMODITIES selects by it).
# The flags of ReportVisit.to_fix: a reactive screening test without its confirmatory test, a final HIV
# result not given to the client, a cervical screen without its result (or an HPV positive without triage),
# a PEP course without an outcome, a positive HIV test (listed when the person row is not ``linked``), a
# client without sex or with an age under 10 or over 100 on the visit's date.
TO_FIX = {"reactive_unconfirmed": 1, "result_not_given": 2, "cervical_incomplete": 4, "pep_without_outcome": 8,
          "positive": 16, "sex_or_age_missing": 32}  # fmt: skip
DISPENSED = "male_condoms IS NOT NULL OR female_condoms IS NOT NULL OR lubricant IS NOT NULL"


class ReportPerson(Base):
    """One client's report facts: who they are for the disaggregations, and when their HIV facts began."""

    __tablename__ = "report_people"
    __table_args__ = (DERIVED,)

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sex: Mapped[Sex] = mapped_column(coded(Sex, 12))
    dob: Mapped[date | None]
    kp: Mapped[KeyPopulation] = mapped_column(coded(KeyPopulation, 10))
    # Living with HIV on a day: a positive result or their own statement on or before it.
    positive_on: Mapped[date | None]  # the first confirmed positive result (date of service)
    stated_positive_on: Mapped[date | None]  # the first visit at which they said they were known positive
    art_started_on: Mapped[date | None]  # the earliest ART start recorded at any visit
    prep_initiated_on: Mapped[date | None]  # the earliest PrEP initiation recorded (any clinic of this node)
    prep_first_on: Mapped[date | None]  # the earliest PrEP record of any kind (PrEP_NEW: never on PrEP before)
    # Whether any of their tests records a linkage outcome (an ART start or referral); None: never tested.
    linked: Mapped[bool | None]


class ReportVisit(Base):
    """One visit's report facts: the client's columns, the visit's date and clinic, its counted services."""

    __tablename__ = "report_visits"
    __table_args__ = (
        Index("ix_report_visits_client_id", "client_id"),
        # Each index holds every column its indicator reads, and only the visits it can count.
        Index(
            "ix_report_visits_hts",
            "service_date",
            "clinic_id",
            "hts_result",
            "hts_modality",
            "sex",
            "dob",
            "kp",
            sqlite_where=text("hts_result IS NOT NULL"),
            postgresql_where=text("hts_result IS NOT NULL"),
        ),
        Index(
            "ix_report_visits_cervical",
            "service_date",
            "clinic_id",
            "cx_result",
            "cx_type",
            "cx_in_cxca",
            "client_id",
            "created_at",
            "sex",
            "dob",
            "kp",
            sqlite_where=text("cx_result IS NOT NULL"),
            postgresql_where=text("cx_result IS NOT NULL"),
        ),
        Index(
            "ix_report_visits_cervical_tx",
            "cx_treated_on",
            "clinic_id",
            sqlite_where=text("cx_treated_on IS NOT NULL"),
            postgresql_where=text("cx_treated_on IS NOT NULL"),
        ),
        Index(
            "ix_report_visits_prep",
            "service_date",
            "clinic_id",
            "prep_event",
            "client_id",
            "prep_seroconverted",
            "hiv_final_result",
            "prep_regimen",
            "prep_distribution",
            "created_at",
            "sex",
            "dob",
            "kp",
            sqlite_where=text("prep_event IS NOT NULL"),
            postgresql_where=text("prep_event IS NOT NULL"),
        ),
        # Every visit (VISITS, SW_VISITS, SW_PEOPLE): by date, with the columns they group by.
        Index("ix_report_visits_period", "service_date", "clinic_id", "kp", "visit_type", "client_id", "sex", "dob"),
        Index(
            "ix_report_visits_sti",
            "service_date",
            "clinic_id",
            "sti_treated",
            sqlite_where=text("sti_treated IS NOT NULL"),
            postgresql_where=text("sti_treated IS NOT NULL"),
        ),
        Index(
            "ix_report_visits_pep",
            "service_date",
            "clinic_id",
            "pep_exposure",
            sqlite_where=text("pep_exposure IS NOT NULL"),
            postgresql_where=text("pep_exposure IS NOT NULL"),
        ),
        Index(
            "ix_report_visits_commodities",
            "service_date",
            "clinic_id",
            "male_condoms",
            "female_condoms",
            "lubricant",
            sqlite_where=text(DISPENSED),
            postgresql_where=text(DISPENSED),
        ),
        Index(
            "ix_report_visits_gbv",
            "service_date",
            "clinic_id",
            "client_id",
            "gbv_sexual",
            "gbv_pep",
            sqlite_where=text("gbv_sexual IS NOT NULL"),
            postgresql_where=text("gbv_sexual IS NOT NULL"),
        ),
        # The data-quality checks: the visits with anything to fix (TO_FIX), by date.
        Index(
            "ix_report_visits_to_fix",
            "service_date",
            "clinic_id",
            "client_id",
            "to_fix",
            sqlite_where=text("to_fix IS NOT NULL"),
            postgresql_where=text("to_fix IS NOT NULL"),
        ),
        DERIVED,
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    service_date: Mapped[date]
    created_at: Mapped[datetime]
    sex: Mapped[Sex] = mapped_column(coded(Sex, 12))
    dob: Mapped[date | None]
    kp: Mapped[KeyPopulation] = mapped_column(coded(KeyPopulation, 10))
    # HTS_TST: the test's modality and final result, set only for a test with a result given.
    hts_modality: Mapped[TestingModality | None] = mapped_column(coded(TestingModality, 12))
    hts_result: Mapped[HivResult | None] = mapped_column(coded(HivResult, 14))
    # The test's final result whether given or not (PrEP_CT's result), set for any visit with a test.
    hiv_final_result: Mapped[HivResult | None] = mapped_column(coded(HivResult, 14))
    # PrEP: the event; the regimen given, or for a visit that gave none the one last given before its date
    # (PrEP type); where it was handed over; whether it was a stop for seroconversion (set with the event).
    prep_event: Mapped[PrepEventType | None] = mapped_column(coded(PrepEventType, 12))
    prep_regimen: Mapped[PrepRegimen | None] = mapped_column(coded(PrepRegimen, 8))
    prep_distribution: Mapped[PrepDistribution | None] = mapped_column(coded(PrepDistribution, 10))
    prep_seroconverted: Mapped[bool | None]
    # A complete cervical screen: its visit type, its outcome (an HPV positive by its triage), whether
    # it is within the CXCA screening ages; its precancer treatment and the treatment date, when treated.
    cx_type: Mapped[CervicalVisitType | None] = mapped_column(coded(CervicalVisitType, 16))
    cx_result: Mapped[CervicalResult | None] = mapped_column(coded(CervicalResult, 18))
    cx_in_cxca: Mapped[bool | None]
    cx_treatment: Mapped[CervicalTreatment | None] = mapped_column(coded(CervicalTreatment, 18))
    cx_treated_on: Mapped[date | None]
    # GEND_GBV, set only for a visit that gave post-violence care: whether it was for sexual violence
    # (recorded so, or PEP after sexual violence), and whether a PEP course was given at it.
    gbv_sexual: Mapped[bool | None]
    gbv_pep: Mapped[bool | None]
    # The programme's clinic figures. The visit's type (new or return), set on every row (nullable only
    # because a migration added it to rows that existed); set only for a visit with an STI screening:
    # whether a treatment was given; with a PEP course: its exposure; the pieces of each commodity handed
    # out (None: that item was not handed out at the visit).
    visit_type: Mapped[VisitType | None] = mapped_column(coded(VisitType, 10))
    sti_treated: Mapped[bool | None]
    pep_exposure: Mapped[PepExposure | None] = mapped_column(coded(PepExposure, 16))
    male_condoms: Mapped[int | None]
    female_condoms: Mapped[int | None]
    lubricant: Mapped[int | None]
    # What the data-quality checks (reports.quality) find at the visit: the sum of its TO_FIX flags, None
    # when nothing.
    to_fix: Mapped[int | None] = mapped_column(SmallInteger)


class ReportPrevention(Base):
    """One contact toward a KP_PREV package, by the client it names."""

    __tablename__ = "report_prevention"
    __table_args__ = (
        Index("ix_report_prevention_period", "on_date", "clinic_id", "client_id", "testing", "another"),
        Index("ix_report_prevention_client_id", "client_id"),
        DERIVED,
    )

    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the visit, contact or slip
    source: Mapped[str] = mapped_column(String(8))  # visit, contact, slip
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    on_date: Mapped[date]
    testing: Mapped[int] = mapped_column(SmallInteger)  # 2 tested or referred, 1 declined, 0 neither
    another: Mapped[int] = mapped_column(SmallInteger)  # 1: another prevention service was given
