"""Group commit on real SQLite and PostgreSQL: batches, a failing job alone rolled back, nothing told before the commit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from casehub.hub import Hub
from casehub.store.group_commit import GroupCommit, WriterClosed

HubFactory = Callable[..., Hub]


def _table(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parents (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO parents (id) VALUES (1)"))
        # Checked at COMMIT, not per statement: a way to make a whole batch's commit fail.
        conn.execute(
            text("CREATE TABLE notes (body VARCHAR(50), parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)")
        )


def _note(body: str, parent: int = 1) -> Any:
    def work(conn: Connection) -> str:
        conn.execute(text("INSERT INTO notes (body, parent) VALUES (:b, :p)"), {"b": body, "p": parent})
        return body

    return work


def _notes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT body FROM notes")).scalars())


@pytest.fixture
def hub(make_hub: HubFactory, any_database_url: str) -> Hub:
    made = make_hub(database_url=any_database_url)
    _table(made.engine)
    return made


def _gate(writer: GroupCommit) -> tuple[threading.Event, Future[None]]:
    """A job that holds the writer until the event is set, so that what is submitted meanwhile forms one batch."""
    release = threading.Event()
    busy = threading.Event()

    def hold(conn: Connection) -> None:
        busy.set()
        release.wait(10)

    future = writer.submit(hold)
    assert busy.wait(10)
    return release, future


def test_jobs_waiting_together_are_committed_together_and_each_gets_its_result(hub: Hub) -> None:
    writer = GroupCommit(hub.engine)
    release, held = _gate(writer)
    futures = [writer.submit(_note(f"n{i}")) for i in range(10)]
    release.set()

    assert [f.result(10) for f in futures] == [f"n{i}" for i in range(10)]
    held.result(10)
    assert writer.batches == 2 and writer.jobs == 11  # the holding job's batch, then all ten in one
    assert _notes(hub.engine) == sorted(f"n{i}" for i in range(10))
    writer.close()


def test_a_job_that_fails_stores_nothing_and_the_rest_of_its_batch_is_stored(hub: Hub) -> None:
    def half_then_fail(conn: Connection) -> None:
        _note("half")(conn)
        raise ValueError("refused after writing")

    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    before = writer.submit(_note("before"))
    failing = writer.submit(half_then_fail)
    after = writer.submit(_note("after"))
    release.set()

    with pytest.raises(ValueError, match="refused after writing"):
        failing.result(10)
    assert before.result(10) == "before" and after.result(10) == "after"
    assert _notes(hub.engine) == ["after", "before"]
    writer.close()


def test_a_failed_commit_fails_every_job_of_the_batch_and_stores_none(hub: Hub) -> None:
    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    good = writer.submit(_note("good"))
    orphan = writer.submit(_note("orphan", parent=99))  # fine until the deferred check at COMMIT
    release.set()

    for future in (good, orphan):
        with pytest.raises(Exception, match="(?i)foreign key"):
            future.result(10)
    assert _notes(hub.engine) == []
    assert writer.submit(_note("next")).result(10) == "next"  # the writer goes on
    writer.close()


def test_the_result_is_given_only_once_another_connection_can_read_the_row(hub: Hub) -> None:
    seen: list[list[str]] = []
    writer = GroupCommit(hub.engine)
    future = writer.submit(_note("durable"), after=lambda _: seen.append(_notes(hub.engine)))
    assert future.result(10) == "durable"
    assert _notes(hub.engine) == ["durable"]
    writer.close()
    assert seen == [["durable"]]  # `after` runs once committed


def test_close_finishes_what_was_queued_and_refuses_what_comes_later(hub: Hub) -> None:
    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    queued = [writer.submit(_note(f"q{i}")) for i in range(3)]
    closer = threading.Thread(target=writer.close)
    closer.start()
    release.set()
    closer.join(10)

    assert [f.result(0) for f in queued] == ["q0", "q1", "q2"]
    with pytest.raises(WriterClosed):
        writer.submit(_note("late"))
    assert _notes(hub.engine) == ["q0", "q1", "q2"]


class _Notes:
    """A handler for ``submit_item``: a note per item in one statement; an item named ``bad*`` makes the call raise.

    It remembers the items of every call, so a test sees how the writer handed them over.
    """

    def __init__(self, *, refuse: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.refuse = refuse  # answered with an exception of its own, writing nothing

    def __call__(self, conn: Connection, items: list[str]) -> list[Any]:
        self.calls.append(list(items))
        kept = [item for item in items if item != self.refuse]
        conn.execute(text("INSERT INTO notes (body, parent) VALUES (:b, 1)"), [{"b": item} for item in kept])
        if any(item.startswith("bad") for item in items):
            raise ValueError(f"cannot take {[i for i in items if i.startswith('bad')][0]}")
        return [LookupError(f"{item} refused") if item == self.refuse else item.upper() for item in items]


def test_items_waiting_together_reach_their_handler_in_one_call(hub: Hub) -> None:
    handler = _Notes()
    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    futures = [writer.submit_item(handler, f"i{n}") for n in range(6)]
    release.set()

    assert [f.result(10) for f in futures] == [f"I{n}" for n in range(6)]
    assert handler.calls == [[f"i{n}" for n in range(6)]]
    assert _notes(hub.engine) == [f"i{n}" for n in range(6)]
    writer.close()


def test_an_item_its_handler_refuses_gets_its_exception_and_the_others_are_stored(hub: Hub) -> None:
    handler = _Notes(refuse="i2")
    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    futures = [writer.submit_item(handler, f"i{n}") for n in range(4)]
    release.set()

    with pytest.raises(LookupError, match="i2 refused"):
        futures[2].result(10)
    assert [futures[n].result(10) for n in (0, 1, 3)] == ["I0", "I1", "I3"]
    assert handler.calls == [["i0", "i1", "i2", "i3"]], "a refusal is an answer, not a reason to run the items again"
    assert _notes(hub.engine) == ["i0", "i1", "i3"]
    writer.close()


def test_a_handler_that_raises_for_a_batch_is_given_each_item_alone(hub: Hub) -> None:
    handler = _Notes()
    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    futures = {item: writer.submit_item(handler, item) for item in ("a", "bad", "c")}
    release.set()

    with pytest.raises(ValueError, match="cannot take bad"):
        futures["bad"].result(10)
    assert futures["a"].result(10) == "A" and futures["c"].result(10) == "C"
    assert handler.calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    assert _notes(hub.engine) == ["a", "c"], "what the failed batch call and the failed item wrote is gone"
    writer.close()


def test_plain_jobs_between_items_keep_their_place_and_never_reach_the_handler(hub: Hub) -> None:
    order: list[str] = []
    notes = _Notes()

    def handler(conn: Connection, items: list[str]) -> list[Any]:
        order.extend(items)
        return notes(conn, items)

    def job(conn: Connection) -> str:
        order.append("job")
        return _note("job")(conn)

    writer = GroupCommit(hub.engine)
    release, _ = _gate(writer)
    first = [writer.submit_item(handler, item) for item in ("i1", "i2")]
    plain = writer.submit(job)
    second = [writer.submit_item(handler, item) for item in ("i3", "i4")]
    release.set()

    assert [f.result(10) for f in first + second] == ["I1", "I2", "I3", "I4"] and plain.result(10) == "job"
    assert order == ["i1", "i2", "job", "i3", "i4"]
    assert notes.calls == [["i1", "i2"], ["i3", "i4"]]
    assert writer.batches == 2, "the holding job's batch, then the five together"
    assert _notes(hub.engine) == ["i1", "i2", "i3", "i4", "job"]
    writer.close()


def test_under_load_a_batch_stays_open_for_jobs_that_keep_coming(hub: Hub) -> None:
    """Jobs sent one after another, each within the gap, join the batch they follow instead of each paying a commit."""
    writer = GroupCommit(hub.engine, gap=0.5, hold=5.0)  # wide margins: the test must not depend on the machine's speed
    try:
        release, gate = _gate(writer)
        load = [writer.submit(_note(body)) for body in ("load 1", "load 2")]  # waiting together: one batch of two
        release.set()
        for f in (gate, *load):
            f.result(10)
        first = writer.submit(_note("a"))
        later = []
        for body in ("b", "c"):
            threading.Event().wait(0.05)
            later.append(writer.submit(_note(body)))
        assert [f.result(10) for f in (first, *later)] == ["a", "b", "c"]
        assert writer.batches == 3, "the gate, the two that waited for it, then a, b and c together"
    finally:
        writer.close()
    assert _notes(hub.engine) == ["a", "b", "c", "load 1", "load 2"]


def test_with_no_load_a_job_does_not_wait_for_company(hub: Hub) -> None:
    writer = GroupCommit(hub.engine, gap=30.0, hold=30.0)
    try:
        assert writer.submit(_note("alone")).result(10) == "alone"  # it would take 30 s if it waited
        assert writer.submit(_note("again")).result(10) == "again"
    finally:
        writer.close()
    assert _notes(hub.engine) == ["again", "alone"]


def test_after_a_pause_the_writer_survives_a_database_that_dropped_its_connection(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer keeps its connection while busy; after a pause it takes a checked one, as if the server had restarted."""
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("a server that drops connections is a PostgreSQL matter")
    monkeypatch.setattr(GroupCommit, "FRESH_AFTER", 0.05)
    writer = GroupCommit(hub.engine)
    try:
        assert writer.submit(_note("before")).result(10) == "before"
        session = writer.submit(lambda conn: conn.execute(text("SELECT pg_backend_pid()")).scalar_one()).result(10)
        with hub.engine.connect() as admin:  # what a restart does to the writer's session
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": session})
        threading.Event().wait(0.2)
        assert writer.submit(_note("after")).result(10) == "after"
    finally:
        writer.close()
    assert _notes(hub.engine) == ["after", "before"]
