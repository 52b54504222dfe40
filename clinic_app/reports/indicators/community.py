"""Peer mobilisation: outreach contacts, people reached, referrals and trainings."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, union_all

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.core.permissions import Role
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, Training, TrainingAttendee, TrainingStaff
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import Indicator, client_by_uic, contacts_in, nobody


def outreach_contacts(window: Window):
    return select(
        *nobody(),
        OutreachContact.contact_date.label("on_date"),
        OutreachContact.kind.label("contact_kind"),
        literal(1).label("weight"),
    ).where(*contacts_in(window))


OUTREACH_CONTACTS = Indicator(
    "OUTREACH_CONTACTS",
    _l("Outreach contacts"),
    _l("Contacts recorded by peer educators."),
    "events",
    ("contact_kind",),
    outreach_contacts,
)


def people_reached(window: Window):
    """Each person once: a client by their record (a contact's UIC that names a registered client
    counts as that client), another UIC once, a contact with neither as one, a group by its head count."""
    individual = OutreachContact.kind == ContactKind.INDIVIDUAL
    person = func.coalesce(OutreachContact.client_id, client_by_uic())
    contacts = (
        select(
            person.label("client_id"),
            OutreachContact.contact_uic.label("uic"),
            OutreachContact.contact_date.label("on_date"),
        )
        .where(*contacts_in(window), individual)
        .subquery()
    )
    known = (
        select(*person_columns(), func.min(contacts.c.on_date).label("on_date"), literal(1).label("weight"))
        .join(Client, Client.id == contacts.c.client_id)
        .group_by(Client.id)
    )
    by_uic = (
        select(*nobody(), func.min(contacts.c.on_date).label("on_date"), literal(1).label("weight"))
        .where(contacts.c.client_id.is_(None), contacts.c.uic.is_not(None))
        .group_by(contacts.c.uic)
    )
    others = select(
        *nobody(),
        OutreachContact.contact_date.label("on_date"),
        case((individual, 1), else_=OutreachContact.group_size).label("weight"),
    ).where(*contacts_in(window), OutreachContact.client_id.is_(None), OutreachContact.contact_uic.is_(None))
    return union_all(known, by_uic, others)


PEOPLE_REACHED = Indicator(
    "PEOPLE_REACHED",
    _l("People reached by outreach"),
    _l(
        "Each known client once, each new contact's UIC once, a contact without either as one person, "
        "a small group by its head count."
    ),
    "people",
    (),
    people_reached,
)


def referrals_issued(window: Window):
    return select(
        *nobody(),
        Referral.issued_on.label("on_date"),
        Referral.service.label("service"),
        literal(1).label("weight"),
    ).where(window.dates(Referral.issued_on), window.clinics(Referral.clinic_id))


REFERRALS = Indicator(
    "REFERRALS",
    _l("Referrals issued"),
    _l(
        "Referral slips issued by the clinic's peer educators in the period, by the service referred for, "
        "on the issue date."
    ),
    "events",
    ("service",),
    referrals_issued,
)


def referrals_completed(window: Window):
    late = Referral.completed_on > Referral.expires_on
    return select(
        *nobody(),
        Referral.completed_on.label("on_date"),
        Referral.service.label("service"),
        case((late, "late"), else_="on_time").label("timeliness"),
        literal(1).label("weight"),
    ).where(window.dates(Referral.completed_on), window.clinics(Referral.clinic_id))


REFERRALS_COMPLETED = Indicator(
    "REFERRALS_COMPLETED",
    _l("Referrals completed"),
    _l(
        "Referral slips redeemed at a clinic visit dated in the period, whatever period they were issued in "
        "(so a closed period's figure never changes later), on the visit date. A slip redeemed after its "
        "validity still closes the loop and is counted as late."
    ),
    "events",
    ("service", "timeliness"),
    referrals_completed,
)


def people_trained(window: Window):
    in_window = (window.dates(Training.held_on), window.clinics(Training.clinic_id))
    clients = (
        select(
            *person_columns(),
            func.min(Training.held_on).label("on_date"),
            literal("client").label("trainee"),
            literal(1).label("weight"),
        )
        .select_from(TrainingAttendee)
        .join(Training, Training.id == TrainingAttendee.training_id)
        .join(Client, Client.id == TrainingAttendee.client_id)
        .where(*in_window)
        .group_by(Client.id)
    )
    staff = (
        select(
            *nobody(),
            func.min(Training.held_on).label("on_date"),
            case((User.role == Role.PEER_EDUCATOR, "peer_educator"), else_="staff").label("trainee"),
            literal(1).label("weight"),
        )
        .select_from(TrainingStaff)
        .join(Training, Training.id == TrainingStaff.training_id)
        .join(User, User.id == TrainingStaff.user_id)
        .where(*in_window)
        .group_by(User.id, User.role)
    )
    head_counts = select(
        *nobody(),
        Training.held_on.label("on_date"),
        literal("other").label("trainee"),
        Training.other_attendees.label("weight"),
    ).where(*in_window, Training.other_attendees > 0)
    return union_all(clients, staff, head_counts)


PEOPLE_TRAINED = Indicator(
    "PEOPLE_TRAINED",
    _l("People trained"),
    _l(
        "People who attended trainings or education sessions held in the period, each once however many "
        "sessions they attended: clients by their record, peer educators and other staff by their account "
        "(a peer educator's account and her client record, if she has one, cannot be linked and count "
        "apart), plus the head counts of others without a record or account (which cannot be de-duplicated). "
        "Counted on the date of the first session attended in the period."
    ),
    "people",
    ("trainee",),
    people_trained,
)
