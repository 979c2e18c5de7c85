"""Which case a mail belongs to: our own Message-IDs in its headers, else the case number in its subject.

Replies casehub sends carry ``Message-ID: <casehub.C-000123.<hash>@domain>``
and ``[C-000123]`` in the subject. A customer's answer names our Message-ID
in ``In-Reply-To``/``References`` (mail programs keep those), or at least
keeps the subject; either leads back to the case.
"""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage

__all__ = ["case_reference", "clean_subject", "message_id", "tagged_subject"]

_OUR_ID = re.compile(r"<casehub\.(C-\d{6,})\.[0-9a-f]+@")
_TAG = re.compile(r"\[(C-\d{6,})\]")
_PREFIX = re.compile(r"^\s*((re|aw|fw|fwd|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def message_id(number: str, key: str, domain: str) -> str:
    """Stable for one delivery: a resend after a lost answer has the same id, so mail programs show it once."""
    return f"<casehub.{number}.{hashlib.sha256(key.encode()).hexdigest()[:20]}@{domain}>"


def tagged_subject(number: str, subject: str) -> str:
    one_line = " ".join(subject.split())  # no CR/LF: a header cannot be smuggled in through a subject
    return f"[{number}] {one_line}"[:250]


def clean_subject(subject: str) -> str:
    """The subject without Re:/AW:/Fwd: and without our case tag."""
    return " ".join(_TAG.sub("", _PREFIX.sub("", subject or "")).split())


def case_reference(message: EmailMessage) -> str | None:
    headers = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    found = _OUR_ID.search(headers) or _TAG.search(str(message.get("Subject", "")))
    return found.group(1) if found else None
