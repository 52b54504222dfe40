"""The administrator's view of the audit trail."""

import csv
import io
import json

from flask import Response, current_app, render_template, request, stream_with_context
from sqlalchemy import select

from clinic_app.audit import bp
from clinic_app.audit.actions import label
from clinic_app.audit.models import AuditEvent
from clinic_app.audit.services import flagged_events, make_checkpoint, record_and_commit
from clinic_app.auth.models import User
from clinic_app.core.forms import EmptyForm
from clinic_app.core.permissions import requires
from clinic_app.core.safe_cells import safe_text
from clinic_app.core.views import current_actor, page_arg
from clinic_app.extensions import db


@bp.route("/")
@requires("audit.view")
def index():
    query = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEvent.action == action[:64])
    query = query.order_by(AuditEvent.seq.desc())
    per_page = current_app.config["PAGE_SIZE"]
    page = page_arg()
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template(
        "audit/index.html",
        rows=rows[:per_page],
        has_next=len(rows) > per_page,
        page=page,
        action=action,
        actions=actions,
        flagged=flagged_events(),
        label=label,
        confirm_form=EmptyForm(),
    )


@bp.route("/checkpoint.json")
@requires("audit.view")
def checkpoint():
    """A signed checkpoint of the chain's end, to keep away from the computer (see README)."""
    value = make_checkpoint(actor=current_actor(), clinic_code=current_app.config.get("CLINIC_CODE"))
    return Response(
        json.dumps(value, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="audit-checkpoint-{value["seq"]}.json"'},
    )


EXPORT_COLUMNS = (
    "seq",
    "occurred_at_utc",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "object_ids",
    "source",
    "detail",
    "hash",
)


@bp.route("/export.csv")
@requires("audit.view")
def export():
    """The whole trail as CSV (streamed); the export is itself audited."""
    record_and_commit(actor=current_actor(), action="audit.export")

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        query = (
            select(AuditEvent, User.username)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=2000)
        )
        for i, (event, username) in enumerate(db.session.execute(query), start=1):
            writer.writerow(
                [
                    event.seq,
                    event.occurred_at.isoformat(),
                    username or "",
                    event.actor_role or "",
                    event.action,
                    event.object_type or "",
                    event.object_id or "",
                    event.object_ids or "",
                    safe_text(event.source or ""),
                    safe_text(event.detail or ""),
                    event.hash,
                ]
            )
            if i % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'},
    )
