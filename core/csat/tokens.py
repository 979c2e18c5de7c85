"""Survey links: ``{public_url}/csat/{token}``, the token signed with ``[csat] secret``.

The token carries the case id and a random nonce, and the time it was signed.
It is not encrypted (the case id is no secret), but it cannot be made up or
changed without the secret, so a customer can answer for their own survey
only. Single use is not the token's job: the nonce is looked up in the case's
events when an answer comes in (:mod:`casehub.csat.answers`).

The signing time is the hub's clock, not the machine's, so tests and the
expiry agree; the age is checked here, not by itsdangerous, which would also
call a link signed a second "in the future" (clocks of two machines) expired.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from casehub.settings import CoreSettings

__all__ = ["ExpiredLink", "InvalidLink", "IssuedLink", "SurveyLinks", "Ticket"]

SALT = "casehub-csat"


class InvalidLink(Exception):
    """Not a token this casehub signed: garbled, tampered with, or signed with another secret."""


class ExpiredLink(Exception):
    """A genuine link older than ``[csat] max_age_days``."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("this survey link has expired")
        self.ticket = ticket


@dataclass(frozen=True)
class IssuedLink:
    url: str
    token: str
    nonce: str
    expires_at: datetime


@dataclass(frozen=True)
class Ticket:
    """What a genuine token says: which case, which survey (nonce), and when it was signed."""

    case_id: str
    nonce: str
    signed_at: datetime


class _SignedAt(TimestampSigner):
    """A timestamp signer whose "now" is given (the hub's clock), not ``time.time()``."""

    def __init__(self, *args: Any, at: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._at = int(at.timestamp())

    def get_timestamp(self) -> int:
        return self._at


class SurveyLinks:
    """Issues and reads survey links; built from the settings when ``[csat] secret`` is set."""

    def __init__(self, secret: str, public_url: str, max_age: timedelta) -> None:
        self._secret = secret
        self.base = public_url.rstrip("/") + "/csat/"
        self.max_age = max_age

    @classmethod
    def from_settings(cls, settings: CoreSettings) -> SurveyLinks | None:
        csat = settings.csat
        if csat.secret is None:
            return None
        return cls(csat.secret.get_secret_value(), settings.casehub.public_url, timedelta(days=csat.max_age_days))

    def __repr__(self) -> str:  # never the secret
        return f"SurveyLinks(base={self.base!r}, max_age={self.max_age})"

    def _serializer(self, at: datetime) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._secret, salt=SALT, signer=_SignedAt, signer_kwargs={"at": at, "digest_method": hashlib.sha256}
        )

    def issue(self, case_id: str, now: datetime) -> IssuedLink:
        nonce = secrets.token_urlsafe(12)
        token = self._serializer(now).dumps([case_id, nonce])
        signed = datetime.fromtimestamp(int(now.timestamp()), now.tzinfo)
        return IssuedLink(self.base + token, token, nonce, signed + self.max_age)

    def read(self, token: str, now: datetime) -> Ticket:
        """The ticket of a genuine, unexpired token; raises :class:`InvalidLink` or :class:`ExpiredLink`."""
        if not token.isascii() or len(token) > 512:
            raise InvalidLink("not a survey token")
        try:
            payload, signed_at = self._serializer(now).loads(token, return_timestamp=True)
        except BadData:
            raise InvalidLink("not a survey token") from None
        if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(p, str) and p for p in payload)):
            raise InvalidLink("not a survey token")  # signed by us, but not a survey (another salt would fail above)
        ticket = Ticket(payload[0], payload[1], signed_at)
        if now - signed_at > self.max_age:
            raise ExpiredLink(ticket)
        return ticket
