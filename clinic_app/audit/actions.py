"""Every kind of audit line, with the words the administrator's audit page shows for it.

A test finds every action the code writes and checks that it is listed here and shows on the page.
"""

from flask_babel import lazy_gettext as _l

from clinic_app.core.actor import parse_system_source

ACTIONS = {
    "access.denied": _l("Refused a page the role may not open"),
    "audit.checkpoint": _l("Exported a signed checkpoint of the audit trail"),
    "audit.export": _l("Exported the audit trail"),
    "auth.account_unlocked": _l("Lifted a paused sign-in"),
    "auth.password_check_failed": _l("Wrong current password on the account page"),
    "auth.sign_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Failed sign-in"),
    "auth.sign_in_locked": _l("Sign-in refused while paused"),
    "auth.sign_out": _l("Signed out"),
    "client.merge": _l("Merged two client records"),
    "client.register": _l("Registered a client"),
    "client.search": _l("Searched for clients (the clients shown)"),
    "client.update": _l("Changed a client record"),
    "client.view": _l("Opened a client record"),
    "clinic.create": _l("Added a clinic"),
    "clinic.update": _l("Changed a clinic"),
    "crisis.action": _l("Recorded a step of a crisis response"),
    "crisis.assign": _l("Assigned a responder to a crisis case"),
    "crisis.care_list": _l("Opened the list of survivors needing clinical care (the cases shown)"),
    "crisis.close": _l("Closed a crisis case"),
    "crisis.consent": _l("Recorded a survivor's consent"),
    "crisis.consent_revoke": _l("Recorded that a survivor withdrew consent"),
    "crisis.create": _l("Opened a new crisis case"),
    "crisis.follow_up": _l("Planned a follow-up of a crisis case"),
    "crisis.follow_up_done": _l("Marked a crisis follow-up done"),
    "crisis.link_visit": _l("Linked a clinic visit to a crisis case"),
    "crisis.list": _l("Opened a list of crisis cases (the cases shown)"),
    "crisis.unassign": _l("Took a responder off a crisis case"),
    "crisis.update": _l("Corrected or completed a crisis case"),
    "crisis.view": _l("Opened a crisis case"),
    "crisis.view_restricted": _l("Opened a restricted crisis case (with the reason)"),
    "duelist.view": _l("Opened a due list (the clients shown)"),
    "fund.apply": _l("Asked the emergency fund to pay a cost of a case"),
    "fund.approve": _l("Approved an emergency fund application"),
    "fund.cancel": _l("Cancelled an emergency fund application"),
    "fund.close": _l("Closed an emergency fund to new applications"),
    "fund.create": _l("Opened an emergency fund"),
    "fund.list": _l("Opened the list of emergency fund applications (the applications shown)"),
    "fund.pay": _l("Recorded an emergency fund payment"),
    "fund.refuse": _l("Refused an emergency fund application"),
    "fund.reopen": _l("Opened an emergency fund again"),
    "fund.statement": _l("Exported an emergency fund statement"),
    "fund.top_up": _l("Added money to an emergency fund"),
    "fund.view": _l("Opened an emergency fund application"),
    "hotspot.save": _l("Saved a hotspot"),
    "linelist.export": _l("Exported the de-identified line list"),
    "network.continuity_view": _l("Opened a client's records from other clinics"),
    "network.enrol": _l("Joined the clinic network"),
    "network.leave": _l("Left the clinic network"),
    "network.register_clinic": _l("Registered a clinic on the hub"),
    "network.revoke_clinic": _l("Revoked a clinic on the hub"),
    "network.renumber": _l("Gave a client a new number (another clinic had issued it first)"),
    "network.search": _l("Searched the network for a client"),
    "network.share_consent": _l("Recorded consent to share across clinics"),
    "network.sync": _l("Synchronised with the hub"),
    "network.take_on": _l("Took on a client from another clinic"),
    "network.viewed_elsewhere": _l("A client's record was viewed at another clinic"),
    "outreach.contact": _l("Recorded an outreach contact"),
    "outreach.contacts_view": _l("Opened a list of outreach contacts (the contacts shown)"),
    "quality.view": _l("Opened a data-quality list (the visits shown)"),
    "referral.issue": _l("Issued a referral slip"),
    "referral.list_view": _l("Opened a list of referral slips (the slips shown)"),
    "referral.view": _l("Opened a referral slip"),
    "referral.codes_reserve": _l("Reserved referral codes on a phone for slips issued without signal"),
    "referral.codes_release": _l("Released the unused referral codes of a phone (signed out)"),
    "report.export": _l("Exported a report (small numbers suppressed)"),
    "report.export_exact": _l("Exported a report with exact small numbers"),
    "tracing.assign": _l("Handed a client to a peer educator for tracing"),
    "tracing.list": _l("Opened a tracing list (the clients shown)"),
    "tracing.outcome": _l("Recorded a tracing outcome"),
    "training.create": _l("Recorded a training"),
    "user.clinical_grant_confirmed": _l("A second administrator confirmed clinical access"),
    "user.clinical_grant_unconfirmed": _l("Clinical access given without a second administrator"),
    "user.create": _l("Created an account"),
    "user.language": _l("Changed the language"),
    "user.password_change": _l("Changed own password"),
    "user.update": _l("Changed an account"),
    "visit.create": _l("Recorded a visit"),
    "visit.list": _l("Opened a list of visits (the visits shown)"),
    "visit.update": _l("Corrected a visit"),
    "visit.view": _l("Opened a visit"),
}

# Lines the audit page shows at the top until a second administrator confirms them.
FLAGGED = frozenset({"user.clinical_grant_unconfirmed"})


def label(action: str) -> str:
    return str(ACTIONS.get(action, action))


SYSTEM_WHO = {
    "cli": _l("Command line (computer user %(user)s)"),
    "scheduler": _l("Network scheduler (computer user %(user)s)"),
}


def who(event, username: str | None) -> str:
    """Who wrote a line, in words: the account's username, or for a command or the scheduler (no
    account: the source holds ``cli:osuser``) what ran it and the computer user who started it."""
    if username:
        return username
    system = parse_system_source(event.source)
    if system is not None:
        kind, os_user = system
        return str(SYSTEM_WHO[kind]) % {"user": os_user}
    return ""
