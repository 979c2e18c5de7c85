"""What casehub already holds from the people behind a batch of posts, read in one query.

Two checks look at a sender's earlier cases: the double-post check (the same
subject and text within the form's window) and contact recognition (the latest
cases: who they are, what is still open). Both read the same rows by the same
indexed email, so one query per batch serves both: each email's latest cases,
plus any older ones still inside the longest double-post window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, or_, select

from casehub.store.tables import cases

__all__ = ["LATEST", "Senders", "senders"]

LATEST = 50  # of each person's cases, the latest: enough to see what is still open

_numbered = (
    select(
        cases.c.id, cases.c.seq, cases.c.contact_email, cases.c.subject, cases.c.description, cases.c.created_at,
        cases.c.contact, cases.c.account, cases.c.status,
        func.row_number().over(partition_by=cases.c.contact_email, order_by=cases.c.seq.desc()).label("n"),
    )
    .where(cases.c.contact_email.in_(bindparam("emails", expanding=True)))  # indexed
    .subquery()
)  # fmt: skip
# Built once: every batch of posts asks.
_HISTORY = (
    select(_numbered)
    .where(or_(_numbered.c.n <= LATEST, _numbered.c.created_at >= bindparam("since")))
    .order_by(_numbered.c.contact_email, _numbered.c.n)
)

Senders = dict[str, list[Row[Any]]]  # email -> their cases, latest first


def senders(conn: Connection, emails: Iterable[str | None], since: datetime) -> Senders:
    """Each email's latest cases and every one taken in since ``since``, latest first."""
    wanted = sorted({email for email in emails if email})  # as the model normalised them, as stored
    found: Senders = {}
    if wanted:
        for row in conn.execute(_HISTORY, {"emails": wanted, "since": since}):
            found.setdefault(row.contact_email, []).append(row)
    return found
