"""Artifacts saved where trials really run: a worker's executor process, in-process, and remote clients."""

from __future__ import annotations

import hashlib
import json
import subprocess
import textwrap
import urllib.request
from collections.abc import Iterator

import pytest

from tests.client.conftest import Remote, client_venv, remote_spec, served_remote  # noqa: F401  (fixture)
from tests.conftest import Project
from tests.support.executors import tiny_png
from tests.web.conftest import quadratic_spec

ONE_DIM = [{"name": "x", "type": "float", "low": 0, "high": 1}]
WEIGHTS = bytes(range(256)) * 4  # what saves_artifacts writes to its temporary file
LIMIT = 50_000  # the live server's SOMATIZE_ARTIFACT_MAX_BYTES

STORED = """
import hashlib, json
from studies.models import Trial
from studies.services.artifacts import storage
rows = {}
for trial in Trial.objects.filter(study__name=%r).order_by("number"):
    rows[trial.number] = {"state": trial.state, "artifacts": {}}
    for artifact in trial.artifacts.order_by("name"):
        with storage().open(artifact.key, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
        rows[trial.number]["artifacts"][artifact.name] = [artifact.size, artifact.content_type, digest]
print(json.dumps(rows))
"""


def stored(project: Project, study: str) -> dict[int, dict]:
    """Each trial's state and artifacts (size, type, SHA-256 of the stored bytes), read in a manage.py shell."""
    out = project.run("shell", "-c", STORED % study).stdout.strip().splitlines()[-1]
    return {int(number): row for number, row in json.loads(out).items()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_artifacts(number: int, x: float) -> dict[str, list]:
    notes = f"trial {number}: x = {x}\n".encode()
    png = tiny_png(40, 30, (200, 40, 40))
    return {
        "curve.png": [len(png), "image/png", sha(png)],
        "notes.txt": [len(notes), "text/plain", sha(notes)],
        "weights.bin": [len(WEIGHTS), "application/octet-stream", sha(WEIGHTS)],
    }


def params_of(project: Project, study: str) -> dict[int, float]:
    code = (
        "import json; from studies.models import Trial\n"
        f"print(json.dumps({{t.number: t.params['x'] for t in Trial.objects.filter(study__name={study!r})}}))"
    )
    return {int(k): v for k, v in json.loads(project.run("shell", "-c", code).stdout.splitlines()[-1]).items()}


@pytest.mark.parametrize("how", [[], ["--in-process"]], ids=["executor-process", "in-process"])
def test_an_executor_saves_bytes_an_image_and_a_file_it_then_deletes(project, how):
    project.run(
        "create_study", str(project.write_spec(quadratic_spec("saver", 2, "saves_artifacts", search_space=ONE_DIM)))
    )
    result = project.run("run_study", "saver", *how)
    rows, params = stored(project, "saver"), params_of(project, "saver")
    for number in (0, 1):
        assert rows[number]["state"] == "completed", result.stdout + result.stderr
        assert rows[number]["artifacts"] == expected_artifacts(number, params[number])
    files = [path for path in (project.data_dir / "artifacts").rglob("*") if path.is_file()]
    assert len(files) == 6  # in the data directory, the default storage
    if not how:  # the executor process's output is captured: the refusal it printed is in the log
        code = "from studies.models import TrialLogChunk as C; print(''.join(c.text for c in C.objects.all()))"
        text = project.run("shell", "-c", code).stdout
        assert "refused: name: '../escape.txt' contains a path separator" in text, text


def test_artifacts_saved_before_the_executor_process_dies_are_kept(project):
    project.env["SOMATIZE_TEST_CRASH_AFTER_ARTIFACTS"] = "1"
    project.run(
        "create_study", str(project.write_spec(quadratic_spec("crasher", 1, "saves_artifacts", search_space=ONE_DIM)))
    )
    project.run("run_study", "crasher")
    row = stored(project, "crasher")[0]
    assert row["state"] == "failed"
    assert row["artifacts"] == expected_artifacts(0, params_of(project, "crasher")[0])


@pytest.fixture(scope="module")
def small_limit(tmp_path_factory, migrated_sqlite) -> Iterator[Remote]:
    """Daphne whose artifact limit is LIMIT bytes, with a staff login's token."""
    with served_remote(tmp_path_factory, migrated_sqlite, "uploader", SOMATIZE_ARTIFACT_MAX_BYTES=str(LIMIT)) as served:
        yield served


def download(remote: Remote, url: str) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(remote.url + url, headers={"Authorization": f"Bearer {remote.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), dict(response.headers)


def test_the_remote_client_saves_artifacts_and_hears_why_one_is_refused(small_limit, tmp_path):
    from somatize_client import Conflict, ValidationError

    study = small_limit.client().create_study(remote_spec("remote-artifacts", n_trials=2))
    trial = study.ask()
    png = tiny_png(8, 8, (0, 0, 255))
    saved = trial.save_artifact("plot #1.png", png)
    assert (saved["size"], saved["content_type"], saved["inline"]) == (len(png), "image/png", True)
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x00\x01" * 1000)
    trial.save_artifact("model.bin", path)
    with pytest.raises(ValidationError) as bad_name:
        trial.save_artifact("runs/model.bin", b"x")
    assert bad_name.value.status == 400 and bad_name.value.errors[0][0] == "name"
    with pytest.raises(ValidationError) as too_big:
        trial.save_artifact("huge.bin", b"x" * (LIMIT + 1))
    assert too_big.value.status == 413 and f"at most {LIMIT} bytes" in str(too_big.value)
    trial.tell(0.5)
    trial.save_artifact("after-tell.txt", b"a finished trial still takes its files")

    detail = small_limit.trial(study.id, trial.number)
    assert [row["name"] for row in detail["artifacts"]] == ["after-tell.txt", "model.bin", "plot #1.png"]
    body, headers = download(small_limit, saved["url"])
    assert body == png and headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"] == 'inline; filename="plot #1.png"'
    waiting = study.enqueue({"x": 0.5, "y": 0.5})
    with pytest.raises(Conflict):
        small_limit.client().transport.request(
            "POST", f"/api/studies/{study.id}/trials/{waiting}/artifacts/?name=a.txt", raw=b"a"
        )


def test_the_installed_client_saves_an_artifact_from_its_own_venv(small_limit, client_venv):  # noqa: F811
    script = textwrap.dedent(
        f"""
        import json, sys
        from somatize_client import Client
        study = Client({small_limit.url!r}, {small_limit.token!r}).create_study(json.loads(sys.argv[1]))
        with study.ask() as trial:
            print(json.dumps(trial.save_artifact("notes.txt", b"from the venv\\n")))
            trial.tell(0.1)
        """
    )
    spec = json.dumps(remote_spec("venv-artifacts", n_trials=1))
    result = subprocess.run([client_venv, "-c", script, spec], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    saved = json.loads(result.stdout.strip().splitlines()[-1])
    body, headers = download(small_limit, saved["url"])
    assert body == b"from the venv\n"
    assert headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_artifact_storage_is_chosen_from_the_environment_and_a_bad_setting_says_which(project):
    project.env.update(
        SOMATIZE_ARTIFACT_STORAGE="django.core.files.storage.FileSystemStorage",
        SOMATIZE_ARTIFACT_STORAGE_OPTIONS=json.dumps({"location": str(project.data_dir / "elsewhere")}),
    )
    project.run(
        "create_study", str(project.write_spec(quadratic_spec("moved", 1, "saves_artifacts", search_space=ONE_DIM)))
    )
    project.run("run_study", "moved")
    assert len([p for p in (project.data_dir / "elsewhere").rglob("*") if p.is_file()]) == 3
    assert not (project.data_dir / "artifacts").exists()

    project.env["SOMATIZE_ARTIFACT_STORAGE_OPTIONS"] = "{not json"
    broken = project.run("check", check=False)
    assert broken.returncode != 0 and "SOMATIZE_ARTIFACT_STORAGE_OPTIONS is not valid JSON" in broken.stderr
    project.env.update(SOMATIZE_ARTIFACT_STORAGE="not a path", SOMATIZE_ARTIFACT_STORAGE_OPTIONS="{}")
    broken = project.run("check", check=False)
    assert "SOMATIZE_ARTIFACT_STORAGE='not a path' is not a dotted path" in broken.stderr


@pytest.mark.postgres
def test_on_postgresql_a_worker_saves_artifacts_and_deleting_the_study_deletes_them(migrated_postgres_url, tmp_path):
    project = Project(tmp_path, database_url=migrated_postgres_url)
    for name in ("pg-doomed", "pg-kept"):
        spec = quadratic_spec(name, 2, "saves_artifacts", search_space=ONE_DIM)
        project.run("create_study", str(project.write_spec(spec, f"{name}.json")))
        project.run("run_study", name)
    assert all(len(row["artifacts"]) == 3 for row in stored(project, "pg-doomed").values())
    root = tmp_path / "artifacts"
    assert len([p for p in root.rglob("*") if p.is_file()]) == 12
    project.run("shell", "-c", "from studies.models import Study; Study.objects.get(name='pg-doomed').delete()")
    left = [p for p in root.rglob("*") if p.is_file()]
    assert len(left) == 6 and stored(project, "pg-kept")[1]["artifacts"] == expected_artifacts(
        1, params_of(project, "pg-kept")[1]
    )
