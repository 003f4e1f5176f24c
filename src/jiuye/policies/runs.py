"""政策找人 batch runs: evaluate policies over everyone in a region and keep the results.

``run_policies`` is the one action behind the command (``jiuye policy run``), the page and
the API: it checks that the actor may edit in the region, loads the region's registry as
columns (``jiuye.policies.loader``), evaluates each policy vectorised
(``jiuye.policies.engine``), stores the candidates and queues the notices
(``jiuye.policies.notify``). A ``PolicyRun`` row records each stage as it goes — status,
stage, rows to evaluate and evaluated, per-policy counts, the parameter versions used and
the timings — so a page can show the progress while it runs.

Results are **candidates only** (rows passing a policy's gate conditions), eligible or not,
each with every condition's outcome and a few facts, and only those whose region lies in the
run's region (the loader also reads neighbours that rules look up). They are stored
idempotently: one ``PolicyResult`` per (policy, subject type, subject, period), updated in
place by a later run, never duplicated. On PostgreSQL the rows go through ``COPY`` into a
temporary table and one ``INSERT … ON CONFLICT DO UPDATE``; elsewhere through
``bulk_create(update_conflicts=True)``. A result that a later run of the same period no
longer finds stays as it was (with its old run), so a run's push list is exactly what that
run found. Entitlements are made from a finished run separately
(``jiuye.policies.entitlements.grant_from_run``).

The run is deliberately not one transaction: each policy's results are stored atomically and
the progress row is updated between them, so another connection (the page) sees it move. A
run that fails half-way is marked failed with the message; running it again is safe.

``start_run`` is what the page calls: it creates the row and runs it in a background thread
after the transaction commits, so the request returns at once. It runs inline instead when
``settings.JIUYE_RUNS_INLINE`` is true or when called inside a transaction (a test, or a
caller that has not committed the row yet — a thread could not see it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import require
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.policies.engine import Evaluation, Policy, evaluate
from jiuye.policies.loader import load_population
from jiuye.policies.models import PolicyResult, PolicyRun, RunStatus
from jiuye.policies.parameters import Params
from jiuye.policies.rules import all_policies
from jiuye.regions.codes import InvalidRegionCode, normalize, prefix_of
from jiuye.regions.models import Region

logger = logging.getLogger(__name__)

__all__ = ["create_run", "run_policies", "start_run", "store_results"]

# A queued or running run not updated for this long is taken for dead (its process ended):
# it no longer blocks a new run of the same region. A province's run updates its row every
# few seconds once loaded; loading itself takes well under this.
STALE_AFTER = dt.timedelta(minutes=15)
# Rows written per COPY or bulk_create batch.
STORE_CHUNK = 50_000


class Stage:
    """What a running run is doing (``PolicyRun.stage``)."""

    LOADING = "loading"
    EVALUATING = "evaluating"
    NOTIFYING = "notifying"
    DONE = "done"


# --------------------------------------------------------------------------------------------
# Checks


def _region(region_code: str) -> str:
    try:
        code = normalize(str(region_code))
    except InvalidRegionCode:
        raise JiuyeError(ErrorCode.INVALID_REGION) from None
    if not Region.objects.current().filter(code=code).exists():
        raise JiuyeError(ErrorCode.INVALID_REGION)
    return code


def selected_policies(codes) -> list[Policy]:
    """The policies of a run in the catalogue's order; empty or None means all."""
    available = all_policies()
    codes = [c for c in (codes or []) if c]
    unknown = [c for c in codes if c not in available]
    if unknown:
        raise JiuyeError(
            ErrorCode.INVALID, _("Unknown policy: %(codes)s") % {"codes": ", ".join(unknown)}
        )
    return [p for code, p in available.items() if not codes or code in codes]


def _active_overlapping(region_code: str, exclude: int | None = None) -> PolicyRun | None:
    """A queued or running run (not stale) whose region overlaps ``region_code``."""
    fresh = timezone.now() - STALE_AFTER
    prefix = prefix_of(region_code)
    active = PolicyRun.objects.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING], updated_at__gte=fresh
    ).exclude(pk=exclude)
    for run in active.only("pk", "region_code"):
        other = prefix_of(run.region_code)
        if other.startswith(prefix) or prefix.startswith(other):
            return run
    return None


# --------------------------------------------------------------------------------------------
# The action


@transaction.atomic
def create_run(*, actor, as_of: dt.date, region_code: str, policies=None) -> PolicyRun:
    """A queued run, after the checks: the actor edits in the region, the policies exist, and
    no other run of an overlapping region is in progress."""
    code = _region(region_code)
    require(actor, Perm.EDIT, code)
    selected = selected_policies(policies)
    if not isinstance(as_of, dt.date):
        raise JiuyeError(ErrorCode.INVALID, _("The as-of date is not a date."))
    busy = _active_overlapping(code)
    if busy is not None:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _("Run %(id)s for an overlapping region is still in progress.") % {"id": busy.pk},
            status=409,
        )
    codes = [p.code for p in selected] if policies else []
    run = PolicyRun.objects.create(
        policies=codes,
        as_of=as_of,
        region_code=code,
        status=RunStatus.QUEUED,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="policies.run.start",
        obj=run,
        after={"policies": codes or "*", "as_of": as_of, "region_code": code},
    )
    return run


def run_policies(
    *, actor, as_of: dt.date, region_code: str, policies=None, run: PolicyRun | None = None
) -> PolicyRun:
    """Run the policies (all when ``policies`` is empty) for ``region_code`` on ``as_of``.

    With ``run`` (a queued row from ``start_run``), that row is run and the other arguments
    are taken from it. Returns the run, done or failed: a failure is recorded in
    ``run.error``, not raised. Refusals before anything starts (permission, region, policy
    codes, a run in progress) raise ``JiuyeError``.
    """
    if run is None:
        run = create_run(actor=actor, as_of=as_of, region_code=region_code, policies=policies)
    else:
        require(actor, Perm.EDIT, run.region_code)
    selected = selected_policies(run.policies)
    _execute(run, actor, selected)
    return run


def start_run(*, actor, as_of: dt.date, region_code: str, policies=None) -> PolicyRun:
    """Create the run and run it in the background (inline in tests; see the module doc)."""
    run = create_run(actor=actor, as_of=as_of, region_code=region_code, policies=policies)
    if getattr(settings, "JIUYE_RUNS_INLINE", False) or connection.in_atomic_block:
        run_policies(
            actor=actor, as_of=run.as_of, region_code=run.region_code, policies=None, run=run
        )
        return run
    actor_id = actor.pk
    transaction.on_commit(lambda: _spawn(run.pk, actor_id))
    return run


def _spawn(run_id: int, actor_id: int) -> None:
    thread = threading.Thread(
        target=_run_in_background, args=(run_id, actor_id), name=f"policy-run-{run_id}"
    )
    # A daemon: a server shutting down does not wait for it; the run then goes stale and a
    # new one may be started.
    thread.daemon = True
    thread.start()


def _run_in_background(run_id: int, actor_id: int) -> None:
    from jiuye.accounts.models import User

    close_old_connections()
    try:
        run = PolicyRun.objects.get(pk=run_id)
        actor = User.objects.get(pk=actor_id)
        run_policies(
            actor=actor, as_of=run.as_of, region_code=run.region_code, policies=None, run=run
        )
    except Exception as exc:  # the thread has nobody to raise to: record it on the run
        logger.exception("policy run %s failed", run_id)
        PolicyRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            error=str(exc)[:2000] or exc.__class__.__name__,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    finally:
        connections.close_all()  # this thread's connections only


# --------------------------------------------------------------------------------------------
# Running


def _save(run: PolicyRun, **fields) -> None:
    """Update the row at once (outside any transaction of the run's own work) so the page
    polling it sees the progress."""
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    PolicyRun.objects.filter(pk=run.pk).update(**fields)


def _execute(run: PolicyRun, actor, selected: list[Policy]) -> None:
    clock = time.perf_counter
    began = clock()
    timings: dict[str, float] = {}
    counts: dict[str, dict] = {}
    versions: dict[str, dict] = {}
    _save(
        run,
        status=RunStatus.RUNNING,
        stage=Stage.LOADING,
        started_at=timezone.now(),
        finished_at=None,
        error="",
        total=0,
        processed=0,
        counts={},
        param_versions={},
        timings={},
    )
    try:
        t0 = clock()
        population = load_population(as_of=run.as_of, region_prefixes=run.region_code)
        timings["load"] = clock() - t0
        total = sum(len(population[p.entity]) for p in selected)
        _save(run, stage=Stage.EVALUATING, total=total, timings=_rounded(timings))
        prefix = prefix_of(run.region_code)
        processed = 0
        for policy in selected:
            t0 = clock()
            evaluation = evaluate(policy, population, Params(run.as_of))
            candidates = np.flatnonzero(evaluation.candidate)
            inside = np.char.startswith(evaluation.region_code[candidates], prefix)
            found = evaluation.take(candidates[inside])
            timings["evaluate"] = timings.get("evaluate", 0.0) + clock() - t0
            t0 = clock()
            store_results(run, found)
            timings["store"] = timings.get("store", 0.0) + clock() - t0
            eligible = found.eligible
            counts[policy.code] = {
                "candidates": len(found),
                "eligible": int(eligible.sum()),
                "amount": _money(found.amount[eligible].sum()),
            }
            versions[policy.code] = dict(sorted(evaluation.param_versions.items()))
            processed += len(population[policy.entity])
            _save(
                run,
                processed=processed,
                counts=counts,
                param_versions=versions,
                timings=_rounded(timings),
            )
        del population
        _save(run, stage=Stage.NOTIFYING)
        t0 = clock()
        from jiuye.policies import notify

        queued = notify.queue_for_run(run)
        timings["notices"] = clock() - t0
        for code, figures in counts.items():
            figures["notices"] = queued.get(code, 0)
        timings["total"] = clock() - began
        _save(
            run,
            status=RunStatus.DONE,
            stage=Stage.DONE,
            counts=counts,
            timings=_rounded(timings),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("policy run %s failed", run.pk)
        timings["total"] = clock() - began
        _save(
            run,
            status=RunStatus.FAILED,
            error=(str(exc) or exc.__class__.__name__)[:2000],
            timings=_rounded(timings),
            finished_at=timezone.now(),
        )
    audit.record(
        actor=actor,
        action="policies.run.finish",
        obj=run,
        after={"status": run.status, "counts": run.counts, "error": run.error},
    )


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in timings.items()}


def _money(value) -> str:
    return f"{float(value):.2f}"


# --------------------------------------------------------------------------------------------
# Storing


def _json_values(values: np.ndarray) -> list:
    """A column as JSON-safe Python values: NaN and NaT as null, dates as ISO text, whole
    floats as integers."""
    values = np.asarray(values)
    kind = values.dtype.kind
    if kind == "M":
        text = np.datetime_as_string(values.astype("datetime64[D]"))
        return [None if t == "NaT" else str(t) for t in text.tolist()]
    if kind == "f":
        out = []
        for v in values.tolist():
            if not math.isfinite(v):
                out.append(None)
            elif v.is_integer():
                out.append(int(v))
            else:
                out.append(round(v, 4))
        return out
    if kind in "biu":
        return values.tolist()
    return [str(v) for v in values.tolist()]


def result_rows(evaluation: Evaluation) -> tuple[list[dict], list[dict]]:
    """Per row: the conditions ``{code: bool}`` in the policy's order, and the facts."""
    n = len(evaluation)
    codes = [c.code for c in evaluation.policy.conditions]
    # Few distinct outcome patterns occur: build each dict once and share it.
    bits = np.zeros(n, dtype=np.int64)
    for k, code in enumerate(codes):
        bits |= evaluation.outcomes[code].astype(np.int64) << k
    patterns, inverse = np.unique(bits, return_inverse=True)
    dicts = [{code: bool(int(p) >> k & 1) for k, code in enumerate(codes)} for p in patterns]
    conditions = [dicts[i] for i in inverse.tolist()]
    keys = list(evaluation.facts)
    if keys:
        columns = [_json_values(evaluation.facts[k]) for k in keys]
        facts = [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]
    else:
        facts = [{} for _ in range(n)]
    return conditions, facts


def store_results(run: PolicyRun, evaluation: Evaluation) -> int:
    """Upsert the rows of ``evaluation`` as ``PolicyResult`` rows of ``run``."""
    n = len(evaluation)
    if n == 0:
        return 0
    conditions, facts = result_rows(evaluation)
    for start in range(0, n, STORE_CHUNK):
        part = slice(start, start + STORE_CHUNK)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _store_copy(run, evaluation, part, conditions[part], facts[part])
            else:
                _store_orm(run, evaluation, part, conditions[part], facts[part])
    return n


_UPDATED = (
    "payee_type",
    "payee_id",
    "region_code",
    "as_of",
    "eligible",
    "amount",
    "conditions",
    "facts",
    "run_id",
    "updated_at",
)


def _store_copy(run, evaluation: Evaluation, part: slice, conditions, facts) -> None:
    policy = evaluation.policy
    table = connection.ops.quote_name(PolicyResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS jy_results")
        cursor.execute(
            "CREATE TEMPORARY TABLE jy_results (subject_id bigint, payee_id bigint, "
            "period text, region_code text, eligible boolean, amount numeric(12, 2), "
            "conditions jsonb, facts jsonb)"
        )
        rows = zip(
            evaluation.subject_id[part].tolist(),
            evaluation.payee_id[part].tolist(),
            evaluation.period[part].tolist(),
            evaluation.region_code[part].tolist(),
            evaluation.eligible[part].tolist(),
            np.round(evaluation.amount[part], 2).tolist(),
            [json.dumps(c) for c in conditions],
            [json.dumps(f, ensure_ascii=False) for f in facts],
            strict=True,
        )
        with cursor.cursor.copy(
            "COPY jy_results (subject_id, payee_id, period, region_code, eligible, amount, "
            "conditions, facts) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
        cursor.execute(
            f"INSERT INTO {table} (policy, subject_type, subject_id, payee_type, payee_id, "
            f"period, region_code, as_of, eligible, amount, conditions, facts, run_id, "
            f"updated_at) SELECT %s, %s, subject_id, %s, payee_id, period, region_code, %s, "
            f"eligible, amount, conditions, facts, %s, %s FROM jy_results "
            f"ON CONFLICT (policy, subject_type, subject_id, period) DO UPDATE SET {updates}",
            [
                policy.code,
                policy.subject_type,
                policy.payee_type,
                evaluation.as_of,
                run.pk,
                timezone.now(),
            ],
        )
        cursor.execute("DROP TABLE jy_results")


def _store_orm(run, evaluation: Evaluation, part: slice, conditions, facts) -> None:
    policy = evaluation.policy
    objects = [
        PolicyResult(
            policy=policy.code,
            subject_type=policy.subject_type,
            subject_id=subject_id,
            payee_type=policy.payee_type,
            payee_id=payee_id,
            period=period,
            region_code=region_code,
            as_of=evaluation.as_of,
            eligible=eligible,
            amount=Decimal(f"{amount:.2f}"),
            conditions=condition,
            facts=fact,
            run=run,
        )
        for subject_id, payee_id, period, region_code, eligible, amount, condition, fact in zip(
            evaluation.subject_id[part].tolist(),
            evaluation.payee_id[part].tolist(),
            evaluation.period[part].tolist(),
            evaluation.region_code[part].tolist(),
            evaluation.eligible[part].tolist(),
            evaluation.amount[part].tolist(),
            conditions,
            facts,
            strict=True,
        )
    ]
    PolicyResult.objects.bulk_create(
        objects,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["policy", "subject_type", "subject_id", "period"],
        update_fields=[f.removesuffix("_id") if f == "run_id" else f for f in _UPDATED],
    )
