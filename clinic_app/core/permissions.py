"""Who may do what: the one permission table, and its enforcement on every route.

Every view declares the action it performs with ``@requires("action")`` (or is
marked ``@public``). A request to an endpoint that declares nothing is refused:
deny by default. Services check the same table for object-level rules.
"""

from functools import wraps

from flask_babel import lazy_gettext as _l

from clinic_app.core.coded import CodedEnum


class Role(CodedEnum):
    ADMIN = "admin", _l("Administrator")
    NURSE = "nurse", _l("Nurse")
    DATA_ADMIN = "data_admin", _l("Data administrator")
    PEER_EDUCATOR = "peer_educator", _l("Peer educator")
    ME_OFFICER = "me_officer", _l("M&E officer")
    CRT_COORDINATOR = "crt_coordinator", _l("Crisis response coordinator")


ALL_ROLES = frozenset(Role)
CLINICAL = frozenset({Role.NURSE, Role.DATA_ADMIN})
PEER = frozenset({Role.PEER_EDUCATOR})
PROGRAMME = frozenset({Role.NURSE, Role.DATA_ADMIN, Role.ME_OFFICER})

# role x action. Minimum necessary: an administrator manages accounts and sites
# but does not read client records; peer educators and M&E staff never see an
# individual clinical record.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "home.view": ALL_ROLES,
    "account.manage_own": ALL_ROLES,
    "clients.search": CLINICAL,
    "clients.view": CLINICAL,
    "clients.register": CLINICAL,
    "clients.edit": CLINICAL,
    "clients.merge": frozenset({Role.DATA_ADMIN}),
    "visits.list": CLINICAL,
    "visits.record": CLINICAL,
    "visits.edit": CLINICAL,
    "duelists.view": CLINICAL,
    # Peer mobilisation: peer educators work on their own contacts, referrals and
    # traced clients; staff see the clinic's figures and hand out tracing.
    # Pages shared by both show a peer educator only their own rows (services scope them).
    "outreach.work": PEER,
    "outreach.referrals": PEER | CLINICAL,
    "outreach.clinic_referrals": CLINICAL,
    "outreach.figures": PEER | PROGRAMME,
    "outreach.clinic_figures": PROGRAMME,
    "outreach.tracing": PEER | CLINICAL,
    "outreach.assign_tracing": CLINICAL,
    "outreach.hotspots": frozenset({Role.NURSE, Role.DATA_ADMIN, Role.ADMIN}),
    "outreach.trainings": PEER | CLINICAL,
    "clinics.view": frozenset({Role.ADMIN, Role.DATA_ADMIN, Role.ME_OFFICER}),
    "clinics.manage": frozenset({Role.ADMIN}),
    # Reports: aggregates for programme staff; exports (files that leave the clinic, small numbers
    # suppressed) only for M&E, data administrators and administrators.
    "reports.view": frozenset({Role.NURSE, Role.DATA_ADMIN, Role.ME_OFFICER, Role.ADMIN}),
    "reports.export": frozenset({Role.DATA_ADMIN, Role.ME_OFFICER, Role.ADMIN}),
    # The de-identified line list, and a report with its small numbers exact (for typing into the
    # donor's system, with a reason): M&E and data administrators only.
    "reports.linelist": frozenset({Role.DATA_ADMIN, Role.ME_OFFICER}),
    "reports.export_exact": frozenset({Role.DATA_ADMIN, Role.ME_OFFICER}),
    "reports.quality_records": CLINICAL,
    "users.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
    # Crisis response: peer educators, nurses and the coordinator open cases and respond to the cases they
    # opened or are assigned to (services scope them; restricted cases only coordinator + assigned); the
    # coordinator sees every case of the clinic, assigns responders and closes cases. The nurse's list of
    # survivors needing clinical care, and linking a visit to a case, are clinical.
    "crisis.open": PEER | {Role.NURSE, Role.CRT_COORDINATOR},
    "crisis.cases": PEER | {Role.NURSE, Role.CRT_COORDINATOR},
    "crisis.respond": PEER | {Role.NURSE, Role.CRT_COORDINATOR},
    "crisis.coordinate": frozenset({Role.CRT_COORDINATOR}),
    "crisis.care": CLINICAL,
    "crisis.link_visit": CLINICAL,
    # The clinic network: the sync state and "sync now" for data administrators (members on the hub).
    "network.status": frozenset({Role.DATA_ADMIN, Role.ADMIN}),
    "network.sync": frozenset({Role.DATA_ADMIN}),
    # Set-up done on the computer itself (commands only: no role holds them).
    "network.hub": frozenset(),
    "network.enrol": frozenset(),
    "network.renumber": frozenset(),
    "audit.checkpoint": frozenset({Role.ADMIN}),
    # The emergency fund. Asking for money on a case: those who work cases (peer educators, nurses, the
    # coordinator; each only on a case they may read). Deciding (four eyes: never one's own application),
    # opening funds, top-ups and payments: the coordinator alone; an administrator manages accounts, not
    # money. The statement (case references only, no survivor): the coordinator, and the data
    # administrator who prepares the donor's financial report; M&E gets fund spending in the crisis report.
    "crisis.fund_request": frozenset({Role.PEER_EDUCATOR, Role.NURSE, Role.CRT_COORDINATOR}),
    "crisis.fund_decide": frozenset({Role.CRT_COORDINATOR}),
    "crisis.fund_manage": frozenset({Role.CRT_COORDINATOR}),
    "crisis.fund_statement": frozenset({Role.CRT_COORDINATOR, Role.DATA_ADMIN}),
}

# What a command run on this computer (``flask ...``, by whoever holds the machine's shell) and the
# server's network scheduler may do: set-up and upkeep, exports that leave aggregate or de-identified,
# the sync. Never a client record or a clinical list (clients.*, visits.*, crisis.*, duelists.*,
# outreach.*, audit.view): a signed-in member of staff does those, and a service asked for one by a
# command refuses it in words. What each command needs: ``clinics create`` clinics.manage; ``users
# create`` (the first administrator) users.manage; ``report`` reports.view + reports.export (exact
# small numbers with a reason: reports.export_exact); ``linelist`` reports.linelist (k-anonymous);
# ``audit checkpoint`` audit.checkpoint; ``network init-hub|register-clinic|revoke`` network.hub,
# ``network enrol|leave`` network.enrol, ``network sync`` and the scheduler network.sync, ``network
# renumber`` network.renumber (a new number for a client the hub refused, no health data).
SYSTEM_PERMISSIONS: frozenset[str] = frozenset(
    {
        "clinics.manage",
        "users.manage",
        "reports.view",
        "reports.export",
        "reports.export_exact",
        "reports.linelist",
        "audit.checkpoint",
        "network.hub",
        "network.enrol",
        "network.sync",
        "network.renumber",
    }
)

# Who may give which role to an account: nobody grants a role they do not hold
# (only administrators manage accounts, and they hold every power to do so).
GRANTABLE: dict[Role, frozenset[Role]] = {Role.ADMIN: ALL_ROLES}

PUBLIC = "public"


def can_grant(granter: Role | str | None, role: Role | str) -> bool:
    try:
        return granter is not None and Role(role) in GRANTABLE.get(Role(granter), frozenset())
    except ValueError:
        return False


def role_can(role: Role | str | None, action: str) -> bool:
    """True when the table grants ``action`` to ``role``; unknown actions are denied."""
    if role is None:
        return False
    return Role(role) in PERMISSIONS.get(action, frozenset())


def system_can(action: str) -> bool:
    """True when a system actor (a command, the scheduler) may do ``action``."""
    return action in SYSTEM_PERMISSIONS


def requires(action: str):
    """Declare the action a view performs; the request guard enforces it."""
    if action not in PERMISSIONS:
        raise KeyError(f"action {action!r} is not in the permission table")

    def decorate(view):
        view.required_action = action
        return view

    return decorate


def public(view):
    """Mark a view as reachable without signing in (sign-in page, static files)."""
    view.required_action = PUBLIC
    return view


def required_action(view) -> str | None:
    return getattr(view, "required_action", None)


def wraps_action(view, inner):
    """Keep the declared action when another decorator wraps a view."""
    wrapped = wraps(inner)(view)
    wrapped.required_action = required_action(inner)
    return wrapped
