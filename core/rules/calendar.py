"""Business-hours calendars: the clock an SLA runs on.

A support lead writes a calendar in the rules file::

    timezone: Europe/Berlin
    hours:
      mon: ["09:00-17:00"]
      tue: ["09:00-12:00", "13:00-17:00"]
      fri: ["22:00-06:00"]        # overnight: Friday 22:00 to Saturday 06:00
      sat: ["00:00-24:00"]
    holidays: ["2026-12-25", "2026-12-26"]

and "first reply within 4 business hours" becomes
``calendar.add(created_at, timedelta(hours=4))``.

The semantics follow one rule, so that they can be stated and tested exactly: an
instant is *open* when its local wall-clock time (the instant converted to the
calendar's zone by :mod:`zoneinfo`) lies inside a range for its local date and that
date is not a holiday. Consequences a support lead may ask about:

* Overnight: ``fri: ["22:00-06:00"]`` is Friday 22:00-24:00 plus Saturday
  00:00-06:00. The part after midnight belongs to Saturday, so a holiday on Saturday
  removes it and a holiday on Friday does not. ``22:00-00:00`` runs until midnight.
  Omitting ``hours`` means open around the clock (holidays still apply); a day
  that is left out or given ``[]`` is closed.
* Daylight saving: hours are wall-clock times, so a day whose range contains the
  spring-forward gap is an hour shorter, and one containing the repeated fall-back
  hour is an hour longer. A wall time in the gap never happens, so a range starting
  there opens at the instant after the gap. An ambiguous wall time is first reached
  at its first occurrence (fold=0), which is where a range starting there opens;
  the repeated stretch is open again on its second pass if it lies inside a range.
* ``add(start, timedelta(0))`` is ``start`` when open, else the next opening: a
  zero-length target is due when someone can first act on it. When the duration
  runs out exactly at closing time, the result is the closing time, not the next
  opening. Results are aware UTC datetimes; naive inputs are rejected because
  guessing their zone would silently shift every deadline.
* A calendar with no weekly business time is rejected when it is built. One whose
  holidays leave no opening for two years makes ``add`` raise instead of searching
  forever.

Instants are integer microseconds since the epoch, so results are exact. The walk
moves a UTC day at a time and jumps a whole week when that week has no holiday and
no offset change, because such a week holds exactly the weekly total; that keeps
targets of many weeks cheap. A zone's UTC offset is assumed not to change and change
back within one day (real zones do not).
"""

from __future__ import annotations

import functools

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["DAYS", "Calendar", "CalendarSettings"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_US = timedelta(microseconds=1)
_MINUTE = 60 * 10**6
_DAY = 24 * 60 * _MINUTE
_WEEK = 7 * _DAY
_SEARCH_LIMIT = 2 * 366 * _DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_EPOCH_WEEKDAY = _EPOCH.weekday()
_RANGE = re.compile(r"([0-9]{2}):([0-9]{2})\s*-\s*([0-9]{2}):([0-9]{2})")

# Per weekday, Monday first: sorted, non-overlapping [start, end) in microseconds after local midnight.
Week = tuple[tuple[tuple[int, int], ...], ...]


class CalendarSettings(BaseModel):
    """One calendar as written in a rules file (see the module docstring for the format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str
    hours: dict[str, list[str]] | None = None
    holidays: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        _zone(value)
        return value

    @field_validator("hours")
    @classmethod
    def _valid_week(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is not None:
            _compile_hours(value)
        return value


@dataclass(frozen=True, eq=False)
class Calendar:
    """A compiled calendar: immutable, so one instance can serve every rule and thread.

    Build it with :meth:`from_settings` or :meth:`always`.
    """

    tz: tzinfo
    week: Week
    holidays: frozenset[date] = frozenset()
    _weekly: int = field(init=False, repr=False)
    _holiday_days: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        weekly = sum(end - start for day in self.week for start, end in day)
        if len(self.week) != 7 or weekly <= 0:
            raise ValueError("a calendar needs business time in its week; an SLA on it could never be met")
        object.__setattr__(self, "_weekly", weekly)
        object.__setattr__(self, "_holiday_days", tuple(sorted(d.toordinal() - _EPOCH_ORDINAL for d in self.holidays)))

    @classmethod
    def from_settings(cls, settings: CalendarSettings) -> Calendar:
        week = _ALWAYS_WEEK if settings.hours is None else _compile_hours(settings.hours)
        return cls(_zone(settings.timezone), week, frozenset(settings.holidays))

    @classmethod
    def always(cls) -> Calendar:
        """24/7 with no holidays: SLAs in plain elapsed time."""
        return cls(timezone.utc, _ALWAYS_WEEK)

    def is_open(self, at: datetime) -> bool:
        _aware(at, "at")
        local = at.astimezone(self.tz)
        if local.date() in self.holidays:
            return False
        since_midnight = ((local.hour * 60 + local.minute) * 60 + local.second) * 10**6 + local.microsecond
        return any(start <= since_midnight < end for start, end in self.week[local.weekday()])

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening."""
        return self.add(at, timedelta(0))

    # Remembered: cases taken in together share their moment (a batch of web form posts), so under one
    # policy they share their due times, and walking the calendar again for each would cost more than the rest
    # of their SLA bookkeeping.
    @functools.lru_cache(maxsize=256)  # noqa: B019 (calendars live as long as the process: no leak)
    def add(self, start: datetime, duration: timedelta) -> datetime:
        """When ``duration`` of business time has passed since ``start``; a due date."""
        _aware(start, "start")
        remaining = duration // _US
        if remaining < 0:
            raise ValueError(f"duration must not be negative, got {duration}")
        cursor = last_open = _instant(start)
        while True:
            if remaining > self._weekly and self._plain_week(cursor):
                remaining -= self._weekly
                cursor = last_open = cursor + _WEEK
                continue
            for lo, hi in self._open_within_day(cursor):
                if hi - lo >= remaining:
                    return _datetime(lo + remaining)
                remaining -= hi - lo
                last_open = hi
            cursor += _DAY
            if cursor - last_open > _SEARCH_LIMIT:
                raise ValueError(f"no business time within two years after {_datetime(last_open).isoformat()}; do holidays cover every open day?")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants; zero when ``end`` is not after ``start``."""
        _aware(start, "start")
        _aware(end, "end")
        cursor, stop, total = _instant(start), _instant(end), 0
        while cursor < stop:
            if cursor + _WEEK <= stop and self._plain_week(cursor):
                total += self._weekly
                cursor += _WEEK
                continue
            for lo, hi in self._open_within_day(cursor):
                if lo >= stop:
                    break
                total += min(hi, stop) - lo
            cursor += _DAY
        return timedelta(microseconds=total)

    def _offset(self, instant: int) -> int:
        return _datetime(instant).astimezone(self.tz).utcoffset() // _US  # type: ignore[operator]

    def _plain_week(self, cursor: int) -> bool:
        """Whether [cursor, cursor + 1 week) holds exactly the weekly total: one offset, no holiday."""
        offset = self._offset(cursor)
        samples = [cursor + k * _DAY for k in range(1, 7)] + [cursor + _WEEK - 1]
        if any(self._offset(s) != offset for s in samples):
            return False
        first, last = (cursor + offset) // _DAY, (cursor + _WEEK - 1 + offset) // _DAY
        i = bisect_left(self._holiday_days, first)
        return i == len(self._holiday_days) or self._holiday_days[i] > last

    def _open_within_day(self, cursor: int) -> Iterator[tuple[int, int]]:
        """Open intervals inside [cursor, cursor + 1 day), in order, as UTC microseconds.

        Within a stretch of constant offset, wall time is UTC plus the offset, so each
        range of each local date the stretch touches maps back by subtracting it.
        """
        holidays = self._holiday_days
        for lo, hi, offset in self._constant_offsets(cursor, cursor + _DAY):
            wall_lo, wall_hi = lo + offset, hi + offset
            for day in range(wall_lo // _DAY, (wall_hi - 1) // _DAY + 1):
                i = bisect_left(holidays, day)
                if i < len(holidays) and holidays[i] == day:
                    continue
                midnight = day * _DAY
                for start, end in self.week[(day + _EPOCH_WEEKDAY) % 7]:
                    open_lo, open_hi = max(midnight + start, wall_lo), min(midnight + end, wall_hi)
                    if open_lo < open_hi:
                        yield open_lo - offset, open_hi - offset

    def _constant_offsets(self, lo: int, hi: int) -> Iterator[tuple[int, int, int]]:
        """Split [lo, hi) where the UTC offset changes, finding each change by bisection."""
        while lo < hi:
            offset = self._offset(lo)
            if self._offset(hi - 1) == offset:
                yield lo, hi, offset
                return
            same, changed = lo, hi - 1
            while changed - same > 1:
                middle = (same + changed) // 2
                if self._offset(middle) == offset:
                    same = middle
                else:
                    changed = middle
            yield lo, changed, offset
            lo = changed


_ALWAYS_WEEK: Week = tuple(((0, _DAY),) for _ in DAYS)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Berlin' or 'UTC'") from None


def _compile_hours(hours: dict[str, list[str]]) -> Week:
    """Split overnight ranges at midnight, then reject overlaps naming both ranges as written."""
    pieces: list[list[tuple[int, int, str]]] = [[] for _ in DAYS]
    for day, ranges in hours.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}: expected one of {', '.join(DAYS)}")
        index = DAYS.index(day)
        for text in ranges:
            start, end = _parse_range(day, text)
            written = f"{day} {text!r}"
            if start < end:
                pieces[index].append((start, end, written))
            else:
                pieces[index].append((start, 24 * 60, written))
                if end:
                    pieces[(index + 1) % 7].append((0, end, written))
    week = []
    for index, day_pieces in enumerate(pieces):
        day_pieces.sort()
        for (_, end, first), (start, _, second) in zip(day_pieces, day_pieces[1:]):
            if start < end:
                raise ValueError(f"{first} overlaps {second} on {DAYS[index]}: ranges must not overlap")
        week.append(tuple((start * _MINUTE, end * _MINUTE) for start, end, _ in day_pieces))
    if not any(week):
        raise ValueError("hours has no business time in the week, so an SLA could never be met; omit hours for 24/7")
    return tuple(week)


def _parse_range(day: str, text: str) -> tuple[int, int]:
    """Minutes after midnight; ``end < start`` means the range runs overnight."""
    match = _RANGE.fullmatch(text.strip())
    numbers = [int(part) for part in match.groups()] if match else []
    if not numbers or numbers[0] > 23 or numbers[1] > 59 or numbers[3] > 59 or numbers[2] * 60 + numbers[3] > 24 * 60:
        raise ValueError(f"{day}: bad time range {text!r}: expected 'HH:MM-HH:MM' from 00:00 to 23:59 (24:00 allowed as the end), e.g. '09:00-17:00'")
    start, end = numbers[0] * 60 + numbers[1], numbers[2] * 60 + numbers[3]
    if start == end:
        raise ValueError(f"{day}: range {text!r} is empty because it starts where it ends; use '00:00-24:00' for a whole day")
    return start, end


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}; attach a zone, e.g. UTC")


def _instant(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _datetime(instant: int) -> datetime:
    return _EPOCH + timedelta(microseconds=instant)
