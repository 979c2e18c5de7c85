"""Commands on cases: each one a state change, its events and its outbox rows in ONE transaction.

Every public method follows the same path: read (locking the row where the
database can), validate against the status machine and the caller's version,
write the case, append events, ask plugins which deliveries the events cause
and store those — then commit, and only after commit tell observers. Nothing
external is called inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from ulid import ULID

from casehub import attachments
from casehub.attachments import AttachmentDraft
from casehub.errors import InvalidTransition, VersionConflict
from casehub.model import Case, CaseChanges, CaseDraft, CommentDraft, Event, Status, allowed_transitions
from casehub.journal import Journal, write_journals
from casehub.rules import episodes
from casehub.rules.assignment import OpenCounts
from casehub.rules.conditions import build_context
from casehub.rules.engine import AUTOMATION_TICK
from casehub.rules.runner import ACTOR, run_rules
from casehub.store import cases as store
from casehub.store.engine import write_connection

if TYPE_CHECKING:
    from casehub.hub import Hub

__all__ = ["Appended", "CaseService", "Page", "jsonable", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Appended:
    """What one command wrote: its events (with the rules' own), outbox rows, and the case as it ended."""

    events: list[Event]
    enqueued: int
    case: Case


@dataclass(frozen=True)
class _Command:
    """One case's part of :meth:`CaseService._append_all`: what happened to it, and the look the rules take (if not that)."""

    case: Case
    pending: list[tuple[str, dict[str, Any]]]
    actor: str
    start: list[Event] | None = None
    new: bool = False  # not stored yet: inserted once the rules are done with it


@dataclass(frozen=True)
class Page:
    items: list[Case]
    next_cursor: str | None


Pending = list[tuple[str, dict[str, Any]]]
# See CaseService.append_locked: (connection, locked case, now) -> (events, case fields they set).
Decide = Callable[[Connection, Case, datetime], tuple[Pending, dict[str, Any]]]

# Fields whose change is its own event type, so rules can trigger on "status changed".
_ASSIGNMENT = ("queue", "owner")


def jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if hasattr(value, "value") else value


class CaseService:
    """The only writer of cases, events and outbox rows."""

    def __init__(self, engine: Engine, hub: Hub, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.hub = hub
        self.clock = clock

    # -- reads -----------------------------------------------------------------

    def get(self, ref: str) -> Case:
        with self.engine.connect() as conn:
            return store.fetch_case(conn, ref)

    def list(self, flt: store.CaseFilter, *, limit: int = 50, cursor: str | None = None) -> Page:
        with self.engine.connect() as conn:
            return Page(*store.list_cases(conn, flt, limit=limit, cursor=cursor))

    def events(self, ref: str, *, after: int = 0, limit: int = 500) -> list[Event]:
        with self.engine.connect() as conn:
            case = store.fetch_case(conn, ref)
            return store.list_events(conn, case.id, after=after, limit=limit)

    # -- commands ----------------------------------------------------------------

    def create(
        self,
        draft: CaseDraft,
        actor: str,
        *,
        files: Sequence[AttachmentDraft] = (),
        admit: Callable[[Connection], None] | None = None,
        rules: bool = True,
    ) -> Case:
        """Take a case in; ``files`` are stored with it, in the same transaction.

        ``admit`` runs last in that transaction, just before the commit: a check
        that must hold together with the case (a rate-limit token, say) and
        whose locks should be held as briefly as possible. If it raises,
        nothing of the case is stored.

        ``rules=False`` stores the case without the rules reacting: an import
        of past cases must not acknowledge, assign or escalate them again.
        """
        draft = self.prepare(draft)
        with write_connection(self.engine) as conn:
            appended = self.create_in(conn, draft, actor, files=files, rules=rules)
            if admit is not None:
                admit(conn)
        self.notify(appended)
        return appended.case

    def prepare(self, draft: CaseDraft) -> CaseDraft:
        """The draft as the ``intake`` plugins leave it; call it outside any transaction (plugins may look things up)."""
        return self.hub.plugins.intake(draft, self.hub)

    def create_in(
        self, conn: Connection, draft: CaseDraft, actor: str, *, files: Sequence[AttachmentDraft] = (), rules: bool = True
    ) -> Appended:
        """Store a case from a :meth:`prepare`d draft in the caller's write transaction; call :meth:`notify` after the commit.

        For callers that write more in the same transaction.
        """
        return self.create_all_in(conn, [(draft, actor, files)], rules=rules)[0]

    def create_all_in(
        self, conn: Connection, items: Sequence[tuple[CaseDraft, str, Sequence[AttachmentDraft]]], *, rules: bool = True
    ) -> list[Appended]:
        """:meth:`create_in` for several cases (draft, actor, files) at once, as a batch of statements.

        The hub's :class:`~casehub.store.group_commit.GroupCommit` hands the web
        forms' posts over in batches: the cases are inserted in one statement,
        the rules' changes written in one per column set, the events and the
        outbox rows in one each, whatever the number of cases. Each case comes
        out exactly as if it had been taken in alone, after the ones before it.
        """
        if not items:
            return []
        now = self.clock()
        # The rules name the case (an acknowledgement says "your request C-000123"), so with rules the
        # number is drawn before the case is stored, and it is stored once they are done; without, the
        # case is stored first and the insert numbers it.
        named = rules and self.hub.rules is not None
        numbers = store.new_numbers(conn, len(items)) if named else [""] * len(items)
        drafted = [
            Case.model_construct(
                **{name: getattr(draft, name) for name in CaseDraft.model_fields},
                number=number,
                id=str(ULID()),
                status=Status.NEW,
                is_escalated=False,
                sla=[],
                csat=None,
                created_at=now,
                updated_at=now,
                first_response_at=None,
                resolved_at=None,
                closed_at=None,
                version=1,
                reopens=0,
                agent_replies=0,
                escalated_at=None,
            )
            for number, (draft, _, _) in zip(numbers, items)
        ]
        if not named:
            drafted = store.insert_cases(conn, drafted)
        commands, files_rows = [], []
        for case, (draft, actor, files) in zip(drafted, items):
            snapshot = draft.model_dump(mode="json", exclude_defaults=True)
            if files:
                rows, snapshot["attachments"] = attachments.number(conn, case.id, list(files), now)
                files_rows.extend(rows)
            commands.append(_Command(case, [("case.created", snapshot)], actor, new=named))
        if not named:
            attachments.store(conn, files_rows)
            files_rows = []
        return self._append_all(conn, commands, now, rules=rules, files=files_rows)

    def update(self, ref: str, changes: CaseChanges, actor: str, *, rules: bool = True) -> Case:
        """``rules=False``: see :meth:`create`."""
        return self._change(ref, changes.changed(), actor, version=changes.version, rules=rules)

    def assign(self, ref: str, actor: str, *, queue: Any = ..., owner: Any = ..., version: int | None = None) -> Case:
        fields = {k: v for k, v in (("queue", queue), ("owner", owner)) if v is not ...}
        return self._change(ref, fields, actor, version=version)

    def set_status(self, ref: str, status: Status, actor: str, *, version: int | None = None) -> Case:
        return self._change(ref, {"status": Status(status)}, actor, version=version)

    def comment(self, ref: str, comment: CommentDraft, actor: str) -> tuple[Case, Event]:
        now = self.clock()
        with write_connection(self.engine) as conn:
            case = store.fetch_case(conn, ref, for_update=True)
            author = comment.author or actor
            values: dict[str, Any] = {"updated_at": now}
            contact_email = (case.contact.email or "").lower()
            if comment.public and author.lower() not in (contact_email, ACTOR):
                values["agent_replies"] = case.agent_replies + 1
                if case.first_response_at is None:
                    values["first_response_at"] = now
            updated = self.write(conn, case, case.version, values)
            data = {"body": comment.body, "public": comment.public, "author": author}
            appended = self._append(conn, updated, [("comment.added", data)], actor, now)
        self.notify(appended)
        return appended.case, appended.events[0]

    def append(
        self, ref: str, events: list[tuple[str, dict[str, Any]]], actor: str, *, changes: dict[str, Any] | None = None
    ) -> Case:
        """Record what a plugin learnt about a case (``feedback.resolved``), with the field changes it implies.

        One transaction: the changes (if any, as ``case.updated``…), then the
        events, then the rules, which react to all of them as to any change.
        Event types are the plugin's own, ``<plugin-topic>.<what>``.
        """
        now = self.clock()
        with write_connection(self.engine) as conn:
            case = store.fetch_case(conn, ref, for_update=True)
            pending = list(events)
            diff = {k: v for k, v in (changes or {}).items() if jsonable(getattr(case, k)) != jsonable(v)}
            if diff:
                values, implied = self.consequences(case, diff, now)
                case = self.write(conn, case, case.version, values)
                pending = [*implied, *pending]
            appended = self._append(conn, case, pending, actor, now)
        self.notify(appended)
        return appended.case

    def append_locked(self, ref: str, decide: Decide, actor: str) -> Case:
        """Record events that are valid only against the case as it is now (a survey answer, taken once).

        ``decide(conn, case, now)`` runs inside the transaction once the case's
        row is locked, so callers racing for the same case are judged one after
        the other, each seeing what the one before wrote. It raises to refuse
        (nothing is written) or returns the events and the case fields they set.
        The fields are written without a ``case.updated``: the events are the
        record of what happened, and the rules react to them.
        """
        now = self.clock()
        with write_connection(self.engine) as conn:
            case = store.fetch_case(conn, ref, for_update=True)
            pending, fields = decide(conn, case, now)
            if fields:
                case = self.write(conn, case, case.version, {**fields, "updated_at": now})
            appended = self._append(conn, case, pending, actor, now)
        self.notify(appended)
        return appended.case

    # -- timers ------------------------------------------------------------------

    def fire_timers(self, *, limit: int = 500) -> int:
        """Fire SLA warnings and breaches that have come due; returns how many cases had one.

        Finds them through the indexed ``next_sla_at`` column, never by looking
        at every case. Each clock records what it fired, in the same transaction
        as the event, so a second scheduler (or a restart) fires nothing twice.
        """
        if self.hub.rules is None or not self.hub.rules.sla:
            return 0
        now = self.clock()
        with self.engine.connect() as conn:
            due = store.due_timers(conn, now, limit)
        fired = 0
        for case_id in due:
            with write_connection(self.engine) as conn:
                case = store.fetch_case(conn, case_id, for_update=True)
                clocks, pending = self.hub.rules.sla.due(case, now)
                if clocks is None:
                    continue
                updated = self.write(conn, case, case.version, {"sla": clocks})
                appended = self._append(conn, updated, pending, "sla", now)
            self.notify(appended)
            fired += 1
        return fired

    def run_automations(self, *, page: int = 500) -> int:
        """Look at every case that is not closed; fire each automation whose episode starts now.

        Returns how many automations fired. Conditions are judged first outside
        any transaction, then again under the case's row lock before firing, so
        a case changed in between is judged as it is.
        """
        engine = self.hub.rules
        if engine is None or not engine.automations:
            return 0
        now = self.clock()
        fired = 0
        after = 0
        while True:
            with self.engine.connect() as conn:
                cases = store.open_cases_page(conn, after, page)
                running = episodes.open_episodes(conn, [c.id for _, c in cases]) if cases else set()
            if not cases:
                return fired
            ended: list[tuple[str, str]] = []
            for _, case in cases:
                ctx = build_context(case, event_type=AUTOMATION_TICK, now=now)
                due = []
                for automation in engine.automations:
                    holds = automation.predicate(ctx)
                    if holds and (case.id, automation.name) not in running:
                        due.append(automation.name)
                    elif not holds and (case.id, automation.name) in running:
                        ended.append((case.id, automation.name))
                if due:
                    fired += self._automate(case.id, due, now)
            if ended:
                with write_connection(self.engine) as conn:
                    episodes.end_episodes(conn, ended)
            after = cases[-1][0]

    def _automate(self, case_id: str, due: list[str], now: datetime) -> int:
        look = Event(id=0, case_id=case_id, type=AUTOMATION_TICK, at=now, actor="automations", data={"automations": due})
        with write_connection(self.engine) as conn:
            case = store.fetch_case(conn, case_id, for_update=True)
            appended = self._append(conn, case, [], "automations", now, start=[look])
        self.notify(appended)
        return sum(1 for e in appended.events if e.type == "rule.fired" and e.data.get("kind") == "automation")

    # -- the shared path -------------------------------------------------------

    def _change(self, ref: str, fields: dict[str, Any], actor: str, *, version: int | None, rules: bool = True) -> Case:
        now = self.clock()
        with write_connection(self.engine) as conn:
            case = store.fetch_case(conn, ref, for_update=True)
            if version is not None and version != case.version:
                raise VersionConflict(case.number, version, case.version)
            diff = {k: v for k, v in fields.items() if jsonable(getattr(case, k)) != jsonable(v)}
            if not diff:
                return case
            values, pending = self.consequences(case, diff, now)
            updated = self.write(conn, case, case.version, values)
            appended = self._append(conn, updated, pending, actor, now, rules=rules)
        self.notify(appended)
        return appended.case

    @staticmethod
    def consequences(case: Case, diff: dict[str, Any], now: datetime) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
        """Column values and events that follow from a change (status timestamps, assignment)."""
        values = {**diff, "updated_at": now}
        changes = {k: [jsonable(getattr(case, k)), jsonable(v)] for k, v in diff.items()}
        pending: list[tuple[str, dict[str, Any]]] = [("case.updated", {"changes": changes})]
        if "status" in diff:
            new = Status(diff["status"])
            if new not in allowed_transitions(case.status):
                raise InvalidTransition(case.status, new, allowed_transitions(case.status))
            if new is Status.RESOLVED:
                values["resolved_at"] = now
            elif new is Status.CLOSED:
                values["closed_at"] = now
                values.setdefault("resolved_at", case.resolved_at or now)
            elif case.status is Status.RESOLVED:
                values["resolved_at"] = None
                values["reopens"] = case.reopens + 1
            pending.append(("case.status_changed", {"from": str(case.status), "to": str(new)}))
        if diff.get("is_escalated") is True and case.escalated_at is None:
            values["escalated_at"] = now
        if any(k in diff for k in _ASSIGNMENT):
            pending.append(("case.assigned", {k: changes[k] for k in _ASSIGNMENT if k in changes}))
        return values, pending

    @staticmethod
    def write(conn: Connection, case: Case, version: int, values: dict[str, Any]) -> Case:
        """Write ``values`` on ``case`` if it is still at ``version``; returns the case as stored."""
        updated = store.update_case(conn, case.id, version, values)
        if updated is None:  # only reachable where the row could not be locked
            current = store.fetch_case(conn, case.id)
            raise VersionConflict(case.number, version, current.version)
        return updated

    def _append(
        self,
        conn: Connection,
        case: Case,
        pending: list[tuple[str, dict[str, Any]]],
        actor: str,
        now: datetime,
        *,
        rules: bool = True,
        start: list[Event] | None = None,
    ) -> Appended:
        """Record the events, let the rules react to them (or to ``start``), then write it all, in the caller's transaction."""
        return self._append_all(conn, [_Command(case, pending, actor, start)], now, rules=rules)[0]

    def _append_all(
        self, conn: Connection, commands: list[_Command], now: datetime, *, rules: bool = True, files: Sequence[dict[str, Any]] = ()
    ) -> list[Appended]:
        """:meth:`_append` for several cases, one after the other; their writes are batched at the end.

        New cases (:meth:`create_all_in`) are inserted once, as the rules leave
        them, then ``files`` (their attachments' rows); the others' changes are
        written as updates.
        """
        engine = self.hub.rules if rules else None
        counts = OpenCounts(conn) if engine is not None else None
        journals, finished, changes = [], [], []
        for command in commands:
            journal = Journal(command.case.id, now)
            batch = journal.extend(command.pending, command.actor, command.case)
            case = command.case
            if counts is not None:
                case, changed = run_rules(self, conn, journal, case, batch if command.start is None else command.start, now, counts)
                if command.new:
                    counts.moved(None, case)
                elif changed:
                    changes.append((case.id, command.case.version, changed))
                    counts.moved(command.case, case)
                    case = case.model_copy(update={"version": command.case.version + 1})
            journals.append(journal)
            finished.append(case)
        new = [case for command, case in zip(commands, finished) if command.new]
        if new:  # numbered already (create_all_in drew their numbers)
            store.insert_cases(conn, new)
            attachments.store(conn, list(files))
        stale = store.apply_updates(conn, changes) if changes else []
        if stale:  # only reachable where the row could not be locked
            case = next(c for c in finished if c.id == stale[0])
            raise VersionConflict(case.number, case.version - 1, store.fetch_case(conn, case.id).version)
        written = write_journals(conn, self.hub, journals)
        return [Appended(events, enqueued, case) for (events, enqueued), case in zip(written, finished)]

    def notify(self, appended: Appended) -> None:
        """Tell this process's delivery worker and the ``event_committed`` plugins; after the commit only."""
        if appended.enqueued:
            self.hub.deliveries_enqueued()
        if self.hub.plugins.has_impls("event_committed"):
            for event in appended.events:
                self.hub.plugins.event_committed(event, appended.case, self.hub)
