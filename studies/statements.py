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
from django.db.models import Field, Model, QuerySet
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
    return _compiled_insert(query, objs, templated=False)


def returning_insert_statement(model: type[Model], objs: Sequence[Model]) -> Statement:
    """One INSERT of ``objs`` that returns their new ids, in order (PostgreSQL, SQLite >= 3.35)."""
    return _compiled_insert(InsertQuery(model), objs, returning_pk=True)


def _compiled_insert(
    query: InsertQuery,
    objs: Sequence[Model],
    *,
    with_pk: bool = False,
    returning_pk: bool = False,
    templated: bool = True,
) -> Statement:
    opts = query.get_meta()
    fields = [field for field in opts.concrete_fields if with_pk or not field.primary_key]
    if templated and objs:
        cached = _templated_insert(query, fields, objs, returning_pk)
        if cached is not None:
            return cached
    query.insert_values(fields, list(objs))
    compiler = query.get_compiler(connection=connection)
    if returning_pk:
        compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


# Each INSERT's SQL by its shape (model, columns, rows, which values are expressions):
# compiling it was a fifth of a worker's time per trial, most of it under the study lock.
_TEMPLATES: dict[tuple[Any, ...], str | None] = {}
TEMPLATE_MOST_ROWS = 64  # one text is kept per row count: up to this many, so the cache stays small


def _templated_insert(
    query: InsertQuery, fields: list[Field], objs: Sequence[Model], returning_pk: bool
) -> Statement | None:
    """What Django's compiler sends for ``objs``, from a cached SQL text: the values go
    through the same ``pre_save`` and ``get_db_prep_save``. None for what the template
    does not cover (an expression with parameters, a field with its own placeholder)."""
    if len(objs) > TEMPLATE_MOST_ROWS:  # a bulk write: rare, and Django's UNNEST form plans faster
        return None
    rows = [[field.pre_save(obj, add=True) for field in fields] for obj in objs]
    shapes = {tuple(type(v) if hasattr(v, "resolve_expression") else None for v in row) for row in rows}
    if len(shapes) != 1:
        return None
    key = (query.model, tuple(f.attname for f in fields), len(rows), shapes.pop(), returning_pk, connection.alias)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _insert_template(query, fields, rows[0], len(rows), returning_pk)
    sql = _TEMPLATES[key]
    if sql is None:
        return None
    params = [
        field.get_db_prep_save(value, connection=connection)
        for row in rows
        for field, value in zip(fields, row, strict=True)
        if not hasattr(value, "resolve_expression")
    ]
    return sql, params


def _insert_template(
    query: InsertQuery, fields: list[Field], first: list[Any], n_rows: int, returning_pk: bool
) -> str | None:
    compiler = query.get_compiler(connection=connection)
    placeholders = []
    for field, value in zip(fields, first, strict=True):
        if hasattr(field, "get_placeholder"):
            return None
        if not hasattr(value, "resolve_expression"):
            placeholders.append("%s")
            continue
        sql, params = compiler.compile(compiler.prepare_value(field, value))
        if params:
            return None
        placeholders.append(sql)
    ops: Any = connection.ops  # return_insert_columns: on the backends' operations, not the base's
    quote = ops.quote_name
    opts = query.get_meta()
    row = f"({', '.join(placeholders)})"
    sql = (
        f"{ops.insert_statement(on_conflict=None)} {quote(opts.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([row] * n_rows)}"
    )
    if returning_pk:
        returning, returning_params = ops.return_insert_columns([opts.pk])
        if returning_params or not returning:
            return None
        sql += f" {returning}"
    return sql


def update_statement(rows: QuerySet, values: dict[str, Any]) -> Statement:
    """The UPDATE that ``rows.update(**values)`` would send."""
    query = cast(UpdateQuery, rows.query.chain(UpdateQuery))
    query.annotations = {}  # as QuerySet.update: an UPDATE sets columns, it selects nothing
    query.add_update_values(values)
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, params


def update_row_statement(model: type[Model], pk: Any, values: dict[str, Any], **where: Any) -> Statement:
    """What ``model.objects.filter(pk=pk, **where).update(**values)`` sends (equality
    filters only), from a cached SQL text when every value is plain (no expression, no
    model instance): a finish built its UPDATE through the ORM under the study lock."""
    if any(hasattr(v, "resolve_expression") or hasattr(v, "prepare_database_save") for v in values.values()):
        return update_statement(model._default_manager.filter(pk=pk, **where), values)
    set_fields = _concrete(model, list(values))
    where_fields = _concrete(model, [str(model._meta.pk.name), *where])
    key = (model, tuple(values), tuple(where), connection.alias)
    if key not in _UPDATE_TEMPLATES:
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in set_fields)
        conditions = " AND ".join(f"{quote(str(f.column))} = %s" for f in where_fields)
        _UPDATE_TEMPLATES[key] = f"UPDATE {quote(str(model._meta.db_table))} SET {assignments} WHERE {conditions}"
    params = [f.get_db_prep_save(v, connection=connection) for f, v in zip(set_fields, values.values(), strict=True)]
    params += [f.get_db_prep_value(v, connection) for f, v in zip(where_fields, [pk, *where.values()], strict=True)]
    return _UPDATE_TEMPLATES[key], params


def _concrete(model: type[Model], names: list[str]) -> list[Field]:
    return [cast(Field, model._meta.get_field(name)) for name in names]


_UPDATE_TEMPLATES: dict[tuple[Any, ...], str] = {}


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


def run_together(statements: Sequence[Statement], then_commit: bool = False) -> Answer:
    """Run ``statements`` in order (one round trip on PostgreSQL); the last one's answer.

    ``then_commit``: they end the transaction, and its COMMIT travels in the same round
    trip when ``may_commit_inline()`` allows; the atomic block's own commit then finds
    nothing to do (psycopg sends no COMMIT outside a transaction) and runs the on_commit
    hooks as usual. A hot path's study lock is held until its commit, so this round trip
    saved is one its study's other writers no longer wait for.
    """
    if not statements:
        return Answer(None, 0)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for sql, params in statements:
                cursor.execute(sql, params)
            return _answer(cursor)
        commit: list[Statement] = [("COMMIT", [])] if then_commit and may_commit_inline() else []
        joined = [*statements, *commit]
        cursor.execute("; ".join(sql for sql, _ in joined), [p for _, params in joined for p in params])
        for _ in range(len(statements) - 1):  # psycopg stands on the first statement's result
            cursor.nextset()
        answer = _answer(cursor)
        while cursor.nextset():
            pass
        return answer


def may_commit_inline() -> bool:
    """Whether the current transaction may be committed by a statement of ours: an
    outermost atomic block with no savepoint, not marked for rollback (PostgreSQL)."""
    return (
        connection.vendor == "postgresql"
        and len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and not connection.needs_rollback
    )


def _answer(cursor) -> Answer:
    return Answer(cursor.fetchall() if cursor.description else None, cursor.rowcount)
