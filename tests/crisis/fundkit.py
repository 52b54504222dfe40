"""Records for the fund tests: a case, a fund, an application (straight into the tables, not through the pages)."""

import uuid
from datetime import date

from clinic_app.crisis.fund_models import ApplicationStatus, EmergencyFund, FundApplication, FundPurpose
from clinic_app.crisis.models import CrisisCase, ReportChannel, SurvivorKind
from clinic_app.extensions import db


def make_case(clinic, reporter, *, perpetrators=(), violations=("physical",), **kw) -> CrisisCase:
    case = CrisisCase(
        clinic_id=clinic.id,
        reference=kw.pop("reference", uuid.uuid4().hex[:8].upper()),
        survivor_kind=SurvivorKind.ANONYMOUS,
        reported_by_id=reporter.id,
        channel=ReportChannel.HOTLINE,
        incident_on=kw.pop("incident_on", date(2026, 11, 19)),
        submission_key=uuid.uuid4(),
        **kw,
    )
    case.set_violations(list(violations))
    case.set_perpetrators(list(perpetrators))
    db.session.add(case)
    db.session.commit()
    return case


def make_fund(clinic, *, balance=10_000, currency="USD", name=None, opened_on=date(2026, 1, 1)) -> EmergencyFund:
    fund = EmergencyFund(
        clinic_id=clinic.id,
        name=name or f"CRT fund {uuid.uuid4().hex[:4]}",
        donor="Aidsfonds",
        currency=currency,
        opening_balance=balance,
        balance=balance,
        opened_on=opened_on,
    )
    db.session.add(fund)
    db.session.commit()
    return fund


def make_application(fund, case, requester, *, amount=2_500, status=ApplicationStatus.REQUESTED, **kw):
    application = FundApplication(
        clinic_id=fund.clinic_id,
        fund_id=fund.id,
        case_id=case.id,
        purpose=kw.pop("purpose", FundPurpose.MEDICAL),
        amount=amount,
        currency=fund.currency,
        requested_by_id=requester.id,
        status=status,
        **kw,
    )
    db.session.add(application)
    db.session.commit()
    return application
