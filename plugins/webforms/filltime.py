"""Minimum fill time: people take a few seconds to fill in a form, bots post at once.

The generated page carries ``_started``, the time it was served, signed with
HMAC-SHA256, so it cannot be forged to look older. A post faster than the
form's ``min_fill_seconds`` is a bot's: answered like a success, not stored.
Posts without the field (an existing Web-to-Case form on your site) are not
checked. Every process serving forms must share ``[webforms] secret``; without
one, each process makes its own and a page served by one fails in another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

__all__ = ["FIELD", "Stamp"]

FIELD = "_started"
MAX_AGE = 24 * 3600  # a page older than a day is refused: reload it


class Stamp:
    def __init__(self, secret: str | None) -> None:
        self._key = (secret or secrets.token_urlsafe(32)).encode()

    def _sign(self, started: str) -> str:
        return hmac.new(self._key, started.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, now: float | None = None) -> str:
        started = f"{(now or time.time()):.3f}"
        return f"{started}.{self._sign(started)}"

    def seconds_taken(self, value: str, now: float | None = None) -> float | None:
        """How long the person took, or ``None`` if the stamp is forged, broken or too old."""
        started, _, signature = value.rpartition(".")
        try:
            at = float(started)
        except ValueError:
            return None
        if not hmac.compare_digest(signature, self._sign(started)):
            return None
        taken = (now or time.time()) - at
        return taken if 0 <= taken <= MAX_AGE else None
