"""Every indicator, defined once, one module per programme area: what it counts (person or
event, de-duplicated how, on which date), which disaggregations it offers, and the SQL of its
fact rows, each query next to its definition text.

Donor formats (reports/formats/*.toml) choose indicators and lay out their grids;
they never change what an indicator counts.
"""

from clinic_app.reports.indicators import (
    cervical,
    community,
    crisis,
    prep,
    prevention,
    programme,
    testing,
    treatment,
    violence,
)
from clinic_app.reports.indicators.base import Indicator

__all__ = ["INDICATORS", "Indicator"]

INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        prevention.KP_PREV,
        testing.HTS_TST,
        testing.HTS_SELF,
        prep.PREP_NEW,
        prep.PREP_CT,
        cervical.CXCA_SCRN,
        cervical.CXCA_SCRN_POS,
        cervical.CXCA_TX,
        treatment.TX_NEW,
        violence.GEND_GBV,
        programme.SW_VISITS,
        programme.SW_PEOPLE,
        programme.VISITS,
        testing.HIV_TESTS,
        testing.HIV_TESTS_OTHER,
        cervical.CERVICAL_ALL,
        programme.STI_SCREENED,
        programme.PEP_GIVEN,
        programme.COMMODITIES,
        community.OUTREACH_CONTACTS,
        community.PEOPLE_REACHED,
        community.REFERRALS,
        community.REFERRALS_COMPLETED,
        community.PEOPLE_TRAINED,
        *crisis.CRISIS_INDICATORS,
    )
}
