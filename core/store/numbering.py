"""Numbers for rows before they are written: case numbers, event and attachment ids.

A case's number is in the acknowledgement the rules send ("your request
C-000123"), so letting the database number the row on insert means inserting
the case before the rules run and writing it again after them: on PostgreSQL a
second version of the row and an entry in every one of the cases table's
indexes, for each case taken in. Drawing the numbers first lets the case be
written once, as the rules leave it, and lets a batch of rows go in as one
pipelined executemany of a short statement instead of a long INSERT ...
RETURNING that the driver must parse again for every batch size.

PostgreSQL draws from the column's own sequence, as an insert would. SQLite has
no sequences, but an AUTOINCREMENT table keeps its high-water mark in
``sqlite_sequence``, which SQLite lets programs update: the numbers are
reserved there, inside the write transaction, which on SQLite holds the
database's write lock (``BEGIN IMMEDIATE``) until it ends, so nobody else can
draw or insert in between. Either way a number drawn and not used is skipped,
never given twice.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text

__all__ = ["draw"]

_NEXTVAL = text("SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)")
_SQLITE_MOVE = text("UPDATE sqlite_sequence SET seq = seq + :n WHERE name = :table RETURNING seq")
_SQLITE_START = text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)")


def draw(conn: Connection, table: Table, column: str, n: int) -> list[int]:
    """``n`` new values of ``table``'s serial ``column``, increasing; call inside a write transaction."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.execute(_NEXTVAL, {"table": table.name, "column": column, "n": n}).scalars())
    mark = conn.execute(_SQLITE_MOVE, {"table": table.name, "n": n}).scalar()
    if mark is None:  # nothing inserted yet (the row appears with the first insert)
        highest = conn.execute(select(func.max(table.c[column]))).scalar() or 0
        conn.execute(_SQLITE_START, {"table": table.name, "seq": highest + n})
        mark = highest + n
    return list(range(mark - n + 1, mark + 1))
