"""Creating and editing studies through the admin form: the same validation as create_study."""

from __future__ import annotations

import pytest

from studies import services
from studies.models import Study

from .conftest import ADD_URL, change_url, form_data

pytestmark = pytest.mark.django_db


def post_invalid(client, data):
    response = client.post(ADD_URL, data)
    assert response.status_code == 200, "an invalid form is shown again, not saved and redirected"
    assert not Study.objects.exists()
    return response.context["adminform"].form


def row_errors(form, index: int, field: str) -> str:
    return " ".join(form.dimensions.forms[index].errors.get(field, []))


def test_it_creates_a_study_with_the_spec_create_study_would_store(staff_client):
    response = staff_client.post(
        ADD_URL,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "0.001", "high": "10", "scale": "log"},
                {"name": "kernel", "type": "categorical", "choices": "rbf, poly"},
                {"name": "y", "type": "int", "low": "2", "high": "5", "condition": "kernel: poly"},
            ],
            description="from the admin",
        ),
    )
    assert response.status_code == 302
    study = Study.objects.get(name="admin-quadratic")
    expected = services.validate_spec(
        {
            "name": "admin-quadratic",
            "description": "from the admin",
            "executor": "quadratic",
            "objective": {"metric": "loss", "direction": "minimize"},
            "sampler": {"type": "random", "seed": 7},
            "n_trials": 6,
            "search_space": [
                {"name": "x", "type": "float", "low": 0.001, "high": 10, "scale": "log"},
                {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
                {"name": "y", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
            ],
        }
    )
    assert study.spec == expected.to_dict()
    assert (study.executor, study.metric, study.direction, study.n_trials, study.description) == (
        "quadratic",
        "loss",
        "minimize",
        6,
        "from the admin",
    )
    assert study.state == "created"


def test_it_accepts_choices_and_conditions_written_as_json(staff_client):
    response = staff_client.post(
        ADD_URL,
        form_data(
            dims=[
                {"name": "kernel", "type": "categorical", "choices": '["rbf", "poly", "1"]'},
                {"name": "degree", "type": "int", "low": "2", "high": "5", "condition": '{"kernel": ["poly"]}'},
                {"name": "x", "type": "float", "low": "-1", "high": "1"},
                {"name": "y", "type": "float", "low": "-1", "high": "1"},
            ]
        ),
    )
    assert response.status_code == 302
    space = Study.objects.get().spec["search_space"]
    assert space[0]["choices"] == ["rbf", "poly", "1"]
    assert space[1]["when"] == {"kernel": ["poly"]}


def test_a_grid_study_may_leave_the_budget_blank_and_gets_the_grid_size(staff_client):
    response = staff_client.post(
        ADD_URL, form_data(sampler_type="grid", sampler_seed="", points_per_dim=3, n_trials="")
    )
    assert response.status_code == 302
    assert Study.objects.get().n_trials == 9


def test_the_executor_select_lists_registered_executors_with_their_descriptions(staff_client):
    page = staff_client.get(ADD_URL).content.decode()
    assert '<option value="quadratic">quadratic — (x - 0.3)^2 + (y + 0.2)^2, minimum 0</option>' in page
    assert '<option value="svm_digits">' in page


@pytest.mark.parametrize("executor", ["os.system", "tests.support.executors.quadratic"])
def test_it_refuses_an_executor_that_is_not_registered(staff_client, executor):
    form = post_invalid(staff_client, form_data(executor=executor))
    assert "registered" in " ".join(form.errors["executor"])


def test_no_executor_makes_a_study_for_remote_clients_only(staff_client):
    assert staff_client.post(ADD_URL, form_data(executor="")).status_code == 302
    study = Study.objects.get()
    assert study.executor == "" and "executor" not in study.spec


def test_it_puts_low_not_below_high_on_that_rows_low(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "-1", "high": "1"},
                {"name": "y", "type": "float", "low": "3", "high": "1"},
            ]
        ),
    )
    assert "must be less than high" in row_errors(form, 1, "low")
    assert not row_errors(form, 0, "low")
    assert "Fix the search-space rows marked below." in form.non_field_errors()


def test_it_refuses_a_log_scale_from_zero(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "0", "high": "1", "scale": "log"},
                {"name": "y", "type": "float", "low": "-1", "high": "1"},
            ]
        ),
    )
    assert "greater than 0 on a log scale" in row_errors(form, 0, "low")


def test_it_refuses_a_categorical_row_without_choices(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "-1", "high": "1"},
                {"name": "kernel", "type": "categorical", "choices": ""},
            ]
        ),
    )
    assert "non-empty list" in row_errors(form, 1, "choices")


def test_it_refuses_a_condition_on_a_missing_parent(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "-1", "high": "1", "condition": "kernel: poly"},
                {"name": "y", "type": "float", "low": "-1", "high": "1"},
            ]
        ),
    )
    assert "missing dimension 'kernel'" in row_errors(form, 0, "condition")


def test_it_refuses_two_rows_with_one_name(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "-1", "high": "1"},
                {"name": "x", "type": "int", "low": "1", "high": "3"},
            ]
        ),
    )
    assert "Duplicate name 'x' (also in row 1)" in row_errors(form, 1, "name")


def test_it_counts_only_filled_rows_when_naming_a_row(staff_client):
    """A blank row between two dimensions does not shift the error onto the wrong row."""
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "-1", "high": "1"},
                {},
                {"name": "y", "type": "float", "low": "2", "high": "1"},
            ]
        ),
    )
    assert "must be less than high" in row_errors(form, 2, "low")


def test_it_requires_a_budget_for_a_random_sampler(staff_client):
    form = post_invalid(staff_client, form_data(n_trials=""))
    assert "required for a random sampler" in " ".join(form.errors["n_trials"])


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"sampler_seed": "-3"}, "sampler_seed", "non-negative integer"),
        (
            {"sampler_type": "grid", "sampler_seed": "", "points_per_dim": "0", "n_trials": ""},
            "points_per_dim",
            "positive integer",
        ),
        ({"sampler_type": "grid"}, "sampler_seed", "not an option of the grid sampler"),
        ({"sampler_type": "annealing"}, "sampler_type", "must be one of"),
        ({"sampler_options": '{"temperature": 3}'}, "sampler_options", "temperature"),
        ({"sampler_options": "[1, 2]"}, "sampler_options", "JSON object"),
        ({"pruner_type": "percentile", "percentile": "150"}, "percentile", "between 0 and 100"),
        ({"pruner_type": "median", "n_warmup_steps": "-1"}, "n_warmup_steps", "non-negative"),
        ({"direction": "sideways"}, "direction", "'minimize' or 'maximize'"),
        ({"metric": ""}, "metric", "metric to optimise"),
        ({"name": "has space"}, "name", "letters, digits"),
    ],
)
def test_it_puts_bad_sampler_pruner_and_objective_options_on_their_field(staff_client, fields, field, words):
    form = post_invalid(staff_client, form_data(**fields))
    assert words in " ".join(form.errors[field])


def test_it_explains_a_row_it_cannot_read(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "abc", "high": "1"},
                {"name": "k", "type": "categorical", "choices": '["a", '},
                {"name": "y", "type": "float", "low": "-1", "high": "1", "condition": "no colon here"},
            ]
        ),
    )
    assert "Enter a number" in row_errors(form, 0, "low")
    assert "not valid JSON" in row_errors(form, 1, "choices")
    assert "parent: value1, value2" in row_errors(form, 2, "condition")


def test_it_asks_for_at_least_one_dimension(staff_client):
    form = post_invalid(staff_client, form_data(dims=[]))
    assert "at least one dimension" in " ".join(form.non_field_errors())


def test_it_refuses_a_name_already_taken(staff_client):
    assert staff_client.post(ADD_URL, form_data()).status_code == 302
    response = staff_client.post(ADD_URL, form_data())
    assert "already exists" in " ".join(response.context["adminform"].form.errors["name"])
    assert Study.objects.count() == 1


def test_errors_are_shown_beside_their_fields_on_the_page(staff_client):
    response = staff_client.post(
        ADD_URL,
        form_data(
            dims=[
                {"name": "x", "type": "float", "low": "5", "high": "1"},
            ],
            n_trials="",
        ),
    )
    page = response.content.decode()
    assert "Please correct the errors below." in page
    assert "This value must be less than high (got low=5, high=1)." in page
    assert "This value is required for a random sampler" in page


def test_editing_a_study_without_trials_rewrites_spec_and_columns(staff_client):
    from .conftest import change_data

    staff_client.post(ADD_URL, form_data())
    study = Study.objects.get()
    data = change_data(staff_client, study, name="renamed", metric="loss2", direction="maximize", n_trials=9)
    data["dim-1-high"] = "4"
    response = staff_client.post(change_url(study), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    study.refresh_from_db()
    assert (study.name, study.metric, study.direction, study.n_trials) == ("renamed", "loss2", "maximize", 9)
    assert study.spec["search_space"][1]["high"] == 4.0
    assert study.spec["sampler"] == {"type": "random", "seed": 7}
    assert study.spec == services.validate_spec(study.spec).to_dict()


def test_an_unchanged_change_form_round_trips_the_spec(staff_client):
    from .conftest import change_data

    created = staff_client.post(
        ADD_URL,
        form_data(
            dims=[
                {"name": "kernel", "type": "categorical", "choices": '[1, "1", true, null, "a,b"]'},
                {
                    "name": "x",
                    "type": "float",
                    "low": "0.001",
                    "high": "10",
                    "scale": "log",
                    "condition": '{"kernel": [1, "a,b"]}',
                },
                {"name": "y", "type": "int", "low": "-3", "high": "3", "condition": "kernel: true, null"},
            ]
        ),
    )
    assert created.status_code == 302
    study = Study.objects.get()
    before = study.spec
    assert before["search_space"][2]["when"] == {"kernel": [True, None]}
    response = staff_client.post(change_url(study), change_data(staff_client, study))
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.spec == before


def test_the_sampler_select_offers_every_registered_sampler(staff_client):
    from studies.core.samplers import SAMPLERS

    page = staff_client.get(ADD_URL).content.decode()
    for name in SAMPLERS:
        assert f'<option value="{name}"' in page


def test_a_bayesian_study_passes_its_startup_trials_to_the_core(staff_client):
    from studies.core.samplers import SAMPLERS

    if "bayesian" not in SAMPLERS:
        pytest.skip("the bayesian sampler is not merged yet")
    response = staff_client.post(ADD_URL, form_data(sampler_type="bayesian", n_startup=4))
    assert response.status_code == 302
    assert Study.objects.get().spec["sampler"] == {"type": "bayesian", "seed": 7, "n_startup": 4}
    form = post_invalid_after_cleanup(staff_client, form_data(name="b2", sampler_type="bayesian", n_startup=0))
    assert "positive integer" in " ".join(form.errors["n_startup"])


def post_invalid_after_cleanup(client, data):
    Study.objects.all().delete()
    return post_invalid(client, data)


def test_a_row_marked_for_deletion_leaves_the_search_space(staff_client):
    from .conftest import change_data

    staff_client.post(ADD_URL, form_data())  # dimensions x and y
    study = Study.objects.get()
    data = change_data(staff_client, study)
    # y is deleted, and so is a new row z that would be invalid were it kept.
    data.update(
        {
            "dim-2-name": "z",
            "dim-2-type": "float",
            "dim-2-low": "5",
            "dim-2-high": "1",
            "dim-2-DELETE": "on",
            "dim-1-DELETE": "on",
        }
    )
    response = staff_client.post(change_url(study), data)
    assert response.status_code == 302
    study.refresh_from_db()
    assert [d["name"] for d in study.spec["search_space"]] == ["x"]


def test_conditions_that_form_a_cycle_are_refused_with_the_reason(staff_client):
    form = post_invalid(
        staff_client,
        form_data(
            dims=[
                {"name": "a", "type": "categorical", "choices": "p, q", "condition": "b: r"},
                {"name": "b", "type": "categorical", "choices": "r, s", "condition": "a: p"},
                {"name": "x", "type": "float", "low": "-1", "high": "1"},
                {"name": "y", "type": "float", "low": "-1", "high": "1"},
            ]
        ),
    )
    assert "Search space: conditions form a cycle" in " ".join(form.non_field_errors())


def test_editing_in_the_admin_keeps_the_specs_max_retries(staff_client):
    from .conftest import change_data

    staff_client.post(ADD_URL, form_data())
    study = Study.objects.get()
    services.update_study_spec(study, {**study.spec, "max_retries": 2})
    response = staff_client.post(change_url(study), change_data(staff_client, study, description="retried"))
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.description == "retried" and study.spec["max_retries"] == 2


def test_it_creates_and_edits_a_study_with_several_objectives_and_constraints(staff_client):
    objectives = '[{"metric": "loss", "direction": "minimize"}, {"metric": "size", "direction": "maximize"}]'
    data = form_data(metric="", direction="", objectives=objectives, constraints='[{"metric": "mem", "max": 3}]')
    assert staff_client.post(ADD_URL, data).status_code == 302
    study = Study.objects.get(name="admin-quadratic")
    assert [o["metric"] for o in study.spec["objectives"]] == ["loss", "size"]
    assert study.spec["constraints"] == [{"metric": "mem", "max": 3.0}]
    form = staff_client.get(change_url(study)).context["adminform"].form
    assert "size" in form["objectives"].value() and "mem" in form["constraints"].value()
    data["constraints"] = '[{"metric": "mem", "min": 5, "max": 3}]'
    form = staff_client.post(change_url(study), data).context["adminform"].form
    assert "constraints[0].min" in " ".join(form.errors["constraints"])
