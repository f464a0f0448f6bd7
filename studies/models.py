"""Persistence: studies, trials, intermediate values and the append-only event log.

Only ``studies.services`` writes these rows. Study carries denormalised counters
(``n_done``, ``best_value``) updated with conditional UPDATEs, so list pages never
scan trials and concurrent workers never race a read-modify-save.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studies.core.trials import TrialState


class StudyState(models.TextChoices):
    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"


class Study(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    executor = models.CharField(max_length=200, blank=True)  # "": trials come only from remote clients
    # The normalised spec as parsed by studies.core.spec; the source of truth for
    # the objective, sampler, pruner and search space.
    spec = models.JSONField()
    metric = models.CharField(max_length=200)
    direction = models.CharField(max_length=8, choices=[("minimize", "minimize"), ("maximize", "maximize")])
    n_trials = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=StudyState.choices, default=StudyState.CREATED, db_index=True)
    n_done = models.PositiveIntegerField(default=0)  # trials in a terminal state
    best_value = models.FloatField(null=True, blank=True)
    best_trial_number = models.IntegerField(null=True, blank=True)
    # Several objectives: how many trials are on the Pareto front (Trial.on_front).
    front_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "studies"
        # Writes over the API (create, ask, tell, enqueue) need it; staff have it implicitly.
        permissions = [("run_studies", "Can create and run studies and their trials")]

    def __str__(self) -> str:
        return self.name


class Trial(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="trials")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=[(s.value, s.value) for s in TrialState])
    params = models.JSONField(default=dict)
    value = models.FloatField(null=True, blank=True)  # the objective, when completed
    metrics = models.JSONField(default=dict, blank=True)  # final metric name -> value
    # Completed trials: every objective's value in the spec's order, and whether every
    # constraint held. ``on_front``: a feasible trial no other feasible one dominates,
    # kept up to date by the finishing transaction (services.pareto).
    objective_values = models.JSONField(null=True, blank=True)
    feasible = models.BooleanField(null=True, blank=True)
    on_front = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    traceback = models.TextField(blank=True, default="")
    pruned_step = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    worker_id = models.CharField(max_length=200, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    retries = models.PositiveIntegerField(default=0)
    # A remote client's idempotency key for ``ask``: the same key gets the same trial.
    request_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="trial_number_unique_per_study"),
            models.UniqueConstraint(
                fields=["study", "request_id"],
                condition=~models.Q(request_id=""),
                name="trial_request_id_unique_per_study",
            ),
        ]
        indexes = [
            models.Index(fields=["study", "state"], name="trial_study_state"),
            models.Index(fields=["study", "value"], name="trial_study_value"),
            # Covers the dashboard's plot queries (count, bucketed min/max by number) so a
            # 100,000-trial study is read from the index, not from its wide rows.
            models.Index(fields=["study", "state", "number", "value"], name="trial_study_state_number_value"),
            models.Index(fields=["state", "heartbeat_at"], name="trial_state_heartbeat"),
            # The front is read on every finish of a multi-objective study: a few rows.
            models.Index(fields=["study"], condition=models.Q(on_front=True), name="trial_study_on_front"),
        ]

    def __str__(self) -> str:
        return f"{self.study.name} #{self.number}"


class TrialValue(models.Model):
    """An intermediate value: one metric reported at one step of a running trial."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="values")
    # Denormalised so a pruner's "completed trials' values at step s" is one index scan.
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    step = models.IntegerField()
    metric = models.CharField(max_length=200)
    value = models.FloatField()

    class Meta:
        ordering = ["trial", "step", "metric"]
        constraints = [models.UniqueConstraint(fields=["trial", "step", "metric"], name="value_unique_per_step")]
        indexes = [models.Index(fields=["study", "metric", "step"], name="value_study_metric_step")]


class StudyEvent(models.Model):
    """Append-only log; ``id`` is the cursor clients resume from."""

    id = models.BigAutoField(primary_key=True)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["study", "id"], name="event_study_id")]


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; ``prefix`` names it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16, db_index=True)  # the token's first characters, for display
    digest = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the whole token
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"


# --- the trial workbench (DESIGN.md section 10): notes and logs --------------------------


class Note(models.Model):
    """Plain text, shown escaped with its line breaks wherever it appears."""

    text = models.TextField(blank=True, default="")
    updated_by = models.CharField(max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class StudyNote(Note):
    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="note")


class TrialNote(Note):
    trial = models.OneToOneField(Trial, on_delete=models.CASCADE, related_name="note")


class TrialLog(models.Model):
    """How much of a trial's output is stored; its row is locked while a chunk is appended.

    The head (the first half of ``SOMATIZE_TRIAL_LOG_LIMIT``) is kept whole; the tail
    keeps the most recent half, and ``dropped_chars`` counts what fell out between.
    """

    trial = models.OneToOneField(Trial, on_delete=models.CASCADE, related_name="log")
    head_chars = models.PositiveBigIntegerField(default=0)
    tail_chars = models.PositiveBigIntegerField(default=0)
    dropped_chars = models.PositiveBigIntegerField(default=0)
    next_seq = models.PositiveIntegerField(default=0)


class TrialLogChunk(models.Model):
    """A piece of a trial's stdout/stderr, in the order written (``seq``)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="log_chunks")
    seq = models.PositiveIntegerField()
    text = models.TextField()
    in_tail = models.BooleanField(default=False)  # may be dropped when the tail outgrows its half

    class Meta:
        ordering = ["trial", "seq"]
        constraints = [models.UniqueConstraint(fields=["trial", "seq"], name="log_chunk_unique_seq")]


class TrialParam(models.Model):
    """One parameter of one trial in a typed, indexed column (``studies.core.paramcolumns``).

    The trial table filters and sorts by a parameter through these rows' indexes instead
    of reading every trial's JSON. Written in the transaction that creates the trial (its
    parameters never change after); an inactive conditional parameter has a row with
    both values NULL. ``number`` repeats the trial's, so ties and pages stay in the index.
    """

    # The composite indexes below lead with study, and the unique constraint with trial:
    # the foreign keys' own indexes would only slow the claim that writes these rows.
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+", db_index=False)
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="param_rows", db_index=False)
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=64)
    num_value = models.FloatField(null=True, blank=True)
    text_value = models.CharField(max_length=400, null=True, blank=True)

    class Meta:
        ordering = ["study", "number", "name"]
        constraints = [models.UniqueConstraint(fields=["trial", "name"], name="trial_param_unique_name")]
        indexes = [
            models.Index(fields=["study", "name", "num_value", "number"], name="trial_param_num"),
            models.Index(fields=["study", "name", "text_value", "number"], name="trial_param_text"),
        ]

    def __str__(self) -> str:
        return f"{self.name} of trial {self.number}"


class TrialArtifact(models.Model):
    """A file an executor or a remote client saved for a trial (``services.artifacts``).

    The bytes live in the ``artifacts`` storage (``settings.STORAGES``) under ``key``;
    this row says what they are. A name is unique per trial: saving it again replaces it.
    """

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=200)
    key = models.CharField(max_length=500)  # where the storage keeps it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trial", "name"]
        constraints = [models.UniqueConstraint(fields=["trial", "name"], name="artifact_unique_name_per_trial")]

    def __str__(self) -> str:
        return f"{self.name} of trial {self.trial_id}"
