"""Automation episodes: an automation fires once while its conditions keep holding for a case.

Zendesk's automations need a condition that the action itself makes false, or
they fire every hour. casehub remembers instead: when an automation fires for a
case, an episode starts; while the conditions hold it does not fire again; when
a later look finds them false, the episode ends, and the automation may fire
again the next time they hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casehub.store.tables import automation_episodes

__all__ = ["end_episodes", "open_episodes", "start_episode"]

_e = automation_episodes.c


def start_episode(conn: Connection, case_id: str, automation: str, now: datetime) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(automation_episodes).values(case_id=case_id, automation=automation, fired_at=now).on_conflict_do_nothing())


def open_episodes(conn: Connection, case_ids: list[str]) -> set[tuple[str, str]]:
    rows = conn.execute(select(_e.case_id, _e.automation).where(_e.case_id.in_(case_ids)))
    return {(r.case_id, r.automation) for r in rows}


def end_episodes(conn: Connection, ended: Iterable[tuple[str, str]]) -> None:
    pairs = list(ended)
    if pairs:
        conn.execute(delete(automation_episodes).where(tuple_(_e.case_id, _e.automation).in_(pairs)))
