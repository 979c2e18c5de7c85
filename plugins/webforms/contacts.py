"""Recognising the person behind a post: someone casehub already knows by their email.

The new case takes over what the earlier cases know about them (name, phone,
language, account) where the form left it empty, and records which of their
cases were still open when they wrote (``custom.open_cases``), so whoever picks
the case up sees at once that it may belong with another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from casehub.model import Account, CaseDraft, Contact, Status
from casehub.plugins.webforms.senders import LATEST, Senders
from casehub.store.cases import format_number

__all__ = ["OPEN_CASES_FIELD", "recognise_all"]

OPEN_CASES_FIELD = "open_cases"
_CLOSED = (Status.RESOLVED.value, Status.CLOSED.value)


def recognise_all(known: Senders, drafts: Sequence[CaseDraft]) -> list[CaseDraft]:
    """Each draft with what casehub knows about its sender (``known``: :func:`~casehub.plugins.webforms.senders.senders`).

    Two drafts from the same email must not be in one call: the second would
    not see the first's case. The web forms' writer splits its batches so.
    """
    return [_recognised(d, known[d.contact.email][:LATEST]) if d.contact.email in known else d for d in drafts]


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
