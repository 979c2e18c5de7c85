"""The stretch of time a report covers, and the one before it (for trends).

Periods are half-open, ``[since, until)``, in UTC: a case resolved at exactly
``until`` belongs to the next period, so consecutive reports never count a
case twice. Dates without a time mean midnight UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["DEFAULT_DAYS", "Period", "parse_moment"]

DEFAULT_DAYS = 30
# Far enough from datetime's own limits that the previous period (for trends) can always be computed.
_FIRST, _LAST = 1970, 9000


def parse_moment(value: str, name: str) -> datetime:
    """``2026-07-01`` or an ISO 8601 timestamp; naming the option in the error."""
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: expected a date (2026-07-01) or an ISO 8601 time, got {value!r}") from None
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        moment = datetime.min.replace(tzinfo=UTC)
    if not _FIRST <= moment.year <= _LAST:
        raise ValueError(f"{name}: expected a time between the years {_FIRST} and {_LAST}, got {value!r}")
    return moment


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError(f"until ({self.until.isoformat()}) must be after since ({self.since.isoformat()})")
        if self.until - self.since > timedelta(days=3 * 366):
            raise ValueError("a report covers at most three years: narrow --since/--until")

    @classmethod
    def of(cls, since: str | datetime | None, until: str | datetime | None, now: datetime) -> Period:
        """The period asked for; by default the last 30 days up to ``now``."""
        end = parse_moment(until, "until") if isinstance(until, str) else (until or now)
        start = parse_moment(since, "since") if isinstance(since, str) else (since or end - timedelta(days=DEFAULT_DAYS))
        return cls(start, end)

    @property
    def length(self) -> timedelta:
        return self.until - self.since

    def previous(self) -> Period:
        """The period of the same length just before this one: what a trend compares with."""
        return Period(self.since - self.length, self.since)

    def days(self) -> list[date]:
        """The UTC days the period touches, for charts over time."""
        first, last = self.since.date(), (self.until - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def as_json(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}
