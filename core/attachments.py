"""Files that come with a case, stored in the same transaction as the case.

Kept in the database, not on a disk next to one process: every API process
and worker sees them, backups include them, and a case is never stored without
its files. Served back only with their stored name and type, as downloads,
never rendered by the browser (an uploaded HTML file must not run as a page of
casehub's).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from casehub.store.numbering import draw
from casehub.store.tables import attachments

__all__ = ["AttachmentDraft", "fetch", "number", "store"]


@dataclass(frozen=True)
class AttachmentDraft:
    filename: str
    content_type: str
    data: bytes


def number(conn: Connection, case_id: str, files: list[AttachmentDraft], now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The files' rows, ids drawn (the case may not be stored yet), for :func:`store`; and what the timeline shows of them."""
    rows, shown = [], []
    for attachment_id, f in zip(draw(conn, attachments, "id", len(files)), files):
        digest = hashlib.sha256(f.data).hexdigest()
        rows.append({"id": attachment_id, "case_id": case_id, "filename": f.filename, "content_type": f.content_type,
                     "size": len(f.data), "sha256": digest, "data": f.data, "created_at": now})  # fmt: skip
        shown.append({"id": attachment_id, "filename": f.filename, "content_type": f.content_type,
                      "size": len(f.data), "sha256": digest})  # fmt: skip
    return rows, shown


def store(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert files numbered by :func:`number`, once their case is stored."""
    if rows:
        conn.execute(insert(attachments), rows)


def fetch(conn: Connection, case_id: str, attachment_id: int) -> Any:
    return conn.execute(
        select(attachments).where(attachments.c.case_id == case_id, attachments.c.id == attachment_id)
    ).first()
