"""Keeping spam out without annoying people: a honeypot, rate limits, and one case for a double post.

Rate limits are token buckets in the database (the delivery engine's), so
they hold across every process that serves forms. A duplicate (same email,
same subject and text, within the window) is answered with the case already
taken in: people who press "send" twice, or reload the thank-you page, get one
case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select

from casehub.delivery import buckets
from casehub.model import CaseDraft
from casehub.plugins.webforms.mapping import Submission
from casehub.plugins.webforms.settings import FormSettings
from casehub.store.cases import format_number
from casehub.store.tables import cases

__all__ = ["Limits", "RateLimited", "duplicate_of", "is_bot", "limits", "take"]


def is_bot(form: FormSettings, submission: Submission) -> bool:
    return bool(form.honeypot and submission.values.get(form.honeypot, "").strip())


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.0f} s")
        self.wait = wait


Limits = list[tuple[str, float, int]]  # bucket, tokens per second, burst


def limits(name: str, form: FormSettings, ip: str, email: str) -> Limits:
    # The email first: a person who posts too often must not use up their office's shared address.
    wanted = [(f"webforms:{name}:email:{email}", form.per_email_per_hour)] if email else []
    wanted.append((f"webforms:{name}:ip:{ip}", form.per_ip_per_hour))
    return [(bucket, per_hour / 3600, per_hour) for bucket, per_hour in wanted]


def take(conn: Connection, wanted: Limits, now: datetime) -> None:
    """A token from each bucket, or ``RateLimited``: raised, so the post's transaction is rolled back and takes none."""
    wait = buckets.take_all(conn, wanted, now)
    if wait > 0:
        raise RateLimited(wait)


# Built once: every post asks.
_SAME_POST = (
    select(cases.c.id, cases.c.seq)
    .where(
        cases.c.contact_email == bindparam("email"),
        cases.c.created_at >= bindparam("since"),
        cases.c.subject == bindparam("subject"),
        cases.c.description == bindparam("description"),
    )
    .order_by(cases.c.seq)
    .limit(1)
)


def duplicate_of(conn: Connection, draft: CaseDraft, window: timedelta, now: datetime) -> tuple[str, str] | None:
    """(id, number) of a case with the same email, subject and text taken in within ``window``."""
    email = draft.contact.email  # as the model normalised it, as it is stored
    if not email:
        return None
    params = {"email": email, "since": now - window, "subject": draft.subject, "description": draft.description}
    row = conn.execute(_SAME_POST, params).first()
    return (row.id, format_number(row.seq)) if row else None
