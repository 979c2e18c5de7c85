"""Business-hours calendars: hand-checked SLA examples, then properties against a minute-by-minute reference."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from casehub.rules.calendar import DAYS, Calendar, CalendarSettings

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in DAYS[:5]}


def calendar(zone: str = "Europe/Berlin", hours: dict[str, list[str]] | None = None, holidays: tuple[str, ...] = ()) -> Calendar:
    return Calendar.from_settings(CalendarSettings(timezone=zone, hours=hours, holidays=list(holidays)))  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Hand-checked examples ----------------------------------------------------------------------------------


def test_friday_afternoon_ticket_is_due_monday_morning() -> None:
    due = calendar(hours=WEEKDAYS_9_TO_5).add(datetime(2026, 5, 8, 16, tzinfo=BERLIN), timedelta(hours=2))
    assert due == datetime(2026, 5, 11, 10, tzinfo=BERLIN)
    assert due.tzinfo is UTC


def test_target_ending_at_closing_time_is_due_at_closing_not_next_morning() -> None:
    cal = calendar(hours=WEEKDAYS_9_TO_5)
    assert cal.add(datetime(2026, 5, 8, 15, tzinfo=BERLIN), timedelta(hours=2)) == datetime(2026, 5, 8, 17, tzinfo=BERLIN)


def test_zero_duration_is_start_when_open_else_next_opening() -> None:
    cal = calendar(hours=WEEKDAYS_9_TO_5)
    inside = datetime(2026, 5, 8, 10, 15, tzinfo=BERLIN)
    assert cal.add(inside, timedelta(0)) == inside == cal.next_open(inside)
    assert cal.next_open(datetime(2026, 5, 8, 17, tzinfo=BERLIN)) == datetime(2026, 5, 11, 9, tzinfo=BERLIN)
    assert cal.is_open(inside)
    assert not cal.is_open(datetime(2026, 5, 8, 17, tzinfo=BERLIN))


def test_holidays_are_skipped() -> None:
    cal = calendar(hours=WEEKDAYS_9_TO_5, holidays=("2026-12-25", "2026-12-28"))
    # Thursday 24th 16:00 + 2h: 1h on Thursday, Friday 25th and Monday 28th are holidays.
    assert cal.add(datetime(2026, 12, 24, 16, tzinfo=BERLIN), timedelta(hours=2)) == datetime(2026, 12, 29, 10, tzinfo=BERLIN)
    assert cal.elapsed(datetime(2026, 12, 24, tzinfo=BERLIN), datetime(2026, 12, 30, tzinfo=BERLIN)) == timedelta(hours=16)
    assert not cal.is_open(datetime(2026, 12, 25, 10, tzinfo=BERLIN))


def test_overnight_shift_and_which_day_its_hours_belong_to() -> None:
    night = {"fri": ["22:00-06:00"]}
    friday_21 = datetime(2026, 5, 8, 21, tzinfo=BERLIN)
    assert calendar(hours=night).add(friday_21, timedelta(hours=3)) == datetime(2026, 5, 9, 1, tzinfo=BERLIN)
    # A Friday holiday removes only 22:00-24:00; the hours after midnight belong to Saturday.
    assert calendar(hours=night, holidays=("2026-05-08",)).add(friday_21, timedelta(hours=1)) == datetime(2026, 5, 9, 1, tzinfo=BERLIN)
    # A Saturday holiday removes 00:00-06:00, so the clock continues next Friday night.
    due = calendar(hours=night, holidays=("2026-05-09",)).add(datetime(2026, 5, 8, 23, tzinfo=BERLIN), timedelta(hours=2))
    assert due == datetime(2026, 5, 15, 23, tzinfo=BERLIN)
    assert calendar(hours={"fri": ["22:00-00:00"]}).elapsed(friday_21, friday_21 + timedelta(days=1)) == timedelta(hours=2)


def test_spring_forward_day_is_an_hour_shorter() -> None:
    # Europe/Berlin, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    cal = calendar(hours={"sun": ["01:00-04:00"]})
    assert cal.elapsed(utc(2026, 3, 28, 20), utc(2026, 3, 29, 20)) == timedelta(hours=2)
    assert cal.add(utc(2026, 3, 29), timedelta(minutes=90)) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    # 02:30 never happens that day: the range opens at the instant after the gap.
    gap = calendar(hours={"sun": ["02:30-05:00"]})
    assert gap.next_open(utc(2026, 3, 29)) == utc(2026, 3, 29, 1)
    assert gap.elapsed(utc(2026, 3, 28, 20), utc(2026, 3, 29, 20)) == timedelta(hours=2)


def test_fall_back_day_is_an_hour_longer() -> None:
    # Europe/Berlin, Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
    cal = calendar(hours={"sun": ["01:00-04:00"]})
    assert cal.elapsed(utc(2026, 10, 24, 20), utc(2026, 10, 25, 20)) == timedelta(hours=4)
    assert cal.add(utc(2026, 10, 24, 23), timedelta(hours=4)) == utc(2026, 10, 25, 3)  # 04:00 CET
    # 02:30 happens twice: the range opens at the first (CEST) occurrence, closes at 03:00 CEST
    # when the clock shows 02:00 again, and reopens when it shows 02:30 a second time.
    twice = calendar(hours={"sun": ["02:30-05:00"]})
    assert twice.next_open(utc(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    assert not twice.is_open(utc(2026, 10, 25, 1, 15))
    assert twice.elapsed(utc(2026, 10, 24, 20), utc(2026, 10, 25, 20)) == timedelta(hours=3)


def test_new_york_weekend_dst_change_moves_monday_in_utc() -> None:
    # Clocks go forward on Sunday 2026-03-08; Monday 10:00 is then 14:00 UTC, not 15:00.
    due = calendar("America/New_York", WEEKDAYS_9_TO_5).add(datetime(2026, 3, 6, 16, tzinfo=NEW_YORK), timedelta(hours=2))
    assert due == datetime(2026, 3, 9, 10, tzinfo=NEW_YORK) == utc(2026, 3, 9, 14)


def test_lord_howe_half_hour_fall_back() -> None:
    # Australia/Lord_Howe, Sunday 2026-04-05: 02:00 (+11:00) falls back to 01:30 (+10:30).
    cal = calendar("Australia/Lord_Howe", {"sun": ["01:00-03:00"]})
    start = datetime(2026, 4, 5, tzinfo=LORD_HOWE)
    assert cal.elapsed(start, start + timedelta(days=1)) == timedelta(hours=2, minutes=30)


def test_always_is_plain_elapsed_time() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
    # Across the DST change: 40 days of elapsed time, not 40 days of wall-clock arithmetic.
    assert Calendar.always().add(start, timedelta(days=40, seconds=1)) == start.astimezone(UTC) + timedelta(days=40, seconds=1)
    assert calendar().elapsed(start, start.astimezone(UTC) + timedelta(days=3)) == timedelta(days=3)  # no hours: 24/7
    assert Calendar.always().elapsed(start, start - timedelta(hours=1)) == timedelta(0)


def test_long_targets_are_fast_and_agree_with_day_by_day_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    cal = calendar("America/New_York", WEEKDAYS_9_TO_5, ("2026-07-03", "2026-11-26", "2026-12-25", "2027-01-01"))
    start, target = datetime(2026, 2, 2, 11, 17, 5, 3, tzinfo=NEW_YORK), timedelta(hours=40 * 60 + 3)
    began = time.perf_counter()
    due = cal.add(start, target)
    assert time.perf_counter() - began < 0.5
    assert cal.elapsed(start, due) == target
    monkeypatch.setattr(Calendar, "_plain_week", lambda self, cursor: False)
    assert cal.add(start, target) == due


def test_holidays_covering_every_open_day_raise_instead_of_looping() -> None:
    mondays = [str(date(2026, 1, 5) + timedelta(weeks=n)) for n in range(160)]
    cal = calendar(hours={"mon": ["09:00-10:00"]}, holidays=tuple(mondays))
    with pytest.raises(ValueError, match="no business time within two years"):
        cal.add(utc(2026, 1, 1), timedelta(minutes=1))
    assert cal.elapsed(utc(2026, 1, 1), utc(2028, 1, 1)) == timedelta(0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Europe/Berlinn"}, "unknown time zone 'Europe/Berlinn': expected an IANA name"),
        ({"hours": {"monday": ["09:00-17:00"]}}, "unknown day 'monday': expected one of mon, tue"),
        ({"hours": {"mon": ["9-17"]}}, "mon: bad time range '9-17': expected 'HH:MM-HH:MM'"),
        ({"hours": {"mon": ["09:00-24:30"]}}, "bad time range '09:00-24:30'"),
        ({"hours": {"mon": ["24:00-06:00"]}}, "bad time range '24:00-06:00'"),
        ({"hours": {"mon": ["09:60-10:00"]}}, "bad time range '09:60-10:00'"),
        ({"hours": {"tue": ["09:00-09:00"]}}, "tue: range '09:00-09:00' is empty"),
        ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "mon '09:00-12:00' overlaps mon '11:00-13:00' on mon"),
        ({"hours": {"fri": ["22:00-06:00"], "sat": ["05:00-09:00"]}}, "fri '22:00-06:00' overlaps sat '05:00-09:00' on sat"),
        ({"hours": {"mon": [], "tue": []}}, "no business time in the week"),
        ({"holidays": ["2026-13-01"]}, "holidays.0"),
        ({"timezone_name": "UTC"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_say_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        CalendarSettings(**{"timezone": "Europe/Berlin", **fields})  # type: ignore[arg-type]


def test_naive_datetimes_and_negative_durations_are_rejected() -> None:
    cal = Calendar.always()
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        cal.add(datetime(2026, 1, 1), timedelta(hours=1))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        cal.elapsed(utc(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add(utc(2026, 1, 1), timedelta(hours=-1))


def test_calendar_is_immutable() -> None:
    with pytest.raises(AttributeError):
        Calendar.always().tz = BERLIN  # type: ignore[misc]


# --- Properties against a reference that looks at every minute ----------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "Asia/Kolkata"]
# Days around the 2026 DST changes of those zones, so that generated windows often contain one.
ANCHORS = [utc(2026, 3, 8), utc(2026, 3, 29), utc(2026, 4, 5), utc(2026, 9, 6), utc(2026, 9, 27), utc(2026, 10, 4), utc(2026, 10, 25), utc(2026, 11, 1)]
SLOT = 15  # minutes; ranges are generated on a quarter-hour grid
SLOTS_PER_DAY = 24 * 60 // SLOT
MINUTE = timedelta(minutes=1)


def clock(slot: int) -> str:
    return f"{slot * SLOT // 60:02d}:{slot * SLOT % 60:02d}"


class Reference:
    """Open iff this minute's local wall time is in a range of its local date (or yesterday's overnight tail)."""

    def __init__(self, zone: str, hours: dict[str, list[str]] | None, holidays: list[date], start: datetime) -> None:
        self.zone, self.holidays, self.start = ZoneInfo(zone), set(holidays), start
        self.ranges = {day: [self.parse(text) for text in hours.get(day, [])] for day in DAYS} if hours is not None else None
        self.minutes: list[bool] = []

    @staticmethod
    def parse(text: str) -> tuple[int, int]:
        start, end = text.split("-")
        return int(start[:2]) * 60 + int(start[3:]), int(end[:2]) * 60 + int(end[3:])

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        if self.ranges is None:
            return True
        now = local.hour * 60 + local.minute
        today, yesterday = DAYS[local.weekday()], DAYS[local.weekday() - 1]
        same_day = any(a <= now < b if a < b else a <= now for a, b in self.ranges[today])
        return same_day or any(now < b for a, b in self.ranges[yesterday] if a > b)

    def open_at(self, minute: int) -> bool:
        while len(self.minutes) <= minute:
            self.minutes.append(self.is_open(self.start + len(self.minutes) * MINUTE))
        return self.minutes[minute]

    def add(self, minutes: int) -> datetime:
        minute = 0
        while True:
            if self.open_at(minute):
                if minutes == 0:
                    return self.start + minute * MINUTE
                minutes -= 1
                if minutes == 0:
                    return self.start + (minute + 1) * MINUTE
            minute += 1

    def elapsed(self, minutes: int) -> timedelta:
        return sum(self.open_at(m) for m in range(minutes)) * MINUTE


@st.composite
def cases(draw: st.DrawFn) -> tuple[CalendarSettings, Reference, int]:
    """A random calendar, a minute-aligned start near a DST change, and a reference clock; plus open minutes a week."""
    zone = draw(st.sampled_from(ZONES))
    start = draw(st.sampled_from(ANCHORS)) + timedelta(minutes=draw(st.integers(-10 * 1440, 10 * 1440)))
    hours: dict[str, list[str]] | None = None
    open_slots = set(range(7 * SLOTS_PER_DAY))
    if draw(st.integers(0, 9)):
        hours, open_slots = {day: [] for day in draw(st.sets(st.sampled_from(DAYS)))}, set()
        # Bias towards 02:00, 02:30 and 03:00, the wall times DST changes move.
        slot = st.one_of(st.integers(0, SLOTS_PER_DAY - 1), st.sampled_from([8, 10, 12]))
        for day, first, last in draw(st.lists(st.tuples(st.integers(0, 6), slot, st.one_of(slot, st.just(SLOTS_PER_DAY))), min_size=1, max_size=8)):
            span = range(first, last if last > first else last + SLOTS_PER_DAY)
            slots = {(day * SLOTS_PER_DAY + s) % (7 * SLOTS_PER_DAY) for s in span}
            if first != last and not slots & open_slots:
                open_slots |= slots
                hours.setdefault(DAYS[day], []).append(f"{clock(first)}-{clock(last)}")
        assume(open_slots)
    holidays = sorted({start.date() + timedelta(days=d) for d in draw(st.lists(st.integers(-3, 25), max_size=4))})
    settings_ = CalendarSettings(timezone=zone, hours=hours, holidays=holidays)
    return settings_, Reference(zone, hours, holidays, start), len(open_slots) * SLOT


@settings(max_examples=200, deadline=None)
@given(case=cases(), data=st.data())
def test_add_and_elapsed_match_the_minute_by_minute_reference(case: tuple[CalendarSettings, Reference, int], data: st.DataObject) -> None:
    settings_, reference, weekly_minutes = case
    cal, start = Calendar.from_settings(settings_), reference.start
    minutes = data.draw(st.integers(0, min(3 * 1440, 2 * weekly_minutes)), label="minutes")

    due = cal.add(start, timedelta(minutes=minutes))
    assert due == reference.add(minutes)
    assert due.tzinfo is UTC
    assert cal.elapsed(start, due) == timedelta(minutes=minutes)
    assert cal.next_open(start) == reference.add(0)
    assert cal.is_open(start) == reference.open_at(0)

    until = data.draw(st.integers(-60, int((due - start) / MINUTE) + 1440), label="until")
    assert cal.elapsed(start, start + until * MINUTE) == reference.elapsed(until)

    more = data.draw(st.integers(0, 600), label="more")
    assert cal.add(start, timedelta(minutes=minutes + more)) >= due
    later = start + data.draw(st.integers(0, 3000), label="later") * MINUTE
    assert cal.add(later, timedelta(minutes=minutes)) >= due


@settings(max_examples=60, deadline=None)
@given(case=cases(), weeks=st.integers(1, 30), extra=st.timedeltas(timedelta(0), timedelta(days=3)), shift=st.integers(0, 59_999_999))
def test_long_targets_round_trip_and_agree_with_day_by_day_walk(
    case: tuple[CalendarSettings, Reference, int], weeks: int, extra: timedelta, shift: int
) -> None:
    cal = Calendar.from_settings(case[0])
    start, target = case[1].start + timedelta(microseconds=shift), weeks * timedelta(minutes=case[2]) + extra
    due = cal.add(start, target)
    assert cal.elapsed(start, due) == target
    walk_only = Calendar.from_settings(case[0])
    object.__setattr__(walk_only, "_plain_week", lambda cursor: False)
    assert walk_only.add(start, target) == due
