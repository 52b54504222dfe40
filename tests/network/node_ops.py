"""One action at a clinic node, run as its own process by the multi-process network tests.

``python tests/network/node_ops.py ACTION JSON`` with the node's settings in the environment
(DATABASE_URL, CLINIC_CLINIC_CODE ...). Prints one JSON line with the result. ``NODE_CLOCK_SHIFT_HOURS``
moves this process's clock (every ``datetime.now``) to test clock skew between nodes.
"""

import json
import os
import sys
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import time_machine  # noqa: E402

SHIFT = float(os.environ.get("NODE_CLOCK_SHIFT_HOURS", "0") or 0)
if SHIFT:
    import time

    time_machine.travel(time.time() + SHIFT * 3600, tick=True).start()

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from clinic_app import create_app  # noqa: E402
from clinic_app.auth.models import User  # noqa: E402
from clinic_app.clients import services as clients  # noqa: E402
from clinic_app.clients.models import Client  # noqa: E402
from clinic_app.clinics.models import Clinic  # noqa: E402
from clinic_app.core.actor import Actor, system_actor  # noqa: E402
from clinic_app.core.errors import DomainError  # noqa: E402
from clinic_app.core.permissions import Role  # noqa: E402
from clinic_app.core.places import Country  # noqa: E402
from clinic_app.extensions import db  # noqa: E402
from clinic_app.network import node, services  # noqa: E402
from clinic_app.network.models import ClientCorrection, IndexEntry, OutboxEntry  # noqa: E402
from clinic_app.screening.models import AssayResult, PreviousHivStatus, TestingModality  # noqa: E402
from clinic_app.visits import services as visits  # noqa: E402
from clinic_app.visits.models import PrepEventType, PrepRegimen, Visit  # noqa: E402
from clinic_app.visits.sections import HivTestInput, PrepInput, ServicesInput  # noqa: E402


def actor() -> Actor:
    user = db.session.scalar(select(User).where(User.username == "nurse"))
    return Actor(user, "test")


def setup(args):
    upgrade()
    clinic = Clinic(code=args["code"], name=args["name"], country=Country(args["country"]), timezone=args["tz"])
    db.session.add(clinic)
    db.session.flush()
    for username, role in (("nurse", Role.NURSE), ("dataadmin", Role.DATA_ADMIN)):
        db.session.add(
            User(username=username, display_name=username, password_hash="!", role=role, clinic_id=clinic.id)
        )
    db.session.commit()
    return {"clinic_id": str(clinic.id)}


def register(args):
    details = clients.ClientDetails(
        mother_letters=args.get("mother", "MA"),
        own_letters=args.get("own", "JO"),
        sex="female",
        key_population="fsw",
        nationality="ZW",
        enrolled_on=date.fromisoformat(args.get("on", "2026-01-05")),
        date_of_birth=date.fromisoformat(args.get("born", "1995-08-15")),
        alias=args.get("alias"),
        phone=args.get("phone"),
        phone_consent=bool(args.get("phone")),
    )
    client = clients.register_client(
        actor=actor(), details=details, consent_given=True, confirm_new=True, today=date(2026, 11, 20)
    )
    if args.get("number"):  # the same number drawn at another clinic while both were offline
        client.client_number = args["number"]
        db.session.commit()
    return {"id": str(client.id), "number": client.client_number, "uic": client.uic}


def visit(args):
    client = db.session.get(Client, uuid.UUID(args["client_id"]))
    kind = args.get("kind", "hiv")
    service = ServicesInput()
    reasons = ["hiv_testing"]
    if kind in ("hiv", "prep"):
        service.hiv = HivTestInput(
            previous_status=PreviousHivStatus.NEGATIVE,
            modality=TestingModality.FACILITY_KP,
            screening_result=AssayResult.NON_REACTIVE,
            result_received=True,
        )
    if kind == "prep":
        reasons.append("prep")
        service.prep = PrepInput(
            event=PrepEventType(args.get("prep", "initiation")),
            regimen=PrepRegimen.TDF_FTC,
            months_dispensed=3,
            next_appointment_on=date.fromisoformat(args["on"]).replace(month=date.fromisoformat(args["on"]).month + 3),
        )
    data = visits.VisitInput(
        service_date=date.fromisoformat(args["on"]),
        visit_type=args.get("type", "return"),
        reasons=reasons,
        notes=args.get("notes"),
    )
    made = visits.record_visit(actor=actor(), client=client, data=data, services=service, today=date(2026, 11, 20))
    return {"id": str(made.id)}


def correct_visit(args):
    """Correct a visit: new notes and next appointment, and PrEP months when it has PrEP."""
    made = db.session.get(Visit, uuid.UUID(args["visit_id"]))
    sections = visits.load_sections(made)
    if sections.prep is not None and "months" in args:
        sections.prep.months_dispensed = args["months"]
    data = visits.VisitInput(
        service_date=made.service_date,
        visit_type=str(made.visit_type),
        reasons=[str(r) for r in made.reasons],
        notes=args.get("notes"),
        next_appointment_on=date.fromisoformat(args["next"]) if args.get("next") else None,
    )
    visits.update_visit(actor=actor(), visit=made, data=data, services=sections, today=date(2026, 11, 20))
    return {"ok": True}


def trace(args):
    """Hand a client to a peer educator for tracing, and record what came of it."""
    from clinic_app.outreach import tracing
    from clinic_app.outreach.models import TracingAssignment

    peer = db.session.scalar(select(User).where(User.username == "peer"))
    if peer is None:
        clinic_id = actor().clinic_id
        peer = User(
            username="peer", display_name="Peer", password_hash="!", role=Role.PEER_EDUCATOR, clinic_id=clinic_id
        )
        db.session.add(peer)
        db.session.commit()
    tracing.assign_tracing(actor=actor(), client_ids=[args["client_id"]], peer_id=peer.id, reason="missed_appointment")
    row = db.session.scalar(
        select(TracingAssignment).where(TracingAssignment.client_id == uuid.UUID(args["client_id"]))
    )
    tracing.record_outcome(actor=Actor(peer, "test"), assignment_id=row.id, outcome=args.get("outcome", "reached"))
    return {"id": str(row.id)}


def many_visits(args):
    """``count`` clients with one visit each (for batching tests)."""
    ids = []
    for n in range(args["count"]):
        c = register({"mother": "ZZ", "own": f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}", "born": "1990-01-01"})
        visit({"client_id": c["id"], "on": "2026-06-01", "type": "new"})
        ids.append(c["id"])
    return {"ids": ids}


def edit(args):
    client = db.session.get(Client, uuid.UUID(args["client_id"]))
    fields = {name: getattr(client, name) for name in ("sex", "key_population", "nationality", "enrolled_on")}
    details = clients.ClientDetails(
        mother_letters=client.uic[:2],
        own_letters=client.uic[2:4],
        sex=str(fields["sex"]),
        key_population=args.get("key_population", str(fields["key_population"])),
        nationality=args.get("nationality", str(fields["nationality"])),
        enrolled_on=fields["enrolled_on"],
        date_of_birth=client.date_of_birth,
        is_mobile=args.get("is_mobile", client.is_mobile),
    )
    clients.update_client(actor=actor(), client=client, details=details, today=date(2026, 11, 20))
    return {"ok": True}


def merge(args):
    keep = db.session.get(Client, uuid.UUID(args["keep"]))
    duplicate = db.session.get(Client, uuid.UUID(args["duplicate"]))
    user = db.session.scalar(select(User).where(User.username == "dataadmin"))
    clients.merge_clients(actor=Actor(user, "test"), keep=keep, duplicate=duplicate)
    return {"ok": True}


def client(args):
    row = db.session.get(Client, uuid.UUID(args["client_id"]))
    if row is None:
        return {"found": False}
    history = db.session.scalars(
        select(ClientCorrection).where(ClientCorrection.client_id == row.id).order_by(ClientCorrection.hub_seq)
    ).all()
    kept = clients.resolve(row)
    return {
        "found": True,
        "number": row.client_number,
        "merged_into": str(row.merged_into_id) if row.merged_into_id else None,
        "kept": str(kept.id),
        "key_population": str(row.key_population),
        "nationality": str(row.nationality),
        "is_mobile": row.is_mobile,
        "alias": row.alias,
        "home": str(row.clinic_id),
        "corrections": [c.changes for c in history],
        "visits": db.session.scalar(select(func.count()).select_from(Visit).where(Visit.client_id == kept.id)),
    }


def search(args):
    hits = clients.search_clients(actor=actor(), term=args["term"])
    if hits:
        return {"local": [str(h.client.id) for h in hits], "network": [], "source": "local-records"}
    found, source = services.search_network(actor=actor(), term=args["term"])
    return {
        "local": [],
        "network": [str(h.client_id) for h in found],
        "numbers": [list(h.numbers) for h in found],
        "source": source,
    }


def take_on(args):
    made = services.take_on(actor=actor(), client_id=uuid.UUID(args["client_id"]))
    return {"id": str(made.id), "number": made.client_number}


def share(args):
    row = db.session.get(Client, uuid.UUID(args["client_id"]))
    services.record_sharing(actor=actor(), client=row, given=args["given"])
    return {"ok": True}


def shared(args):
    row = db.session.get(Client, uuid.UUID(args["client_id"]))
    care = services.shared_care(actor=actor(), client=row)
    return {
        "visits": [
            {
                "on": v.row.service_date.isoformat(),
                "clinic": v.clinic.code if v.clinic else None,
                "prep": str(v.row.prep_event) if v.row.prep_event else None,
                "months": v.row.prep_months,
            }
            for v in care
        ]
    }


def audit(args):
    from clinic_app.audit.models import AuditEvent

    rows = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("network.%"))).all()
    return {"actions": rows}


def state(_args):
    link = node.link()
    return {
        "backlog": db.session.scalar(select(func.count()).select_from(OutboxEntry)),
        "last_error": link.last_error if link else None,
        "last_success": link.last_success_at.isoformat() if link and link.last_success_at else None,
        "clients": db.session.scalar(select(func.count()).select_from(Client)),
        "index": db.session.scalar(select(func.count()).select_from(IndexEntry)),
        "pull_after": link.pull_after if link else None,
    }


def keys(_args):
    link = node.link()
    return {"hub_id": link.hub_id, "clinic_id": str(link.clinic_id), "private_key": link.private_key}


def sync(_args):
    result = node.sync(actor=system_actor("cli"))
    return {"pushed": result.pushed, "error": result.error}


def pull_pages(args):
    """Pull ``pages`` pages only, as if the link dropped after them."""
    return {"pulled": node.pull(node.link(), actor=system_actor("cli"), limit_pages=args["pages"])}


def die_after_send(args):
    """Send one batch and die before taking in the answer: the hub applied it, the node never knew."""
    from clinic_app.network import transport

    real = transport.post

    def post_then_die(*a, **kw):
        real(*a, **kw)
        os._exit(9)

    transport.post = post_then_die
    node.push_all(node.link(), limit_batches=1)
    return {"survived": True}


ACTIONS = {
    f.__name__: f
    for f in (
        setup,
        register,
        visit,
        correct_visit,
        trace,
        many_visits,
        edit,
        merge,
        client,
        search,
        take_on,
        share,
        shared,
        audit,
        state,
        keys,
        sync,
        pull_pages,
        die_after_send,
    )
}

if __name__ == "__main__":
    action, raw = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "{}")
    app = create_app()
    with app.app_context():
        try:
            print(json.dumps(ACTIONS[action](json.loads(raw))))
        except DomainError as error:
            sys.exit(f"{type(error).__name__}: {error.message} {error.field_errors}")
