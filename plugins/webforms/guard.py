"""Keeping spam out without annoying people: a honeypot, rate limits, and one case for a double post.

Rate limits are token buckets in the database (the delivery engine's), so
they hold across every process that serves forms. A duplicate (same email,
same subject and text, within the window) is answered with the case already
taken in: people who press "send" twice, or reload the thank-you page, get one
case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from casehub.delivery import buckets
from casehub.model import CaseDraft
from casehub.plugins.webforms.mapping import Submission
from casehub.plugins.webforms.senders import Senders
from casehub.plugins.webforms.settings import FormSettings
from casehub.store.cases import format_number

__all__ = ["Limits", "RateLimited", "duplicates_of", "is_bot", "limits", "take"]


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


def take(conn: Connection, wanted: Sequence[Limits], now: datetime) -> list[RateLimited | None]:
    """For each post in order, a token from each of its buckets, or its ``RateLimited`` (then it takes none)."""
    return [RateLimited(wait) if wait > 0 else None for wait in buckets.take_each(conn, wanted, now)]


def duplicates_of(known: Senders, drafts: Sequence[tuple[CaseDraft, timedelta]], now: datetime) -> list[tuple[str, str] | None]:
    """For each (draft, window): (id, number) of a case with the same email, subject and text taken in within the window.

    ``known``: :func:`~casehub.plugins.webforms.senders.senders`, read since the
    longest window. Two drafts from the same email must not be in one call (the
    second would not see the first): the web forms' writer splits its batches so.
    """
    found: list[tuple[str, str] | None] = []
    for draft, window in drafts:
        since = now - window
        first = None
        for row in known.get(draft.contact.email or "", ()):  # latest first: the earliest match is the case to name
            if row.created_at >= since and row.subject == draft.subject and row.description == draft.description:
                first = row
        found.append((first.id, format_number(first.seq)) if first else None)
    return found
