"""The administrator's view of the audit trail."""

from flask import current_app, render_template, request
from sqlalchemy import select

from clinic_app.audit import bp
from clinic_app.audit.models import AuditEvent
from clinic_app.auth.models import User
from clinic_app.core.permissions import requires
from clinic_app.core.views import page_arg
from clinic_app.extensions import db


@bp.route("/")
@requires("audit.view")
def index():
    query = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEvent.action == action[:64])
    query = query.order_by(AuditEvent.occurred_at.desc())
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
    )
