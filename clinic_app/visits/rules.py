"""Clinical consistency rules for everything recorded at a visit, in one place.

Each rule is a pure function of a RuleContext (what the registry already knows
about the client, and what this visit records) and returns the problems it
finds as {form field: message}. The section registry (visits.sections) names each
section's rules and runs them all, with ``ACROSS_SECTIONS``, before visits.services
saves anything; tests exercise them one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.core.timeutil import add_months, age_on
from clinic_app.screening import algorithms
from clinic_app.screening.models import (
    AssayResult,
    CervicalMethod,
    CervicalResult,
    HivResult,
    StiSyndrome,
    TestingModality,
    TreatmentTiming,
)
from clinic_app.visits import clinical
from clinic_app.visits.clinical import HivRecord
from clinic_app.visits.models import PepExposure, PrepEventType, PrepRegimen, ViolenceType

if TYPE_CHECKING:  # the registry names these rules, so it imports this module
    from clinic_app.visits.sections import ServicesInput

PEP_MAX_HOURS = clinical.PEP_WINDOW_HOURS
PREP_REFILL_GRACE_DAYS = 30  # a refill this long after the last supply ran out is a restart (setting)
MAX_PIECES = 1000
MAX_SELF_TEST_KITS = 20


@dataclass
class ClientFacts:
    """What the registry knows about the client from visits other than this one."""

    sex: Sex
    date_of_birth: date | None  # None: unknown
    key_population: KeyPopulation
    positive_since: date | None = None  # rules compare it with the visit's date
    negative_test_dates: list[date] = field(default_factory=list)
    prep_history: list[tuple[date, PrepEventType]] = field(default_factory=list)
    # Each earlier PrEP event with the months it dispensed (None for a stop), here and shared by other clinics.
    prep_supplies: list[tuple[date, PrepEventType, int | None]] = field(default_factory=list)
    # Positive screens at this clinic a later visit may treat: screen id -> (date, untreated or treated by
    # the visit being corrected).
    treatable_screens: dict[str, date] = field(default_factory=dict)
    hiv_records: list[HivRecord] = field(default_factory=list)


@dataclass
class RuleSettings:
    prep_test_window_days: int = 7
    prep_refill_grace_days: int = PREP_REFILL_GRACE_DAYS
    hiv_retest_months: int = 3
    testing_algorithm: algorithms.TestingAlgorithm = algorithms.TWO_TESTS
    cervical_min_age: int = 25
    cervical_max_age: int = 65


@dataclass
class RuleContext:
    facts: ClientFacts
    service_date: date
    today: date
    services: ServicesInput
    settings: RuleSettings = field(default_factory=RuleSettings)

    @property
    def hiv_result_today(self) -> HivResult | None:
        hiv = self.services.hiv
        if hiv is None:
            return None
        return algorithms.hiv_final_result(
            hiv.screening_result, hiv.confirmatory_result, hiv.tiebreaker_result, self.settings.testing_algorithm
        )

    @property
    def known_positive(self) -> bool:
        """Positive before this visit: a record showing positive on or before its date, or the client says so."""
        hiv = self.services.hiv
        since = self.facts.positive_since
        return (since is not None and since <= self.service_date) or (
            hiv is not None and clinical.shows_positive(None, hiv.previous_status)
        )


def known_positive_not_retested(ctx: RuleContext) -> dict:
    hiv = ctx.services.hiv
    if hiv and hiv.screening_result is not None and ctx.known_positive:
        since = ctx.facts.positive_since
        return {
            "hiv-screening_result": _(
                "This client is already known HIV positive%(since)s: do not test again as a new test; "
                "record linkage to ART instead.",
                since=_(" (since %(d)s)", d=since.isoformat()) if since else "",
            )
        }
    return {}


def hiv_test_is_complete(ctx: RuleContext) -> dict:
    hiv = ctx.services.hiv
    if hiv is None:
        return {}
    errors = {}
    if hiv.previous_status is None:
        errors["hiv-previous_status"] = _("Say what the client knew of their HIV status before today.")
    if hiv.declined:
        if hiv.screening_result is not None or hiv.confirmatory_result is not None:
            errors["hiv-declined"] = _("A declined test has no result: untick 'declined', or clear the test results.")
        elif ctx.known_positive:
            errors["hiv-declined"] = _(
                "A client known HIV positive is not offered a new test: untick 'declined' and record linkage to ART."
            )
        return errors
    if hiv.screening_result is None and not ctx.known_positive:
        errors["hiv-screening_result"] = _("Give the screening test result, or leave the HIV section empty.")
    if hiv.screening_result is not None and hiv.modality is None:
        errors["hiv-modality"] = _("Choose where the test was done (modality).")
    return errors


def index_testing_halted_for_key_populations(ctx: RuleContext) -> dict:
    hiv = ctx.services.hiv
    if hiv and hiv.modality == TestingModality.INDEX and ctx.facts.key_population != KeyPopulation.NON_KP:
        return {"hiv-modality": _("Index testing is halted for key populations under PEPFAR guidance.")}
    return {}


def confirmatory_only_after_reactive(ctx: RuleContext) -> dict:
    hiv = ctx.services.hiv
    if hiv and hiv.confirmatory_result is not None and hiv.screening_result != AssayResult.REACTIVE:
        return {
            "hiv-confirmatory_result": _(
                "A confirmatory test is done only after a reactive screening test (national algorithm)."
            )
        }
    return {}


def tiebreaker_follows_the_national_algorithm(ctx: RuleContext) -> dict:
    hiv = ctx.services.hiv
    if hiv is None:
        return {}
    algorithm = ctx.settings.testing_algorithm
    pair = algorithms.discordant(hiv.screening_result, hiv.confirmatory_result)
    if hiv.tiebreaker_result is not None and not algorithm.tiebreaker:
        return {
            "hiv-tiebreaker_result": _(
                "This country's testing algorithm has no tie-breaker test: leave it empty. Reactive then "
                "non-reactive is inconclusive, retest in 14 days."
            )
        }
    if hiv.tiebreaker_result is not None and not pair:
        return {
            "hiv-tiebreaker_result": _(
                "The tie-breaker test is done only after a reactive screening test and a non-reactive "
                "confirmatory test."
            )
        }
    if algorithm.tiebreaker and pair and hiv.tiebreaker_result is None:
        return {
            "hiv-tiebreaker_result": _(
                "Reactive then non-reactive: the national algorithm settles it with the tie-breaker test. Give "
                "its result (invalid if it could not be read: the result is then inconclusive, retest in 14 days)."
            )
        }
    return {}


def art_linkage_only_for_positives(ctx: RuleContext) -> dict:
    hiv = ctx.services.hiv
    if hiv is None or not (hiv.art_started_on or hiv.art_site or hiv.art_referred_to):
        return {}
    if ctx.hiv_result_today != HivResult.POSITIVE and not ctx.known_positive:
        return {"hiv-art_started_on": _("ART linkage is recorded only for clients with a confirmed positive result.")}
    if hiv.art_started_on and not hiv.art_site:
        return {"hiv-art_site": _("Say where ART was started.")}
    return {}


def _prep_given(ctx: RuleContext) -> bool:
    return ctx.services.prep is not None and clinical.prep_dispensed(ctx.services.prep.event)


def no_prep_for_positive(ctx: RuleContext) -> dict:
    if _prep_given(ctx) and (ctx.known_positive or ctx.hiv_result_today == HivResult.POSITIVE):
        return {
            "prep-event": _(
                "PrEP cannot be started or refilled: the client's latest confirmed HIV result is positive. "
                "Link the client to ART, and record PrEP as stopped today with the reason 'Tested HIV "
                "positive (seroconversion)'."
            )
        }
    return {}


def seroconversion_stop_needs_the_positive_result(ctx: RuleContext) -> dict:
    prep = ctx.services.prep
    if prep is None or not clinical.seroconversion_stop(prep.event, prep.stop_reason):
        return {}
    if ctx.hiv_result_today == HivResult.POSITIVE or ctx.known_positive:
        return {}
    return {
        "prep-stop_reason": _(
            "Record the confirmed positive HIV test in the HIV section first: PrEP is stopped for "
            "seroconversion on the result."
        )
    }


def prep_start_needs_negative_test(ctx: RuleContext) -> dict:
    prep = ctx.services.prep
    if prep is None or prep.event not in (PrepEventType.INITIATION, PrepEventType.RESTART):
        return {}
    if ctx.hiv_result_today == HivResult.NEGATIVE:
        return {}
    window = ctx.settings.prep_test_window_days
    earliest = ctx.service_date - timedelta(days=window)
    if any(earliest <= day <= ctx.service_date for day in ctx.facts.negative_test_dates):
        return {}
    return {
        "prep-event": _(
            "PrEP can start only with a negative HIV test today or in the last %(n)d days. Record today's test.",
            n=window,
        )
    }


def prep_new_means_never_before(ctx: RuleContext) -> dict:
    prep = ctx.services.prep
    if prep is None:
        return {}
    earlier = [day for day, _event in ctx.facts.prep_history if day < ctx.service_date]
    other_start = [day for day, event in ctx.facts.prep_history if event == PrepEventType.INITIATION]
    if prep.event == PrepEventType.INITIATION and (earlier or other_start):
        first = min(earlier + other_start)
        return {
            "prep-event": _(
                "This client has been on PrEP before (first record %(d)s): record a follow-up or a restart, "
                "not an initiation.",
                d=first.isoformat(),
            )
        }
    if prep.event == PrepEventType.RESTART and not earlier:
        return {"prep-event": _("There is no earlier PrEP record for this client: record an initiation.")}
    return {}


def _last_prep_before(ctx: RuleContext):
    earlier = [supply for supply in ctx.facts.prep_supplies if supply[0] < ctx.service_date]
    return max(earlier, key=lambda supply: supply[0], default=None)


def prep_refill_long_after_the_supply_is_a_restart(ctx: RuleContext) -> dict:
    """PrEP guideline: a client back long after the last supply ran out restarts, after an HIV test."""
    prep = ctx.services.prep
    last = _last_prep_before(ctx)
    if prep is None or prep.event != PrepEventType.FOLLOW_UP or last is None:
        return {}
    day, event, months = last
    if event == PrepEventType.STOP:
        return {
            "prep-event": _(
                "PrEP was stopped on %(d)s: record a restart, after an HIV test today, not a refill.",
                d=day.isoformat(),
            )
        }
    if not months:
        return {}
    ran_out = add_months(day, months)
    grace = ctx.settings.prep_refill_grace_days
    if (ctx.service_date - ran_out).days <= grace:
        return {}
    return {
        "prep-event": _(
            "The last PrEP supply (given %(d)s for %(n)d months) ran out on %(end)s, more than %(g)d days ago: "
            "this is a restart. Test for HIV first, then record a restart.",
            d=day.isoformat(),
            n=months,
            end=ran_out.isoformat(),
            g=grace,
        )
    }


def prep_refill_needs_a_recent_hiv_test(ctx: RuleContext) -> dict:
    """A refill comes with an HIV test today or a negative one within the retest interval, or a reason."""
    prep = ctx.services.prep
    if prep is None or prep.event != PrepEventType.FOLLOW_UP:
        return {}
    reason = (prep.no_test_reason or "").strip()
    months = ctx.settings.hiv_retest_months
    tested_today = ctx.services.hiv is not None and ctx.services.hiv.screening_result is not None
    since = add_months(ctx.service_date, -months)
    recent = tested_today or any(since <= day <= ctx.service_date for day in ctx.facts.negative_test_dates)
    if recent and reason:
        return {
            "prep-no_test_reason": _(
                "The client has an HIV test today or in the last %(n)d months: leave the reason empty.", n=months
            )
        }
    if recent or reason:
        return {}
    return {
        "prep-no_test_reason": _(
            "No HIV test today or in the last %(n)d months: a PrEP refill needs one. Record today's test, or "
            "say here why PrEP is refilled without it.",
            n=months,
        )
    }


def prep_dispensing_is_complete(ctx: RuleContext) -> dict:
    prep = ctx.services.prep
    if prep is None:
        return {}
    if prep.event is None:
        return {"prep-event": _("Choose what happened with PrEP, or leave the PrEP section empty.")}
    errors = {}
    if prep.event == PrepEventType.STOP:
        if prep.stop_reason is None:
            errors["prep-stop_reason"] = _("Give the reason PrEP was stopped.")
        return errors
    if prep.regimen is None:
        errors["prep-regimen"] = _("Choose the PrEP regimen.")
    limit = 2 if prep.regimen == PrepRegimen.CAB_LA else 6
    if prep.months_dispensed is None or not 1 <= prep.months_dispensed <= limit:
        errors["prep-months_dispensed"] = _("Give the months dispensed, from 1 to %(n)d.", n=limit)
    if prep.next_appointment_on is not None and not (
        ctx.service_date < prep.next_appointment_on <= ctx.service_date + timedelta(days=366)
    ):
        errors["prep-next_appointment_on"] = _("The next appointment must fall within a year after this visit.")
    return errors


def pep_within_72_hours(ctx: RuleContext) -> dict:
    pep = ctx.services.pep
    if pep is None:
        return {}
    errors = {}
    if pep.exposure is None:
        errors["pep-exposure"] = _("Choose the type of exposure.")
    if pep.regimen is None:
        errors["pep-regimen"] = _("Choose the PEP regimen.")
    hours = pep.hours_since_exposure
    if hours is None or hours < 0:
        errors["pep-hours_since_exposure"] = _("Give the hours since exposure.")
    elif hours > PEP_MAX_HOURS:
        errors["pep-hours_since_exposure"] = _(
            "PEP is not given more than 72 hours after exposure: it no longer works. Offer an HIV test now "
            "and again in 6 weeks%(violence)s.",
            violence=_(", and violence support") if pep.exposure == PepExposure.SEXUAL_VIOLENCE else "",
        )
    return errors


def violence_care_names_the_violence(ctx: RuleContext) -> dict:
    violence, pep = ctx.services.violence, ctx.services.pep
    if violence is None:
        return {}
    if not violence.types:
        return {"violence-types": _("Tick the kinds of violence, or leave the post-violence care section empty.")}
    if pep and pep.exposure == PepExposure.SEXUAL_VIOLENCE and ViolenceType.SEXUAL not in violence.types:
        return {"violence-types": _("PEP is recorded after sexual violence: tick sexual violence among the kinds too.")}
    return {}


def cervical_screening_applies(ctx: RuleContext) -> dict:
    if ctx.services.cervical is None:
        return {}
    if ctx.facts.sex == Sex.MALE:
        return {
            "cervical-screening_type": _(
                "Cervical screening applies to clients with a cervix; this client is recorded as male."
            )
        }
    if ctx.facts.date_of_birth is None:
        return {}  # age unknown: nothing to check against (counted under age "Unknown")
    age = age_on(ctx.facts.date_of_birth, ctx.service_date)
    low, high = ctx.settings.cervical_min_age, ctx.settings.cervical_max_age
    if ctx.known_positive or ctx.hiv_result_today == HivResult.POSITIVE:
        low = min(low, 20)  # women living with HIV are screened from a younger age
    reason = (ctx.services.cervical.outside_age_reason or "").strip()
    if low <= age <= high:
        if reason:
            return {
                "cervical-outside_age_reason": _(
                    "This client is within the screening ages: leave the reason for screening outside them empty."
                )
            }
        return {}
    if reason:
        return {}  # recorded on purpose: counted among all clients' screenings, never in CXCA
    return {
        "cervical-screening_type": _(
            "Cervical screening applies from age %(lo)d to %(hi)d; this client is %(age)d.",
            lo=low,
            hi=high,
            age=age,
        ),
        "cervical-outside_age_reason": _(
            "To record this screen anyway, say why it was done outside the screening ages. It is counted "
            "among all clients' screenings, not in CXCA."
        ),
    }


def cervical_screening_is_consistent(ctx: RuleContext) -> dict:
    cx = ctx.services.cervical
    if cx is None:
        return {}
    errors = {}
    if cx.screening_type is None:
        errors["cervical-screening_type"] = _("Choose the screening visit type.")
    if cx.method is None:
        errors["cervical-method"] = _("Choose the screening method.")
        return errors
    hpv_positive = cx.method == CervicalMethod.HPV and cx.result == CervicalResult.POSITIVE
    if cx.triage_result is not None and not hpv_positive:
        errors["cervical-triage_result"] = _("A triage result is recorded only after a positive HPV test.")
    treated = clinical.precancer_treated(cx.treatment)
    if treated and not clinical.screen_positive(cx.method, cx.result, cx.triage_result):
        errors["cervical-treatment"] = _("Treatment is recorded only after a positive screen.")
    if treated and cx.treatment_timing is None:
        errors["cervical-treatment_timing"] = _("Say whether treatment was the same day or referred.")
    if treated and cx.treatment_timing == TreatmentTiming.REFERRED and cx.treated_on is None:
        errors["cervical-treated_on"] = _(
            "Give the date the referred treatment was done (CXCA_TX counts it on that date). Until then, "
            "leave the treatment empty."
        )
    return errors


def later_treatment_is_for_an_earlier_positive_screen(ctx: RuleContext) -> dict:
    later = ctx.services.cervical_tx
    if later is None:
        return {}
    errors = {}
    screened_on = ctx.facts.treatable_screens.get(str(later.screen_id)) if later.screen_id else None
    if screened_on is None or screened_on >= ctx.service_date:
        errors["cervical_tx-screen_id"] = _(
            "Choose the earlier positive screen, recorded at this clinic and not yet treated, that was treated today."
        )
    if not clinical.precancer_treated(later.treatment):
        errors["cervical_tx-treatment"] = _("Choose the treatment given (cryotherapy, thermal ablation or LEEP).")
    return errors


def results_not_before_visit(ctx: RuleContext) -> dict:
    """A result, treatment or outcome date lies between the visit and today."""
    dated = []
    if ctx.services.hiv:
        dated.append(("hiv-art_started_on", ctx.services.hiv.art_started_on))
    if ctx.services.cervical:
        dated += [
            ("cervical-result_on", ctx.services.cervical.result_on),
            ("cervical-treated_on", ctx.services.cervical.treated_on),
        ]
    if ctx.services.pep:
        dated.append(("pep-outcome_on", ctx.services.pep.outcome_on))
    errors = {}
    for name, day in dated:
        if day is None:
            continue
        if day < ctx.service_date:
            errors[name] = _(
                "This date is before the visit (%(d)s); results cannot predate the visit.",
                d=ctx.service_date.isoformat(),
            )
        elif day > ctx.today:
            errors[name] = _("This date is in the future.")
    return errors


def quantities_are_plausible(ctx: RuleContext) -> dict:
    errors = {}
    goods = ctx.services.commodities
    if goods is not None:
        for name in ("male_condoms", "female_condoms", "lubricant"):
            if not 0 <= getattr(goods, name) <= MAX_PIECES:
                errors[f"commodities-{name}"] = _("Give a number from 0 to %(n)d.", n=MAX_PIECES)
    kits = ctx.services.selftest
    if kits is not None:
        counts = {name: getattr(kits, name) for name in ("for_self", "for_partner", "for_other")}
        for name, n in counts.items():
            if not 0 <= n <= MAX_SELF_TEST_KITS:
                errors[f"selftest-{name}"] = _("Give from 0 to %(n)d kits.", n=MAX_SELF_TEST_KITS)
        if sum(counts.values()) == 0:
            errors["selftest-for_self"] = _("Give the number of kits, or leave the self-test section empty.")
        if kits.distribution is None:
            errors["selftest-distribution"] = _("Say whether distribution was assisted or unassisted.")
    return errors


def sti_findings_are_consistent(ctx: RuleContext) -> dict:
    sti = ctx.services.sti
    if sti and StiSyndrome.NONE in sti.syndromes and len(sti.syndromes) > 1:
        return {"sti-syndromes": _("'No symptoms' cannot be ticked together with a symptom.")}
    return {}


# Rules that read the fields of several sections; they run after every section's own.
ACROSS_SECTIONS = (results_not_before_visit, quantities_are_plausible)
