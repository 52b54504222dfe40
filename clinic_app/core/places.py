"""Countries of the corridor, used for clinic location and client nationality."""

from flask_babel import lazy_gettext as _l

from clinic_app.core.coded import CodedEnum


class Country(CodedEnum):
    ZA = "ZA", _l("South Africa")
    ZW = "ZW", _l("Zimbabwe")
    MZ = "MZ", _l("Mozambique")
    BW = "BW", _l("Botswana")
    ZM = "ZM", _l("Zambia")
    MW = "MW", _l("Malawi")
    LS = "LS", _l("Lesotho")
    SZ = "SZ", _l("Eswatini")
    NA = "NA", _l("Namibia")
    CD = "CD", _l("DR Congo")
    TZ = "TZ", _l("Tanzania")
    OTHER = "XX", _l("Other")
    UNKNOWN = "ZZ", _l("Not stated")


# The time zones of the corridor (IANA names); a clinic keeps one.
TIME_ZONES = [
    "Africa/Johannesburg",
    "Africa/Harare",
    "Africa/Maputo",
    "Africa/Gaborone",
    "Africa/Lusaka",
    "Africa/Blantyre",
    "Africa/Maseru",
    "Africa/Mbabane",
    "Africa/Windhoek",
    "Africa/Lubumbashi",
    "Africa/Dar_es_Salaam",
    "UTC",
]
