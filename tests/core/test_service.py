"""The case service on SQLite and PostgreSQL: commands, events, versions, the status machine."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from casehub import hookimpl
from casehub.errors import CaseNotFound, InvalidTransition, VersionConflict
from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft, CommentDraft, Status
from casehub.store.cases import CaseFilter
from casehub.store.tables import cases, events, outbox


@pytest.fixture
def db_hub(make_hub: Callable[..., Hub], any_database_url: str) -> Hub:
    return make_hub(database_url=any_database_url)


def count(hub: Hub, table) -> int:  # type: ignore[no-untyped-def]
    with hub.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def draft(subject: str = "Printer on fire", **extra: object) -> CaseDraft:
    return CaseDraft.model_validate({"subject": subject, "contact": {"email": "ada@example.com", "name": "Ada"}, **extra})


def test_create_stores_case_with_number_version_and_created_event(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(priority="high", tags=["VIP", "vip", "billing"]), actor="api")

    assert case.number == "C-000001"
    assert (case.status, case.priority, case.version) == (Status.NEW, "high", 1)
    assert case.tags == ["vip", "billing"]
    assert case.created_at.tzinfo is not None
    timeline = db_hub.service.events(case.id)
    assert [e.type for e in timeline] == ["case.created"]
    assert timeline[0].actor == "api"
    assert timeline[0].data["subject"] == "Printer on fire"


def test_numbers_grow_and_cases_are_found_by_id_or_number(db_hub: Hub) -> None:
    first = db_hub.service.create(draft("one"), actor="api")
    second = db_hub.service.create(draft("two"), actor="api")

    assert (first.number, second.number) == ("C-000001", "C-000002")
    assert first.id < second.id  # ULIDs sort by creation time
    for ref in (second.id, "C-000002", "c-2", "2"):
        assert db_hub.service.get(ref).id == second.id
    with pytest.raises(CaseNotFound, match="C-000099"):
        db_hub.service.get("C-000099")


def test_update_records_changes_status_and_assignment_events(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(), actor="api")

    changed = db_hub.service.update(
        case.id, CaseChanges(version=1, status="open", priority="urgent", queue="tier2"), actor="agent:bob"
    )

    assert (changed.version, changed.status, changed.priority, changed.queue) == (2, "open", "urgent", "tier2")
    timeline = db_hub.service.events(case.id)
    assert [e.type for e in timeline] == ["case.created", "case.updated", "case.status_changed", "case.assigned"]
    assert timeline[1].data["changes"] == {
        "status": ["new", "open"],
        "priority": ["normal", "urgent"],
        "queue": [None, "tier2"],
    }
    assert timeline[2].data == {"from": "new", "to": "open"}
    assert {e.actor for e in timeline[1:]} == {"agent:bob"}


def test_stale_version_is_refused_and_nothing_changes(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(), actor="api")
    db_hub.service.update(case.id, CaseChanges(version=1, priority="high"), actor="a")

    with pytest.raises(VersionConflict) as caught:
        db_hub.service.update(case.id, CaseChanges(version=1, priority="low"), actor="b")

    assert (caught.value.expected, caught.value.current) == (1, 2)
    assert db_hub.service.get(case.id).priority == "high"
    assert len(db_hub.service.events(case.id)) == 2


def test_illegal_transition_names_current_requested_and_allowed(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(), actor="api")
    db_hub.service.set_status(case.id, Status.CLOSED, actor="a")

    with pytest.raises(InvalidTransition) as caught:
        db_hub.service.set_status(case.id, Status.OPEN, actor="a")

    message = str(caught.value)
    assert "'closed'" in message and "'open'" in message and "final" in message
    assert db_hub.service.get(case.id).status == Status.CLOSED


def test_resolve_reopen_and_close_keep_timestamps_right(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(), actor="api")
    resolved = db_hub.service.set_status(case.id, Status.RESOLVED, actor="a")
    assert resolved.resolved_at is not None

    with pytest.raises(InvalidTransition) as caught:
        db_hub.service.set_status(case.id, Status.PENDING, actor="a")
    assert caught.value.allowed == ["closed", "open"]

    reopened = db_hub.service.set_status(case.id, Status.OPEN, actor="a")
    assert reopened.resolved_at is None
    closed = db_hub.service.set_status(case.id, Status.CLOSED, actor="a")
    assert closed.closed_at is not None and closed.resolved_at is not None


def test_unchanged_values_write_no_event_and_keep_the_version(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(priority="high"), actor="api")

    same = db_hub.service.update(case.id, CaseChanges(version=1, priority="high"), actor="a")

    assert same.version == 1
    assert len(db_hub.service.events(case.id)) == 1


def test_first_response_is_the_first_public_reply_by_someone_other_than_the_customer(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(), actor="api")

    after_customer, _ = db_hub.service.comment(
        case.id, CommentDraft(body="Any news?", public=True, author="ADA@example.com"), actor="email"
    )
    after_note, _ = db_hub.service.comment(case.id, CommentDraft(body="checking logs"), actor="agent:bob")
    assert after_customer.first_response_at is None and after_note.first_response_at is None

    replied, event = db_hub.service.comment(case.id, CommentDraft(body="Fixed it", public=True), actor="agent:bob")
    assert replied.first_response_at is not None
    assert event.data == {"body": "Fixed it", "public": True, "author": "agent:bob"}
    again, _ = db_hub.service.comment(case.id, CommentDraft(body="Also…", public=True), actor="agent:eve")
    assert again.first_response_at == replied.first_response_at
    assert again.version == 5


def test_list_filters_search_and_pages_without_gaps(db_hub: Hub) -> None:
    for n in range(8):
        db_hub.service.create(draft(f"case {n}", priority="high" if n % 2 else "low", queue=f"q{n % 3}"), actor="api")
    db_hub.service.create(draft("100% broken_thing"), actor="api")

    seen, cursor = [], None
    while True:
        page = db_hub.service.list(CaseFilter(), limit=3, cursor=cursor)
        seen += [c.number for c in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == [f"C-{n:06d}" for n in range(9, 0, -1)]

    high_q1 = db_hub.service.list(CaseFilter(priority=["high"], queue="q1"), limit=50).items
    assert [c.subject for c in high_q1] == ["case 7", "case 1"]
    # % and _ are literals in a search, not wildcards
    assert [c.subject for c in db_hub.service.list(CaseFilter(q="0% b"), limit=50).items] == ["100% broken_thing"]
    assert db_hub.service.list(CaseFilter(q="k_n"), limit=50).items == []
    assert len(db_hub.service.list(CaseFilter(q="ADA@EXAMPLE"), limit=50).items) == 9


def test_invalid_cursor_is_a_clear_error(db_hub: Hub) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        db_hub.service.list(CaseFilter(), limit=3, cursor="not-a-cursor")


def test_concurrent_updates_with_the_same_version_let_exactly_one_win(db_hub: Hub) -> None:
    case = db_hub.service.create(draft(), actor="api")
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def update(priority: str) -> None:
        barrier.wait()
        try:
            db_hub.service.update(case.id, CaseChanges(version=1, priority=priority), actor=priority)
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=update, args=(p,)) for p in ("low", "high", "urgent", "low")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    assert db_hub.service.get(case.id).version == 2


class Planner:
    """Plans one delivery per event, like a connector would."""

    @hookimpl
    def plan_deliveries(self, event, case):  # type: ignore[no-untyped-def]
        from casehub.outbox import Delivery

        return [Delivery(destination="crm", action="upsert", key="cases", payload={"event": event.type})]


def test_case_events_and_outbox_rows_are_written_together(
    db_hub: Hub, register_plugin: Callable[..., object]
) -> None:
    db_hub.plugins.register(Planner(), "crm")
    case = db_hub.service.create(draft(), actor="api")
    db_hub.service.set_status(case.id, Status.OPEN, actor="a")

    with db_hub.engine.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.id)).mappings().all()
    assert [r["payload"]["event"] for r in rows] == ["case.created", "case.updated", "case.status_changed"]
    assert {r["status"] for r in rows} == {"pending"}
    assert len({r["idempotency_key"] for r in rows}) == 3


def _fail_outbox_inserts(hub: Hub) -> None:
    """A real database failure after the event is written: the outbox insert is refused by a trigger."""
    with hub.engine.begin() as conn:
        if hub.is_sqlite:
            conn.exec_driver_sql(
                "CREATE TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox full'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION outbox_full() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'outbox full'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER outbox_full BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_full()"
            )


def test_failure_after_the_event_write_leaves_no_case_event_or_outbox_row(db_hub: Hub) -> None:
    db_hub.plugins.register(Planner(), "crm")
    kept = db_hub.service.create(draft("kept"), actor="api")
    _fail_outbox_inserts(db_hub)

    with pytest.raises(Exception, match="outbox full"):
        db_hub.service.create(draft("lost?"), actor="api")
    with pytest.raises(Exception, match="outbox full"):
        db_hub.service.update(kept.id, CaseChanges(version=1, priority="urgent"), actor="api")

    assert count(db_hub, cases) == 1 and count(db_hub, events) == 1 and count(db_hub, outbox) == 1
    assert db_hub.service.get(kept.id).priority == "normal"
    assert db_hub.service.get(kept.id).version == 1


def test_an_admission_check_that_refuses_undoes_the_whole_create(db_hub: Hub) -> None:
    db_hub.plugins.register(Planner(), "crm")
    seen: list[int] = []

    def admit(conn) -> None:  # type: ignore[no-untyped-def]
        seen.append(conn.execute(select(func.count()).select_from(events)).scalar_one())  # it sees the case's events
        raise RuntimeError("no token left")

    with pytest.raises(RuntimeError, match="no token left"):
        db_hub.service.create(draft("refused"), actor="api", admit=admit)
    admitted = db_hub.service.create(draft("admitted"), actor="api", admit=lambda conn: None)

    assert seen == [1]
    assert count(db_hub, cases) == 1 and count(db_hub, events) == 1 and count(db_hub, outbox) == 1
    assert db_hub.service.get(admitted.number).subject == "admitted"


def test_the_event_log_refuses_updates_and_deletes(db_hub: Hub) -> None:
    db_hub.service.create(draft(), actor="api")

    for statement in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"):
            with db_hub.engine.begin() as conn:
                conn.exec_driver_sql(statement)
    assert [e.actor for e in db_hub.service.events("C-000001")] == ["api"]


def test_cases_handed_to_the_writer_together_come_out_as_if_each_came_alone(
    make_hub: Callable[..., Hub], any_database_url: str
) -> None:
    """The recipe of docs/plugins.md ("Taking in many cases at once"), with the example rules on."""
    import asyncio
    from pathlib import Path

    rules = Path(__file__).resolve().parents[2] / "config" / "rules.yaml"
    hub = make_hub({"rules": {"file": str(rules)}}, database_url=any_database_url)

    def take_in(conn, drafts: list[CaseDraft]):  # type: ignore[no-untyped-def]
        return hub.service.create_all_in(conn, [(d, "widget", ()) for d in drafts])

    async def receive(d: CaseDraft):  # type: ignore[no-untyped-def]
        d = await asyncio.to_thread(hub.service.prepare, d)
        appended = await asyncio.wrap_future(hub.writer.submit_item(take_in, d, after=hub.service.notify))
        return appended.case

    async def burst():  # type: ignore[no-untyped-def]
        drafts = [draft(f"Lamp {n} flickers", channel="web", contact={"email": f"p{n}@example.com"}) for n in range(6)]
        return await asyncio.gather(*(receive(d) for d in drafts))

    release = threading.Event()
    held = hub.writer.submit(lambda conn: release.wait(10))  # the writer is busy until all six wait for it
    threading.Thread(target=lambda: _release_when(hub, 6, release), daemon=True).start()
    batches = hub.writer.batches
    taken = asyncio.run(burst())
    held.result(10)
    assert hub.writer.batches - batches == 2, "the holding job, then the six in one transaction"
    numbers = [c.number for c in taken]
    assert len(set(numbers)) == 6 and count(hub, cases) == 6
    stored = [hub.service.get(n) for n in numbers]
    assert sorted(c.owner or "" for c in stored) == ["ada", "ada", "grace", "grace", "linus", "linus"], "least open"
    for case in stored:
        acks = [e for e in hub.service.events(case.number) if e.type == "comment.added"]
        assert len(acks) == 1 and case.number in acks[0].data["body"] and case.sla, case.number


def _release_when(hub: Hub, waiting: int, release: threading.Event) -> None:
    while hub.writer.waiting < waiting:
        threading.Event().wait(0.01)
    release.set()


class Witness:
    """Records the case each event is planned against: a connector builds its payload from it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []

    @hookimpl
    def plan_deliveries(self, event, case):  # type: ignore[no-untyped-def]
        self.seen.append((event.type, case.number, case.owner))


@pytest.mark.parametrize("with_rules", [True, False])
def test_plugins_plan_against_the_case_with_its_number_whether_or_not_rules_run(
    make_hub: Callable[..., Hub], any_database_url: str, with_rules: bool
) -> None:
    """With rules the number is drawn before the case is stored, without them the insert gives it: plugins see it either way."""
    from pathlib import Path

    rules = Path(__file__).resolve().parents[2] / "config" / "rules.yaml"
    hub = make_hub({"rules": {"file": str(rules)}} if with_rules else None, database_url=any_database_url)
    witness = Witness()
    hub.plugins.register(witness, "witness")
    made = [hub.service.create(draft(f"Lamp {n}", channel="web"), actor="api") for n in range(2)]
    assert made[0].number != made[1].number and all(c.number.startswith("C-") for c in made)
    planned = {number for _, number, _ in witness.seen}
    assert planned == {c.number for c in made}, witness.seen
    created = [(number, owner) for type_, number, owner in witness.seen if type_ == "case.created"]
    assert [n for n, _ in created] == [c.number for c in made]
    if with_rules:  # the acknowledgement the rules wrote names the case it answers
        ack = [e for e in hub.service.events(made[1].number) if e.type == "comment.added"][0]
        assert made[1].number in ack.data["body"]
