"""The hot write paths' INSERTs come from cached SQL texts: they must send what Django's
own compiler sends, and store the same rows."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.db.models.sql import InsertQuery
from django.utils import timezone

from studies import services
from studies.models import StudyEvent, Trial, TrialParam
from studies.selectors import study_space
from studies.services.trial_params import param_rows
from studies.statements import insert_statement, returning_insert_statement, run_together, update_row_statement
from tests.web.conftest import quadratic_spec

pytestmark = pytest.mark.django_db


def django_compiled(model, objs, *, with_pk=False, returning_pk=False):
    query = InsertQuery(model)
    opts = model._meta
    query.insert_values([f for f in opts.concrete_fields if with_pk or not f.primary_key], list(objs))
    compiler = query.get_compiler(connection=connection)
    if returning_pk:
        compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


def new_trial(study, number, **fields):
    return Trial(
        id=10_000 + number, study_id=study.pk, number=number, state="running", params={"x": 0.5, "y": -1}, **fields
    )


@pytest.fixture
def study():
    return services.create_study(quadratic_spec("templates", n_trials=10))


def test_a_single_row_insert_is_what_django_compiles_including_its_expressions(study):
    for fields in ({"started_at": timezone.now(), "heartbeat_at": Now()}, {"worker_id": "w'; --"}):
        trial = new_trial(study, 1, **fields)
        sql, params = insert_statement(Trial, [trial], with_pk=True)
        assert (sql, list(params)) == django_compiled(Trial, [trial], with_pk=True)
        event = StudyEvent(study_id=study.pk, type="t", data={"a": [1, "b"]})
        sql, params = returning_insert_statement(StudyEvent, [event])
        django_sql, django_params = django_compiled(StudyEvent, [event], returning_pk=True)
        # created_at is auto_now_add: each compile stamps its own time, as each save would.
        assert (sql, list(params)[:-1]) == (django_sql, django_params[:-1])
        assert len(params) == len(django_params)


def test_cached_inserts_store_the_rows_and_return_the_ids_in_order(study):
    for number in (1, 2):  # the second run uses the cached texts
        trial = new_trial(study, number, heartbeat_at=Now(), worker_id=f"w{number}")
        params = param_rows(study_space(study), [trial])
        events = [StudyEvent(study_id=study.pk, type=f"t{i}", data={"n": number, "i": i}) for i in range(3)]
        answer = run_together(
            [
                insert_statement(Trial, [trial], with_pk=True),
                insert_statement(TrialParam, params),
                returning_insert_statement(StudyEvent, events),
            ]
        )
        stored = Trial.objects.get(pk=trial.id)
        assert (stored.number, stored.worker_id, stored.params) == (number, f"w{number}", {"x": 0.5, "y": -1})
        assert stored.heartbeat_at is not None
        stored_params = TrialParam.objects.filter(trial_id=trial.id).values_list("name", "num_value", "number")
        assert sorted(stored_params) == [("x", 0.5, number), ("y", -1.0, number)]
        ids = [row[0] for row in answer.rows]
        assert [StudyEvent.objects.get(pk=i).data for i in ids] == [{"n": number, "i": i} for i in range(3)]


def test_a_row_update_sets_plain_values_only_where_its_filters_match(study):
    trial = new_trial(study, 3, worker_id="w")
    run_together([insert_statement(Trial, [trial], with_pk=True)])
    finished = {"state": "completed", "value": 1.5, "metrics": {"acc": 0.9}, "error": "", "pruned_step": None}
    for expected_rows in (1, 0):  # the second finds the trial no longer running
        statement = update_row_statement(Trial, trial.pk, finished, state="running")
        assert run_together([statement]).rowcount == expected_rows
    stored = Trial.objects.get(pk=trial.pk)
    assert (stored.state, stored.value, stored.metrics, stored.pruned_step) == ("completed", 1.5, {"acc": 0.9}, None)
    beat = update_row_statement(Trial, trial.pk, {"heartbeat_at": Now()})  # an expression: Django compiles it
    assert run_together([beat]).rowcount == 1 and Trial.objects.get(pk=trial.pk).heartbeat_at is not None


INLINE_COMMIT = """
import json
from django.db import connection, transaction
from studies.statements import run_together
from studies.models import Study
from psycopg.pq import TransactionStatus

def note(name):  # a row that exists only if its transaction committed
    return ("UPDATE studies_study SET name = %s WHERE id = %s", [name, study_id])

study_id = Study.objects.create(name="before", spec={}, n_trials=1).pk
seen = {}
try:
    with transaction.atomic():  # outermost: the COMMIT travels with the statement
        run_together([note("committed inline")], then_commit=True)
        seen["idle after"] = connection.connection.pgconn.transaction_status == TransactionStatus.IDLE
        raise RuntimeError("after the commit: nothing is left to roll back")
except RuntimeError:
    pass
seen["after outermost"] = Study.objects.get(pk=study_id).name
try:
    with transaction.atomic():  # an outer block owns the transaction: no COMMIT of ours
        with transaction.atomic():
            run_together([note("rolled back")], then_commit=True)
        raise RuntimeError("the outer block rolls everything back")
except RuntimeError:
    pass
seen["after nested"] = Study.objects.get(pk=study_id).name
print("SEEN", json.dumps(seen))
"""


@pytest.mark.postgres
def test_a_batch_commits_inline_only_for_an_outermost_block(tmp_path, migrated_postgres_url):
    from tests.conftest import Project

    project = Project(tmp_path, database_url=migrated_postgres_url)
    output = project.run("shell", "-c", INLINE_COMMIT).stdout
    seen = json.loads(output.split("SEEN", 1)[1])
    assert seen == {"idle after": True, "after outermost": "committed inline", "after nested": "committed inline"}
