"""Recognising the person behind a post: someone casehub already knows by their email.

The new case takes over what the earlier cases know about them (name, phone,
language, account) where the form left it empty, and records which of their
cases were still open when they wrote (``custom.open_cases``), so whoever picks
the case up sees at once that it may belong with another.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from casehub.model import Account, CaseDraft, Contact, Status
from casehub.store.cases import format_number
from casehub.store.tables import cases

__all__ = ["OPEN_CASES_FIELD", "recognise"]

OPEN_CASES_FIELD = "open_cases"
_CLOSED = (Status.RESOLVED.value, Status.CLOSED.value)
# Built once: every post with an email asks.
_THEIR_CASES = (
    select(cases.c.seq, cases.c.contact, cases.c.account, cases.c.status)
    .where(cases.c.contact_email == bindparam("email"))  # indexed
    .order_by(cases.c.seq.desc())
    .limit(50)
)


def recognise(conn: Connection, draft: CaseDraft) -> CaseDraft:
    email = draft.contact.email
    if not email:
        return draft
    rows = conn.execute(_THEIR_CASES, {"email": email}).all()
    if not rows:
        return draft
    latest = rows[0]
    known = Contact.model_validate(latest.contact)
    contact = draft.contact.model_copy(
        update={k: getattr(known, k) for k in ("name", "phone", "language") if getattr(draft.contact, k) is None}
    )
    update: dict[str, object] = {"contact": contact}
    if draft.account is None and latest.account:
        update["account"] = Account.model_validate(latest.account)
    still_open = [format_number(r.seq) for r in rows if r.status not in _CLOSED]
    if still_open:
        update["custom_fields"] = {**draft.custom_fields, OPEN_CASES_FIELD: ", ".join(reversed(still_open))}
    return draft.model_copy(update=update)
