"""Choosing an agent in a queue: round robin or least open cases, among those who can take the case.

An agent can take a case when they are available, belong to the queue, have
every skill the queue asks for, and — when the queue matches languages — speak
the contact's language. Round robin remembers, in the database, the last agent
it chose per queue, so every API process continues the same rotation. Least
open counts each candidate's open cases with one indexed query a transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casehub.model import Case, Status
from casehub.store.tables import assignment_cursors, cases

if TYPE_CHECKING:
    from casehub.rules.spec import RulesFile

__all__ = ["Assigner", "OpenCounts", "eligible"]

OPEN = [s.value for s in Status if s not in (Status.RESOLVED, Status.CLOSED)]
# Built once (a least-open queue counts on every case it takes in).
_OPEN_COUNTS = (
    select(cases.c.owner, func.count())
    .where(cases.c.owner.in_(bindparam("agents", expanding=True)), cases.c.status.in_(OPEN))
    .group_by(cases.c.owner)
)


def eligible(rules: RulesFile, queue: str, case: Case) -> list[str]:
    """Agents of ``queue`` who can take ``case``, in the order the rules file lists them."""
    spec = rules.queues.get(queue)
    if spec is None:
        return []
    language = (case.contact.language or "").split("-")[0].split("_")[0].lower()
    chosen = []
    for name in spec.agents:
        agent = rules.agents[name]
        if not agent.available or not set(spec.skills) <= set(agent.skills):
            continue
        if spec.match_language and language and language not in agent.languages:
            continue
        chosen.append(name)
    return chosen


class OpenCounts:
    """Open cases per agent, as one transaction sees them while the rules' case writes wait for its end.

    The rules write each case once, after their last round, and a batch of
    cases taken in together (the web forms' group commit) writes them all at
    the end. Counting in the database alone would then miss every case
    assigned earlier in the same transaction (new cases are not even stored
    until the rules are done with them), and least-open would hand a whole
    batch to one agent. So each agent's count is read once, and every
    case whose row still lags what the rules made of it is added through
    :meth:`moved`.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._stored: dict[str, int] = {}
        self._moved: dict[str, int] = {}

    def of(self, agents: list[str]) -> dict[str, int]:
        unknown = [name for name in agents if name not in self._stored]
        if unknown:
            self._stored.update(dict.fromkeys(unknown, 0))
            self._stored.update(self._conn.execute(_OPEN_COUNTS, {"agents": unknown}).all())
        return {name: self._stored[name] + self._moved.get(name, 0) for name in agents}

    def moved(self, stored: Case | None, now: Case) -> None:
        """``stored`` is the case's row as written (``None``: not yet); ``now`` is how the transaction will leave it."""
        for case, step in ((stored, -1), (now, 1)):
            if case is not None and case.owner is not None and str(case.status) in OPEN:
                self._moved[case.owner] = self._moved.get(case.owner, 0) + step


class Assigner:
    """Picks agents inside the transaction that assigns the case."""

    def __init__(self, rules: RulesFile, conn: Connection, now: datetime, counts: OpenCounts | None = None) -> None:
        self.rules = rules
        self.conn = conn
        self.now = now
        self.counts = counts if counts is not None else OpenCounts(conn)

    def distributes(self, queue: str) -> bool:
        spec = self.rules.queues.get(queue)
        return spec is not None and spec.distribution != "none"

    def pick(self, queue: str, case: Case) -> str | None:
        candidates = eligible(self.rules, queue, case)
        if not candidates:
            return None
        if self.rules.queues[queue].distribution == "least_open":
            return self._least_open(candidates)
        return self._round_robin(queue, candidates)

    def _least_open(self, candidates: list[str]) -> str:
        counts = self.counts.of(candidates)
        return min(candidates, key=lambda name: (counts[name], candidates.index(name)))

    def _round_robin(self, queue: str, candidates: list[str]) -> str:
        insert = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        first = candidates[0]
        created = self.conn.execute(
            insert(assignment_cursors)
            .values(queue=queue, last_agent=first, updated_at=self.now)
            .on_conflict_do_nothing()
            .returning(assignment_cursors.c.queue)  # rowcount is not reliable here on every driver
        ).first()
        if created is not None:
            return first
        c = assignment_cursors.c
        last = self.conn.execute(select(c.last_agent).where(c.queue == queue).with_for_update()).scalar_one()
        everyone = self.rules.queues[queue].agents
        # The next candidate after the last one chosen, in the queue's order (the last may be away now).
        start = everyone.index(last) + 1 if last in everyone else 0
        order = everyone[start:] + everyone[:start]
        chosen = next(name for name in order if name in candidates)
        self.conn.execute(update(assignment_cursors).where(c.queue == queue).values(last_agent=chosen, updated_at=self.now))
        return chosen
