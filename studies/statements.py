"""Several SQL statements in one round trip: the hot write paths' batching.

On PostgreSQL a statement between requests costs 0.5-1 ms, mostly the server process
waking up for it (0.15 ms in a tight loop), so an ask or a finish costs about as many
milliseconds as it sends statements. Writes whose answer nothing waits for (a new
trial's row and its parameter rows, say) travel with the next statement that needs an
answer: psycopg's client-side binding, Django's default, accepts several statements
in one ``execute``. SQLite runs in-process, so there each statement runs on its own.

The INSERTs are written by Django's own compiler, so their columns, defaults and
adaptation are exactly what ``Model.save``/``bulk_create`` would send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery, UpdateQuery

Statement = tuple[str, Sequence[Any]]


def insert_statement(model: type[Model], objs: Sequence[Model], *, with_pk: bool = False) -> Statement:
    """One INSERT of ``objs`` (all of ``model``); ``with_pk`` when their ids are already set."""
    return _compiled_insert(InsertQuery(model), objs, with_pk=with_pk)


def upsert_statement(model: type[Model], objs: Sequence[Model], unique: list[str], update: list[str]) -> Statement:
    """What ``bulk_create(objs, update_conflicts=True, unique_fields=unique, update_fields=update)`` sends."""
    opts = model._meta
    query = InsertQuery(
        model,
        on_conflict=OnConflict.UPDATE,
        update_fields=[opts.get_field(name) for name in update],
        unique_fields=[opts.get_field(name) for name in unique],
    )
    return _compiled_insert(query, objs)


def returning_insert_statement(model: type[Model], objs: Sequence[Model]) -> Statement:
    """One INSERT of ``objs`` that returns their new ids, in order (PostgreSQL, SQLite >= 3.35)."""
    return _compiled_insert(InsertQuery(model), objs, returning_pk=True)


def _compiled_insert(
    query: InsertQuery, objs: Sequence[Model], *, with_pk: bool = False, returning_pk: bool = False
) -> Statement:
    opts = query.get_meta()
    query.insert_values([field for field in opts.concrete_fields if with_pk or not field.primary_key], list(objs))
    compiler = query.get_compiler(connection=connection)
    if returning_pk:
        compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


def update_statement(rows: QuerySet, values: dict[str, Any]) -> Statement:
    """The UPDATE that ``rows.update(**values)`` would send."""
    query = cast(UpdateQuery, rows.query.chain(UpdateQuery))
    query.annotations = {}  # as QuerySet.update: an UPDATE sets columns, it selects nothing
    query.add_update_values(values)
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, params


def mark_saved(objs: Sequence[Model]) -> None:
    """What ``save()`` records on instances an INSERT of ours stored."""
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


@dataclass(frozen=True)
class Answer:
    """What the last statement of a batch answered: its rows (if it returns any) and rowcount."""

    rows: list[tuple[Any, ...]] | None
    rowcount: int


def run_together(statements: Sequence[Statement]) -> Answer:
    """Run ``statements`` in order (one round trip on PostgreSQL); the last one's answer."""
    if not statements:
        return Answer(None, 0)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for sql, params in statements:
                cursor.execute(sql, params)
            return _answer(cursor)
        cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
        while cursor.nextset():  # psycopg stands on the first statement's result; the answer is the last's
            pass
        return _answer(cursor)


def _answer(cursor) -> Answer:
    return Answer(cursor.fetchall() if cursor.description else None, cursor.rowcount)
