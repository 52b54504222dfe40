"""The administrator's view of the audit trail."""

import csv
import io
import json

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context

from clinic_app.audit.actions import label, who
from clinic_app.audit.services import export_trail, flagged_events, make_checkpoint, trail_actions, trail_page
from clinic_app.core.forms import EmptyForm
from clinic_app.core.permissions import requires
from clinic_app.core.safe_cells import safe_text
from clinic_app.core.views import current_actor, page_arg

bp = Blueprint("audit", __name__, url_prefix="/audit", cli_group=None)


@bp.route("/")
@requires("audit.view")
def index():
    actor = current_actor()
    action = request.args.get("action", "").strip()
    page = page_arg()
    found = trail_page(actor=actor, action=action, page=page, per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "audit/index.html",
        rows=found.rows,
        has_next=found.has_next,
        page=page,
        action=action,
        actions=trail_actions(actor=actor),
        flagged=flagged_events(actor=actor),
        label=label,
        who=who,
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
    trail = export_trail(actor=current_actor(), batch=2000)

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for i, (event, username) in enumerate(trail, start=1):
            writer.writerow(
                [
                    event.seq,
                    event.occurred_at.isoformat(),
                    safe_text(who(event, username)),
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
