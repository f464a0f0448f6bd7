"""Every malformed spec gets one clear line from create_study, fast, and nothing is saved."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from studies.models import Study
from tests.conftest import ROOT
from tests.support.malformed_specs import MALFORMED, XSS_NAME, dim, dims

# Through real manage.py processes: the text cases (parser limits live in C) and the
# ones that used to hang or crash the command.
SUBPROCESS_IDS = {
    "text-nested-200k-deep",
    "text-nan-literal-bound",
    "grid-points-1e30",
    "grid-1500-dims",
    "when-chain-400-children-first",
    "choices-20000",
}


NESTED = "invalid JSON: nested too deeply (a spec nests at most a few levels)"


def spec_text(spec) -> str:
    # json.dumps writes NaN/Infinity literals, as a careless tool would.
    return spec if isinstance(spec, str) else json.dumps(spec)


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "spec", "path"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_create_study_refuses_a_malformed_spec_with_one_line_naming_the_field(tmp_path, case, spec, path):
    file = tmp_path / "spec.json"
    file.write_text(spec_text(spec), encoding="utf-8")
    started, cpu = time.monotonic(), time.thread_time()
    with pytest.raises(CommandError) as refused:
        call_command("create_study", str(file))
    # CPU time is the work this request did (a slow loop shows there); wall time also
    # counts the other test runs sharing the machine, so it only guards against a hang.
    assert time.thread_time() - cpu < 2 and time.monotonic() - started < 10
    message = str(refused.value)
    assert "\n" not in message and len(message) < 2000
    assert message.startswith(f"{file}: ")
    if path:
        assert f"{path}: " in message
    assert not Study.objects.exists()


# One process runs each command as manage.py would (exit code, stderr), so the batch
# costs one Django start-up instead of one per spec.
LOOP = """
import contextlib, io, json, sys
import django
django.setup()
from django.core.management import execute_from_command_line
results = {}
for path in sys.argv[1:]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            execute_from_command_line(["manage.py", "create_study", path])
            code = 0
        except SystemExit as exc:
            code = exc.code
    results[path] = [code, err.getvalue()]
print(json.dumps(results))
"""


def test_a_handful_through_real_processes_exit_1_with_one_line_and_no_traceback(project):
    cases = {case: (spec, path) for case, spec, path in MALFORMED if case in SUBPROCESS_IDS}
    assert len(cases) == len(SUBPROCESS_IDS)
    files = {}
    for case, (spec, _) in cases.items():
        files[case] = project.data_dir / f"{case}.json"
        files[case].write_text(spec_text(spec), encoding="utf-8")
    alone = project.run("create_study", str(files["text-nested-200k-deep"]), check=False, timeout=120)
    assert alone.returncode == 1
    assert alone.stderr.strip().splitlines() == [f"CommandError: {files['text-nested-200k-deep']}: {NESTED}"]
    loop = subprocess.run(
        [sys.executable, "-c", LOOP, *map(str, files.values())],
        env=project.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = json.loads(loop.stdout.strip().splitlines()[-1])
    for case, (_, path) in cases.items():
        code, stderr = results[str(files[case])]
        lines = stderr.strip().splitlines()
        assert code == 1, (case, stderr[-2000:])
        assert len(lines) == 1 and lines[0].startswith("CommandError: "), (case, stderr[-2000:])
        assert path in lines[0], case
    assert "sweep" not in project.run("list_studies").stdout


@pytest.mark.django_db
def test_a_chain_of_conditions_listed_children_first_is_accepted_and_ordered(tmp_path):
    chain = [dim(name=f"d{i}", type="int", low=0, high=1, when={f"d{i + 1}": [1]}) for i in range(99)]
    chain.append(dim(name="d99", type="int", low=0, high=1))
    file = tmp_path / "chain.json"
    file.write_text(json.dumps(dims(*chain)))
    call_command("create_study", str(file))
    names = [d["name"] for d in Study.objects.get().spec["search_space"]]
    assert names == [f"d{i}" for i in range(99, -1, -1)]


def test_the_error_for_a_script_name_shows_it_as_text_and_says_what_is_allowed():
    from studies.core.spec import parse_spec

    with pytest.raises(ValueError) as refused:
        parse_spec(dims(dim(name=XSS_NAME)), executors={"quadratic"})
    assert "letters, digits, '_', '.' or '-'" in str(refused.value)
