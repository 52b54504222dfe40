"""Client registry services: register, find, update and merge clients."""

import re
import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select, tuple_, update
from sqlalchemy.orm import selectinload

from clinic_app.audit.services import record_alone, record_event
from clinic_app.auth.models import User
from clinic_app.clients import contributions, identifiers
from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.core.actor import Actor
from clinic_app.core.db import Base, utcnow
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.permissions import Role
from clinic_app.core.places import Country
from clinic_app.core.timeutil import age_on, local_today
from clinic_app.extensions import db

MIN_AGE, MAX_AGE = 10, 100
SEARCH_LIMIT = 50
_PHONE_RE = re.compile(r"^\+?[\d\s\-()]{7,20}$")


@dataclass
class ClientDetails:
    """What registration and editing capture about a client (no names)."""

    mother_letters: str
    own_letters: str
    sex: str
    key_population: str
    nationality: str
    enrolled_on: date | None
    date_of_birth: date | None = None
    estimated_age: int | None = None
    dob_unknown: bool = False  # neither a date of birth nor an estimated age
    alias: str | None = None
    is_mobile: bool = False
    phone: str | None = None
    phone_consent: bool = False
    peer_educator_id: str | None = None


SEX_WORK = frozenset({KeyPopulation.FSW, KeyPopulation.MSW, KeyPopulation.TGSW})
ADULT_AGE = 18


class SafeguardingNeeded(Conflict):
    """A child (under 18) registered as a sex worker: the child-protection referral comes first."""

    def __init__(self, age: int):
        super().__init__(
            _(
                "This client is %(age)d: a child under 18 who sells sex is a child in need of protection. "
                "Follow the national child-protection procedure (refer to social welfare / child protection "
                "services; child helpline 116), then confirm below.",
                age=age,
            )
        )
        self.age = age


class ProbableDuplicate(Conflict):
    """Registration found records that may be the same person."""

    def __init__(self, matches: list[Client]):
        super().__init__(_("This client may already be registered. Check the matches below."))
        self.matches = matches


def actor_today(actor: Actor) -> date:
    return local_today(actor.user.clinic.timezone)


def _birth_date(
    details: ClientDetails, today: date, errors: dict, current: Client | None = None
) -> tuple[date | None, bool]:
    if details.dob_unknown:
        if details.date_of_birth or details.estimated_age is not None:
            errors["dob_unknown"] = _(
                "Untick 'date of birth unknown', or clear the date of birth and the estimated age."
            )
        return None, False
    if details.date_of_birth and details.estimated_age is not None:
        errors["estimated_age"] = _("Give either the date of birth or an estimated age, not both.")
        return None, False
    if details.date_of_birth:
        born = details.date_of_birth
        if born > today:
            errors["date_of_birth"] = _("The date of birth is in the future.")
        elif not MIN_AGE <= age_on(born, today) <= MAX_AGE:
            errors["date_of_birth"] = _(
                "This gives an age of %(age)d; ages from %(lo)d to %(hi)d are accepted.",
                age=age_on(born, today),
                lo=MIN_AGE,
                hi=MAX_AGE,
            )
        return born, False
    if details.estimated_age is not None:
        if not MIN_AGE <= details.estimated_age <= MAX_AGE:
            errors["estimated_age"] = _("Give an age from %(lo)d to %(hi)d.", lo=MIN_AGE, hi=MAX_AGE)
            return None, True
        if (
            current is not None
            and current.dob_estimated
            and age_on(current.date_of_birth, today) == details.estimated_age
        ):
            return current.date_of_birth, True  # the same estimate restated: keep the date (and the UIC)
        year = today.year - details.estimated_age
        day = 28 if (today.month, today.day) == (2, 29) else today.day
        return date(year, today.month, day), True
    errors["date_of_birth"] = _(
        "Give the date of birth, or an estimated age, or tick 'date of birth unknown' if the client cannot say."
    )
    return None, False


def _clean_phone(details: ClientDetails, errors: dict) -> str | None:
    phone = (details.phone or "").strip()
    if not phone:
        if details.phone_consent:
            errors["phone"] = _("Type the number the client agrees to be called on, or untick follow-up by phone.")
        return None
    if not details.phone_consent:
        errors["phone_consent"] = _(
            "Keep a phone number only if the client agrees to follow-up; tick the box or clear the number."
        )
    if not _PHONE_RE.match(phone) or not 7 <= sum(ch.isdigit() for ch in phone) <= 15:
        errors["phone"] = _("Type a phone number of 7 to 15 digits, e.g. +263 77 123 4567.")
        return None
    return ("+" if phone.startswith("+") else "") + re.sub(r"\D", "", phone)


def _clean(
    details: ClientDetails, today: date, earliest_enrolment: date | None = None, current: Client | None = None
) -> dict:
    """Validated, normalised column values, or Invalid with every field's problem."""
    errors: dict[str, str] = {}
    for name in ("mother_letters", "own_letters"):
        letters = (getattr(details, name) or "").strip()
        if not re.fullmatch(r"[^\W\d_]{1,2}|9{1,2}", letters):
            errors[name] = _("Type one or two letters (or 9 if unknown).")
    for name, enum in (("sex", Sex), ("key_population", KeyPopulation), ("nationality", Country)):
        if getattr(details, name) not in {m.value for m in enum}:
            errors[name] = _("Choose one of the listed values.")
    born, estimated = _birth_date(details, today, errors, current)
    enrolled = details.enrolled_on
    if enrolled is None:
        errors["enrolled_on"] = _("Give the enrolment date.")
    elif enrolled > today:
        errors["enrolled_on"] = _("The enrolment date is in the future.")
    elif born and enrolled < born:
        errors["enrolled_on"] = _("The enrolment date is before the date of birth.")
    elif earliest_enrolment and enrolled > earliest_enrolment:
        errors["enrolled_on"] = _(
            "The client has a visit on %(day)s, before this enrolment date.", day=earliest_enrolment.isoformat()
        )
    alias = (details.alias or "").strip() or None
    if alias and any(ord(ch) < 32 for ch in alias):
        errors["alias"] = _("The alias contains characters that cannot be shown.")
    phone = _clean_phone(details, errors)
    peer = _peer_educator(details.peer_educator_id, errors)
    if errors:
        raise Invalid(_("Please correct the fields marked below."), errors)
    return {
        "uic": identifiers.build_uic(details.mother_letters, details.own_letters, born, estimated, details.sex),
        "alias": alias,
        "alias_key": identifiers.alias_key(alias),
        "sex": Sex(details.sex),
        "date_of_birth": born,
        "dob_estimated": estimated,
        "key_population": KeyPopulation(details.key_population),
        "nationality": Country(details.nationality),
        "is_mobile": bool(details.is_mobile),
        "phone": phone,
        "phone_consent": bool(details.phone_consent and phone),
        "enrolled_on": enrolled,
        "peer_educator_id": peer.id if peer else None,
    }


def _peer_educator(value, errors: dict) -> User | None:
    if not value:
        return None
    try:
        peer = db.session.get(User, uuid.UUID(str(value)))
    except ValueError:
        peer = None
    if peer is None or peer.role != Role.PEER_EDUCATOR or not peer.active:
        errors["peer_educator_id"] = _("Choose a peer educator from the list.")
        return None
    return peer


def peer_educator_choices(clinic_id) -> list[tuple[str, str]]:
    """Active peer educators of a clinic, for the 'followed up by' choice."""
    peers = db.session.scalars(
        select(User)
        .where(User.role == Role.PEER_EDUCATOR, User.active.is_(True), User.clinic_id == clinic_id)
        .order_by(User.display_name)
    )
    return [(str(p.id), p.display_name) for p in peers]


def probable_duplicates(
    *, uic: str, date_of_birth: date | None, sex: Sex, alias_key: str | None, exclude_id=None
) -> list[Client]:
    """Records that may be the same person: same UIC, or same birth date and sex with
    one pair of name letters in common, or same alias with the same birth year."""
    conditions = [
        Client.uic == uic,
        and_(
            Client.date_of_birth == date_of_birth,
            Client.sex == sex,
            or_(Client.uic.startswith(uic[:2]), Client.uic.like(f"__{uic[2:4]}%")),
        ),
    ]
    if alias_key:
        conditions.append(and_(Client.alias_key == alias_key, Client.uic.like(f"%{uic[8:10]}_")))
    query = select(Client).where(or_(*conditions), Client.merged_into_id.is_(None))
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    return list(db.session.scalars(query.order_by(Client.enrolled_on).limit(10)))


def new_unique_number() -> str:
    """A client number no record here holds, nor any client in this clinic's copy of the network index.

    Two clinics can then draw the same number only while both are offline; the hub refuses the
    second (see ``network.hub_sync``) and that clinic gives its client a new one.
    """
    index = Base.metadata.tables.get("network_index_numbers")  # the network builds on clients, not the reverse
    while True:
        number = identifiers.new_client_number()
        if db.session.scalar(select(Client.id).where(Client.client_number == number)) is not None:
            continue
        if index is None or db.session.scalar(select(index.c.client_id).where(index.c.number == number)) is None:
            return number


def registration_problems(
    *, actor: Actor, details: ClientDetails, consent_given: bool, today: date | None = None
) -> dict[str, str]:
    """What register_client would refuse in these entries, all at once, without saving (the form asks
    when some fields did not even parse, so that every message comes in one round)."""
    actor.require("clients.register")
    errors = {} if consent_given else {"consent_given": _("A record can only be kept with the client's consent.")}
    try:
        _clean(details, today or actor_today(actor))
    except Invalid as error:
        errors = {**error.field_errors, **errors}
    return errors


def register_client(
    *,
    actor: Actor,
    details: ClientDetails,
    consent_given: bool,
    confirm_new: bool = False,
    safeguarding_done: bool = False,
    today: date | None = None,
) -> Client:
    """Enrol a client at the actor's clinic with a new random client number.

    Refuses without consent (with every other problem in the same round); raises SafeguardingNeeded
    for a child under 18 registered as a sex worker until the child-protection referral is confirmed,
    and ProbableDuplicate when the registry holds a record that may be the same person, unless the
    user confirmed it is not.
    """
    actor.require("clients.register")
    today = today or actor_today(actor)
    consent = {} if consent_given else {"consent_given": _("A record can only be kept with the client's consent.")}
    try:
        values = _clean(details, today)
    except Invalid as error:
        raise Invalid(error.message, {**error.field_errors, **consent}) from None
    if consent:
        raise Invalid(_("Please correct the fields marked below."), consent)
    age = age_on(values["date_of_birth"], values["enrolled_on"]) if values["date_of_birth"] else None
    if values["key_population"] in SEX_WORK and age is not None and age < ADULT_AGE and not safeguarding_done:
        raise SafeguardingNeeded(age)
    if not confirm_new:
        matches = probable_duplicates(
            uic=values["uic"], date_of_birth=values["date_of_birth"], sex=values["sex"], alias_key=values["alias_key"]
        )
        if matches:
            raise ProbableDuplicate(matches)
    client = Client(
        clinic_id=actor.clinic_id,
        client_number=new_unique_number(),
        consent_given=True,
        consent_recorded_at=utcnow(),
        registered_by_id=actor.id,
        **values,
    )
    db.session.add(client)
    db.session.flush()
    notes = [
        n
        for n, done in (("confirmed_not_duplicate", confirm_new), ("safeguarding_referral", safeguarding_done))
        if done
    ]
    record_event(actor=actor, action="client.register", target=client, detail=",".join(notes) or None)
    db.session.commit()
    return client


def update_client(*, actor: Actor, client: Client, details: ClientDetails, today: date | None = None) -> Client:
    """Correct a client's details; the UIC is rebuilt from the restated facts."""
    actor.require("clients.edit")
    if client.is_merged:
        raise Conflict(_("This record was merged into another; edit that one."))
    bounds = [day for day in contributions.enrolment_bound(client) if day is not None]
    values = _clean(details, today or actor_today(actor), earliest_enrolment=min(bounds, default=None), current=client)
    changed = sorted(name for name, value in values.items() if getattr(client, name) != value)
    for name, value in values.items():
        setattr(client, name, value)
    record_event(
        actor=actor,
        action="client.update",
        target=client,
        detail=("fields=" + ",".join(changed))[:255] if changed else None,
    )
    db.session.commit()
    return client


def resolve(client: Client) -> Client:
    """Follow merges to the record that is kept."""
    seen = set()
    while client.merged_into is not None and client.id not in seen:
        seen.add(client.id)
        client = client.merged_into
    return client


@dataclass
class SearchHit:
    client: Client
    matched_via: Client | None  # the merged record whose number or UIC was typed


def search_clients(*, actor: Actor, term: str) -> list[SearchHit]:
    """Find clients by client number, UIC or alias. The term itself is never logged."""
    actor.require("clients.search")
    term = (term or "").strip()
    number = identifiers.normalise_client_number(term)
    uic = identifiers.normalise_uic(term)
    if number:
        kind, where = "number", Client.client_number == number
    elif uic:
        kind, where = "uic", Client.uic == uic
    else:
        key = identifiers.alias_key(term)
        if not key or len(key) < 2:
            return []
        # The range lets the alias index find the prefix (LIKE alone scans every client on SQLite);
        # LIKE keeps the match exact under any collation.
        after = key[:-1] + chr(ord(key[-1]) + 1)
        kind = "alias"
        where = and_(
            Client.alias_key >= key, Client.alias_key < after, Client.alias_key.startswith(key, autoescape=True)
        )
    found = db.session.scalars(
        select(Client)
        .where(where)
        .options(selectinload(Client.merged_into))
        .order_by(Client.enrolled_on.desc())
        .limit(SEARCH_LIMIT)
    ).all()
    hits, shown = [], set()
    for client in found:
        kept = resolve(client)
        if kept.id in shown:
            continue
        shown.add(kept.id)
        hits.append(SearchHit(kept, client if kept is not client else None))
    ids = {hit.client.id for hit in hits} | {hit.matched_via.id for hit in hits if hit.matched_via}
    record_event(
        actor=actor,
        action="client.search",
        object_type="clients",
        object_ids=[hit.client.id for hit in hits],
        detail=f"by={kind} results={len(hits)}",
    )
    db.session.commit()
    # The commit expired the clients: read them back in one statement, not one per row of the page.
    if ids:
        db.session.scalars(select(Client).where(Client.id.in_(ids)).execution_options(populate_existing=True)).all()
    return hits


def find_by_number(number_text: str) -> Client | None:
    number = identifiers.normalise_client_number(number_text)
    if not number:
        return None
    return db.session.scalar(select(Client).where(Client.client_number == number))


def view_client(*, actor: Actor, client_id) -> Client:
    """Open a client record for reading; every opening is audited."""
    actor.require("clients.view")
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound()
    record_alone(actor=actor, action="client.view", target=client)
    return client


def _client_references():
    """Every column of every table that points at a client (merged_into aside).

    Found from the schema so that features added later are merged too. Derived tables
    (marked ``info={"derived": True}``) are not moved but recomputed after the merge.
    """
    for table in Base.metadata.sorted_tables:
        if table.info.get("derived"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "clients" and not (
                table.name == "clients" and fk.parent.name == "merged_into_id"
            ):
                yield table, fk.parent


def _drop_clashing_links(table, column, keep: Client, duplicate: Client) -> None:
    """A link row keyed by the client (e.g. a training attendance) that both records have is kept once."""
    others = [c for c in table.primary_key.columns if c is not column]
    if not column.primary_key or not others:
        return
    kept = select(*others).where(column == keep.id)
    db.session.execute(delete(table).where(column == duplicate.id, tuple_(*others).in_(kept)))


def merge_clients(*, actor: Actor, keep: Client, duplicate: Client) -> Client:
    """Fold a duplicate record into the one kept.

    Every record of the duplicate (visits and, later, services) moves to the kept
    record; the duplicate stays as a pointer so its number and UIC are still found.
    """
    actor.require("clients.merge")
    if keep.id == duplicate.id:
        raise Invalid(
            _("A record cannot be merged into itself."), {"duplicate_number": _("This is the record you are on.")}
        )
    if keep.is_merged or duplicate.is_merged:
        raise Conflict(_("One of these records has already been merged."))
    fold_records(keep, duplicate)
    record_event(actor=actor, action="client.merge", target=keep, detail=f"merged={duplicate.id}")
    db.session.commit()
    db.session.expire_all()
    return keep


def fold_records(keep: Client, duplicate: Client, *, merged_at=None) -> None:
    """The merge itself, without permission, audit or commit: also replayed by the clinic network.

    The features built on clients take part through clients.contributions: they may refuse the merge, put
    the kept record's rules right, and recompute the derived rows the bulk moves bypassed."""
    contributions.merge_checks(keep, duplicate)
    for table, column in _client_references():
        _drop_clashing_links(table, column, keep, duplicate)
        db.session.execute(update(table).where(column == duplicate.id).values({column.name: keep.id}))
    db.session.execute(update(Client).where(Client.merged_into_id == duplicate.id).values(merged_into_id=keep.id))
    duplicate.merged_into_id = keep.id
    duplicate.merged_at = merged_at or utcnow()
    if duplicate.enrolled_on < keep.enrolled_on:
        keep.enrolled_on = duplicate.enrolled_on
    contributions.after_merge(keep)
    db.session.flush()
    for refresh in contributions.derived_rows:
        refresh(db.session.connection(), [keep.id, duplicate.id])


def age_now(client: Client, today: date | None = None) -> int | None:
    """The client's age today; None when the date of birth is unknown."""
    if client.date_of_birth is None:
        return None
    return age_on(client.date_of_birth, today or date.today())
