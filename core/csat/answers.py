"""Recording a survey answer: once per link, decided under the case's row lock.

Whether a link was answered is read from the case's events (``csat.requested``
and ``csat.received`` carry the link's nonce) inside the transaction that
writes the answer, after the case row is locked: two answers racing for one
link are judged one after the other, and the second sees the first. Checking
before the transaction would let both through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from casehub.csat.tokens import Ticket
from casehub.model import Case
from casehub.service import CaseService
from casehub.store import cases as store
from casehub.store.tables import events

__all__ = ["ACTOR", "AlreadyAnswered", "Survey", "UnknownSurvey", "look_up", "record_answer"]

ACTOR = "customer"
REQUESTED = "csat.requested"
RECEIVED = "csat.received"


class UnknownSurvey(Exception):
    """A genuine token whose survey this case never sent (a dry run's link, another database)."""


class AlreadyAnswered(Exception):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__("this survey was already answered")
        self.answer = answer


@dataclass(frozen=True)
class Survey:
    """One link's survey as it stands: its case, and its answer if it has one."""

    case: Case
    answer: dict[str, Any] | None


def _state(conn: Connection, case: Case, nonce: str) -> dict[str, Any] | None:
    """The answer given to ``nonce``'s survey, or ``None``; raises :class:`UnknownSurvey`."""
    query = select(events.c.type, events.c.data).where(
        events.c.case_id == case.id, events.c.type.in_((REQUESTED, RECEIVED))
    )
    requested = False
    for type_, data in conn.execute(query):
        if (data or {}).get("nonce") != nonce:
            continue
        if type_ == RECEIVED:
            return dict(data)
        requested = True
    if not requested:
        raise UnknownSurvey(nonce)
    return None


def look_up(service: CaseService, ticket: Ticket) -> Survey:
    """For showing the page; raises ``CaseNotFound`` or :class:`UnknownSurvey`."""
    with service.engine.connect() as conn:
        case = store.fetch_case(conn, ticket.case_id)
        return Survey(case, _state(conn, case, ticket.nonce))


def record_answer(service: CaseService, ticket: Ticket, score: int, comment: str) -> Case:
    """Record ``csat.received`` and set the case's ``csat``; raises :class:`AlreadyAnswered` for a used link."""

    def decide(conn: Connection, case: Case, now: datetime) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
        given = _state(conn, case, ticket.nonce)
        if given is not None:
            raise AlreadyAnswered(given)
        data = {"score": score, "comment": comment, "nonce": ticket.nonce}
        return [(RECEIVED, data)], {"csat": {**data, "at": now.isoformat()}}

    return service.append_locked(ticket.case_id, decide, ACTOR)
