"""The hub's sync API (``/network/api/...``): signed requests from enrolled clinics, no session, no CSRF."""

from flask import Response, current_app, request

from clinic_app.core.actor import Visitor
from clinic_app.core.permissions import public
from clinic_app.extensions import csrf, db
from clinic_app.network import hub, hub_sync, protocol
from clinic_app.network.views import bp


def _answer(payload: dict, status: int = 200) -> Response:
    return Response(
        protocol.encode(payload), status=status, content_type="application/json", headers={"Content-Encoding": "gzip"}
    )


def _body() -> bytes:
    if current_app.config.get("NETWORK_ROLE") != "hub":
        raise hub.Refused(404, "This installation is not a hub.")
    if (request.content_length or 0) > protocol.MAX_BODY_BYTES:
        raise hub.Refused(413, "The request is too large.")
    return request.get_data(cache=False)


def _signed(work):
    """Authenticate, do the work and commit in one transaction; a refusal is answered in words."""
    member_id = None
    try:
        body = _body()
        member = hub.authenticate(method=request.method, path=request.path, headers=request.headers, body=body)
        member_id = member.id
        result = work(member, protocol.decode(body))
        db.session.commit()
        return _answer(result)
    except hub.Refused as refusal:
        if refusal.status in (400, 403, 409):
            hub.note_refusal(member_id, refusal.reason)
        else:
            db.session.rollback()
        return _answer({"error": refusal.reason, **refusal.extra}, refusal.status)
    except ValueError:
        hub.note_refusal(member_id, "unreadable request")
        return _answer({"error": "The request could not be read."}, 400)


@bp.route("/api/enrol", methods=["POST"])
@public
@csrf.exempt
def api_enrol():
    try:
        return _answer(hub.enrol(protocol.decode(_body()), actor=Visitor(request.remote_addr or "unknown")))
    except hub.Refused as refusal:
        db.session.rollback()
        return _answer({"error": refusal.reason}, refusal.status)
    except ValueError:
        return _answer({"error": "The request could not be read."}, 400)


@bp.route("/api/push", methods=["POST"])
@public
@csrf.exempt
def api_push():
    return _signed(hub_sync.apply_push)


@bp.route("/api/pull", methods=["POST"])
@public
@csrf.exempt
def api_pull():
    return _signed(hub_sync.build_pull)


@bp.route("/api/lookup", methods=["POST"])
@public
@csrf.exempt
def api_lookup():
    return _signed(lambda _member, payload: hub_sync.lookup(payload))


@bp.route("/api/adopt", methods=["POST"])
@public
@csrf.exempt
def api_adopt():
    return _signed(hub_sync.adopt)
