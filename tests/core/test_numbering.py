"""Numbers drawn before rows are written, on real SQLite and PostgreSQL: never given twice, in step with the database's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.store.engine import write_connection
from casehub.store.numbering import draw
from casehub.store.tables import events

HubFactory = Callable[..., Hub]


@pytest.fixture
def hub(make_hub: HubFactory, any_database_url: str) -> Hub:
    return make_hub(database_url=any_database_url)


def _event(case_id: str, **extra: Any) -> dict[str, Any]:
    return {"case_id": case_id, "type": "note", "at": datetime.now(UTC), "actor": "test", "data": {}, **extra}


def test_numbers_drawn_one_after_another_never_overlap_even_unused(hub: Hub) -> None:
    with write_connection(hub.engine) as conn:
        first = draw(conn, events, "id", 3)
        second = draw(conn, events, "id", 2)  # the first three are not inserted: still theirs
    with write_connection(hub.engine) as conn:
        third = draw(conn, events, "id", 1)
    assert first == sorted(first) and len(set(first + second + third)) == 6
    assert min(second) > max(first) and min(third) > max(second)


def test_a_plain_insert_after_a_draw_gets_a_number_above_it_and_a_draw_after_inserts_above_them(hub: Hub) -> None:
    case = hub.service.create(CaseDraft(subject="Lamp"), "test")  # the events table has rows and its sequence a mark
    with write_connection(hub.engine) as conn:
        drawn = draw(conn, events, "id", 4)
        conn.execute(insert(events), [_event(case.id, id=n) for n in drawn])
        plain = conn.execute(insert(events).returning(events.c.id), _event(case.id)).scalar_one()
    assert plain > max(drawn)
    with write_connection(hub.engine) as conn:
        assert draw(conn, events, "id", 1)[0] > plain


def test_the_first_draw_of_an_empty_table_starts_at_one(hub: Hub) -> None:
    with write_connection(hub.engine) as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 0
        assert draw(conn, events, "id", 2) == [1, 2]
        assert draw(conn, events, "id", 0) == []


def test_numbers_drawn_in_a_transaction_that_rolls_back_are_not_given_again_on_postgresql_only(hub: Hub) -> None:
    """PostgreSQL sequences never go back; on SQLite the mark is part of the transaction and goes back with it."""
    with pytest.raises(RuntimeError), write_connection(hub.engine) as conn:
        lost = draw(conn, events, "id", 2)
        raise RuntimeError("rolled back")
    with write_connection(hub.engine) as conn:
        again = draw(conn, events, "id", 1)[0]
    if hub.engine.dialect.name == "postgresql":
        assert again > max(lost)
    else:
        assert again == min(lost)  # nothing of the rolled-back transaction was stored, nor its numbers
