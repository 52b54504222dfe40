"""Which tables a clinic pushes to the hub, which columns cross, and how rows become JSON and back.

Dependency order is the list's order: the hub applies a batch's rows table by table in it, so a
client arrives before its visits and a visit before its services. Columns that could identify a
person or say more than the network needs never leave the clinic (``withheld``): the value is
replaced by the column's empty value.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Date, Table, Uuid
from sqlalchemy import Enum as SAEnum

from clinic_app.auth.models import Language, User
from clinic_app.clients.models import Client
from clinic_app.core.db import UTCDateTime
from clinic_app.network.models import ClientCorrection, ClientMerge, CrossClinicView, ShareConsent
from clinic_app.outreach.models import (
    Hotspot,
    OutreachContact,
    Referral,
    TracingAssignment,
    Training,
    TrainingAttendee,
    TrainingStaff,
)
from clinic_app.screening.models import CervicalScreening, HivTest, StiScreening
from clinic_app.visits.models import (
    Dispensed,
    LaterCervicalTreatment,
    PepCourse,
    PrepEvent,
    SelfTestKit,
    ViolenceCare,
    Visit,
    VisitReasonRow,
    VisitRevision,
)


@dataclass(frozen=True)
class Synced:
    model: type
    # Columns that never cross, with the value the hub stores instead.
    withheld: dict = field(default_factory=dict)
    # Rows of a link table sent inside the parent's record: (model, parent key column, value column).
    children: tuple = ()
    # Once at the hub, only the paths in hub.py change it (corrections, merges), never an upsert.
    insert_only: bool = False
    # Takes out what never crosses from inside a column's value (the JSON of a visit's history).
    scrub: Callable[[dict], dict] | None = None

    @property
    def table(self) -> Table:
        return self.model.__table__

    @property
    def name(self) -> str:
        return self.table.name


REGISTRATION_FIELDS = (
    "uic",
    "sex",
    "date_of_birth",
    "dob_estimated",
    "key_population",
    "nationality",
    "is_mobile",
    "enrolled_on",
)

# Visit fields whose history stays at the clinic, like the fields themselves.
VISIT_WITHHELD = ("notes",)


def _scrub_revision(values: dict) -> dict:
    """A visit's correction crosses with what changed, except the notes (before and after)."""
    for side in ("before", "after"):
        if isinstance(values.get(side), dict):
            values[side] = {k: v for k, v in values[side].items() if k not in VISIT_WITHHELD}
    return values


SYNCED: tuple[Synced, ...] = (
    # Staff as stubs: no name, username or password leaves the clinic.
    Synced(
        User,
        withheld={
            "username": None,
            "display_name": "",
            "password_hash": "!",
            "last_sign_in_at": None,
            "session_version": 1,
            "language": Language.EN,
        },
    ),
    Synced(Hotspot),
    Synced(
        Client,
        withheld={"alias": None, "alias_key": None, "phone": None, "phone_consent": False, "peer_educator_id": None},
        insert_only=True,
    ),
    Synced(ClientCorrection, insert_only=True),
    Synced(ClientMerge, insert_only=True),
    Synced(ShareConsent, insert_only=True),
    Synced(CrossClinicView, insert_only=True),
    Synced(Visit, withheld={"notes": None}, children=((VisitReasonRow, "visit_id", "reason"),)),
    Synced(HivTest),
    Synced(StiScreening),
    Synced(CervicalScreening),
    Synced(PrepEvent),
    Synced(PepCourse),
    Synced(Dispensed),
    Synced(SelfTestKit),
    Synced(ViolenceCare),
    Synced(LaterCervicalTreatment),
    # A correction of a visit or its services, with what it replaced (the visit's clinic owns it).
    Synced(VisitRevision, scrub=_scrub_revision),
    Synced(OutreachContact),
    Synced(Referral),
    Synced(
        Training,
        withheld={"facilitator": ""},
        children=((TrainingAttendee, "training_id", "client_id"), (TrainingStaff, "training_id", "user_id")),
    ),
    # Outreach tracing: who a peer educator was asked to follow up, and what came of it.
    Synced(TracingAssignment),
)
BY_NAME = {spec.name: spec for spec in SYNCED}
BY_MODEL = {spec.model: spec for spec in SYNCED}
CHILD_PARENTS = {child: spec for spec in SYNCED for child, _key, _value in spec.children}
ORDER = {spec.name: position for position, spec in enumerate(SYNCED)}


def to_json(value):
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"cannot send {type(value).__name__}")


def from_json(column, value):
    """A JSON value back into what the column takes."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, Uuid):
        return uuid.UUID(str(value))
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, SAEnum) and kind.enum_class is not None:
        return kind.enum_class(value)
    return value


def row_payload(spec: Synced, row) -> dict:
    """One stored row (a Row mapping) as the JSON the hub receives, withheld columns left out."""
    payload = {name: to_json(value) for name, value in row.items() if name not in spec.withheld}
    return spec.scrub(payload) if spec.scrub else payload


def row_values(spec: Synced, payload: dict) -> dict:
    """The payload of one record as column values; unknown columns are refused (ValueError)."""
    columns = spec.table.columns
    unknown = set(payload) - set(columns.keys())
    if unknown:
        raise ValueError(f"{spec.name}: unknown columns {', '.join(sorted(unknown))}")
    values = {name: from_json(columns[name], value) for name, value in payload.items() if name not in spec.withheld}
    values.update(spec.withheld)
    return spec.scrub(values) if spec.scrub else values
