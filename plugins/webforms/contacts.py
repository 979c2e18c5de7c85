"""Recognising the person behind a post: someone casehub already knows by their email.

The new case takes over what the earlier cases know about them (name, phone,
language, account) where the form left it empty, and records which of their
cases were still open when they wrote (``custom.open_cases``), so whoever picks
the case up sees at once that it may belong with another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select

from casehub.model import Account, CaseDraft, Contact, Status
from casehub.store.cases import format_number
from casehub.store.tables import cases

__all__ = ["OPEN_CASES_FIELD", "recognise_all"]

OPEN_CASES_FIELD = "open_cases"
_CLOSED = (Status.RESOLVED.value, Status.CLOSED.value)
_KEPT = 50  # of each person's cases, the latest: enough to see what is still open
# Built once: every batch of posts asks. The latest cases of each email, numbered per email.
_latest = (
    select(
        cases.c.contact_email, cases.c.seq, cases.c.contact, cases.c.account, cases.c.status,
        func.row_number().over(partition_by=cases.c.contact_email, order_by=cases.c.seq.desc()).label("n"),
    )
    .where(cases.c.contact_email.in_(bindparam("emails", expanding=True)))  # indexed
    .subquery()
)  # fmt: skip
_THEIR_CASES = select(_latest).where(_latest.c.n <= _KEPT).order_by(_latest.c.contact_email, _latest.c.n)


def recognise_all(conn: Connection, drafts: Sequence[CaseDraft]) -> list[CaseDraft]:
    """Each draft with what casehub knows about its sender; one query for all of them.

    Two drafts from the same email must not be in one call: the second would
    not see the first's case. The web forms' writer splits its batches so.
    """
    emails = sorted({d.contact.email for d in drafts if d.contact.email})
    if not emails:
        return list(drafts)
    found: dict[str, list[Row[Any]]] = {}
    for row in conn.execute(_THEIR_CASES, {"emails": emails}):
        found.setdefault(row.contact_email, []).append(row)
    return [_recognised(d, found[d.contact.email]) if d.contact.email in found else d for d in drafts]


def _recognised(draft: CaseDraft, rows: list[Row[Any]]) -> CaseDraft:
    """``draft`` completed from its sender's cases, latest first."""
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
