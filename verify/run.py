"""Running the claims and the figures: isolated, in parallel by group, written as one output set.

* **The group is the unit of distribution.**  Claims of one group share studies (``ctx.cached``), so a group runs
  in one process; groups run in parallel on ``jobs`` local processes (joblib's loky back end; ``jobs=1`` runs in
  this process) or, with ``dask=ADDRESS``, as one task each on the workers of an existing Dask cluster.  Inside a
  group every :func:`bmaml_theory.parallel.pmap` (search restarts, Monte Carlo batches, instances) runs serially
  in the group's worker (:func:`bmaml_theory.parallel.serial`): the levels never nest, so no core is oversubscribed
  and no Dask task blocks waiting for tasks queued behind it.
* **Same ledger wherever it runs.**  A group's result depends on its claim ids, ``quick`` and ``seed`` only (every
  evaluation inside is seeded by its index, reductions are in a fixed order), and results are put back in
  registry order; only timings and provenance (``seconds``, ``worker``) depend on where and when it ran.  Every
  group runs with BLAS/OpenMP limited to one thread (threadpoolctl), in this process as in any worker: a
  multithreaded BLAS sums in an order that depends on its thread count.
* **Order: longest processing time first** (Graham's LPT rule): groups start in decreasing expected seconds, the
  sum of their claims' committed timings for the same kind of run (:mod:`verify.timings`, quick with quick);
  a claim not in them counts as the median of those that are (:data:`FALLBACK_SECONDS` when there are none).
  Order changes when a group finishes, never what it returns.
* **Fail closed.**  Each claim fails closed (:func:`~bmaml_theory.claims.run_claim`).  A local worker that dies
  breaks joblib's pool: the groups that had not returned are rerun, each alone in a fresh process, and only a group
  whose own process dies again reads inconclusive.  On Dask a dead worker's task is rescheduled by the cluster
  (``distributed.scheduler.allowed-failures``); groups are sent only when a worker thread is free, so a dead
  worker held only the group it ran.  A group that keeps killing workers, or that is lost with the cluster, reads
  inconclusive with the error; the other groups keep their results.
* Claims whose optional requirements (e.g. torch for the MNIST-1D claims) are missing are skipped, not failed,
  and listed as skipped.
* Figures are drawn only from the claims' results, after the claims; a figure that fails is reported, never fatal.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bmaml_theory.claims import REGISTRY, ClaimResult, groups, run_group
from bmaml_theory.claims._core import _error_result
from verify.figures import FIGURES
from verify.progress import Progress

__all__ = ["ClusterError", "GroupRun", "RunOutcome", "draw_figures", "expected_seconds", "plan", "run_claims"]

GROUP_TIMEOUT_S = {False: 900.0, True: 180.0}  # cooperative deadline per group (default, quick): a hung search ends
FALLBACK_SECONDS = 10.0  # expected seconds of a claim when no ledger gives any timing (order only, never results)
CONNECT_TIMEOUT_S = 10.0  # how long --dask waits for the scheduler to answer before it is a usage error


class ClusterError(Exception):
    """``--dask ADDRESS`` cannot be used (no scheduler answers, no workers, or dask is not installed).

    The message names ``--dask`` and the fix; the command line turns it into exit code 2 before any claim runs.
    """


@dataclass
class GroupRun:
    """Where and how long one group ran: ``seconds`` is its wall time in the worker (None when it never returned)."""

    group: str
    claims: list[str]
    expected: float
    seconds: float | None = None
    worker: str = ""
    attempts: int = 1

    def to_json(self) -> dict:
        return {
            "group": self.group,
            "claims": list(self.claims),
            "expected_seconds": round(self.expected, 2),
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "worker": self.worker,
            "attempts": self.attempts,
        }


@dataclass
class RunOutcome:
    results: list[ClaimResult]
    skipped: list[dict]
    seconds: float
    figure_errors: dict[str, str] = field(default_factory=dict)
    groups: list[GroupRun] = field(default_factory=list)
    backend: str = "this process"
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def errored(self) -> int:
        return sum(r.error is not None for r in self.results)

    def run_info(self) -> dict:
        """Where the run ran, its seed, each group's wall time and attempts (for the ledger's top-level provenance)."""
        info = {"backend": self.backend, "seed": self.seed, "groups": [g.to_json() for g in self.groups]}
        retried = [g.group for g in self.groups if g.attempts > 1]
        if retried:
            info["retried_groups"] = retried
        if self.notes:
            info["notes"] = list(self.notes)
        return info


def expected_seconds(
    ids: Iterable[str], ledger: Path | None = None, quick: bool = False, notes: list[str] | None = None
) -> dict[str, float]:
    """Expected seconds per claim: ``provenance.seconds`` in ``ledger``, or by default the committed timings of the
    same kind of run (:mod:`verify.timings`: quick runs are planned with quick timings, never from ./figures).

    A claim without a timing (new, or no timings at all) gets the median of the known ones, or
    :data:`FALLBACK_SECONDS`; an unreadable ledger counts as none.  A ledger is read defensively (it may have been
    edited by hand): a non-finite, negative or non-numeric ``seconds`` is ignored, and each ignored entry appends a
    line to ``notes``.  Used to order groups and estimate time only.
    """
    known: dict[str, float] = {}
    if ledger is None:
        from verify import timings

        known = timings.load(quick)[0]
    else:
        path = Path(ledger)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            entries = doc.get("claims", []) if isinstance(doc, dict) else []
            for c in entries if isinstance(entries, list) else []:
                if not isinstance(c, dict) or not isinstance(c.get("id"), str):
                    continue
                prov = c.get("provenance")
                s = prov.get("seconds") if isinstance(prov, dict) else None
                if isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) and s >= 0:
                    known[c["id"]] = float(s)
                elif s is not None and notes is not None:
                    notes.append(
                        f"{path.name}: claim {c['id']!r} has provenance.seconds = {s!r}, not a finite number >= 0; "
                        "ignored (it only orders the groups)"
                    )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            known = {}
    fallback = statistics.median(known.values()) if known else FALLBACK_SECONDS
    return {cid: known.get(cid, fallback) for cid in ids}


def plan(by_group: dict[str, list[str]], expected: dict[str, float]) -> list[GroupRun]:
    """Groups in longest-processing-time-first order (ties: registry order), with their expected seconds."""
    runs = [GroupRun(g, ids, sum(expected[c] for c in ids)) for g, ids in by_group.items()]
    order = sorted(range(len(runs)), key=lambda k: (-runs[k].expected, k))
    return [runs[k] for k in order]


def _where(kind: str) -> str:
    if kind == "dask":
        try:
            from distributed import get_worker

            return f"dask worker {get_worker().address}"
        except (ImportError, ValueError):
            pass
    return f"{kind} pid {os.getpid()} on {socket.gethostname()}"


def _run_group_remote(
    ids: list[str], quick: bool, seed: int, deadline_s: float, kind: str = "local process"
) -> tuple[list[ClaimResult], float, str]:
    """Run one group (in whatever process this is): its results, its wall seconds, and where it ran."""
    from threadpoolctl import threadpool_limits

    from bmaml_theory.claims import certification
    from bmaml_theory.parallel import serial

    t0 = time.perf_counter()
    if kind in ("local process", "isolated process"):
        _ignore_sigint()
    # evaluations inside a group never start a pool of their own, and BLAS/OpenMP use one thread: a multithreaded
    # BLAS sums in an order that depends on its thread count, so without this the main process (--jobs 1, as many
    # BLAS threads as cores) and a Dask worker (one) differ in the last bits
    with serial(), threadpool_limits(limits=1):
        rs = run_group(ids, quick=quick, seed=seed, deadline=time.time() + deadline_s)
        rs = [certification.attach(r, quick) for r in rs]  # a violated row is signed only when certified
    return rs, time.perf_counter() - t0, _where(kind)


def _ignore_sigint() -> None:
    """In a worker process: leave Ctrl-C to the main process (it stops the pool and exits 130 with one line); the
    terminal sends SIGINT to the whole process group, and each worker would otherwise print its own traceback."""
    with contextlib.suppress(ValueError):  # ValueError: not the worker's main thread, nothing to do
        signal.signal(signal.SIGINT, signal.SIG_IGN)


PARENT_ENV = "BMAML_VERIFY_PARENT_PID"  # set by the run for its worker processes: the process they must not outlive
PARENT_POLL_S = 1.0
_watching = False


def _exit_with_parent() -> None:
    """In a worker process: exit at once (``os._exit``) when the run that started it is gone.

    A SIGKILLed run cannot tell its workers to stop, and a busy loky worker checks its queue only between tasks, so
    without this it computes on (reparented to init) for up to a group's deadline.  A daemon thread compares the
    parent pid with the run's pid (:data:`PARENT_ENV`) every :data:`PARENT_POLL_S` s; a change means the run died and
    the worker was reparented.  Its exit also lets loky's resource tracker, which outlives the workers, unlink their
    semaphores.  Started once per process; a no-op in the run's own process or where the variable is unset.
    """
    global _watching
    run_pid = int(os.environ.get(PARENT_ENV, "0") or 0)
    if _watching or run_pid in (0, os.getpid()):
        return
    _watching = True

    def watch() -> None:
        while True:
            if os.getppid() != run_pid:
                os._exit(70)  # EX_SOFTWARE: the run that wanted this result no longer exists
            time.sleep(PARENT_POLL_S)

    import threading

    threading.Thread(target=watch, name="bmaml-verify-parent-watch", daemon=True).start()


def _keyed(k: int, fn: Callable, *args) -> tuple[int, tuple]:
    _exit_with_parent()
    return k, fn(*args)


def _guarded(fn: Callable, *args) -> tuple:
    _exit_with_parent()
    return fn(*args)


# Groups that measure their own process (tracemalloc counts the allocations of every thread in it): on a Dask worker
# the worker's own threads (heartbeats, comms) allocate too, and the measured peaks change (table1-memory-n's slope
# read 0.86 on a worker against 0.036 locally).  With --dask they run on this machine, alone in a fresh process, so the
# ledger is the same wherever the run goes.
OWN_PROCESS_GROUPS = {"cj-memory-bias": "tracemalloc peaks count every thread of the process"}


def _run_isolated(ids: list[str], quick: bool, seed: int, deadline_s: float, fn: Callable) -> tuple:
    """Run one group alone in a fresh (spawned) process: if that process dies, only this group is lost."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    os.environ[PARENT_ENV] = str(os.getpid())  # inherited by the spawned process: it exits if this one dies
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as ex:
        return ex.submit(_guarded, fn, ids, quick, seed, deadline_s, "isolated process").result()


def _connect(address: str):
    """A distributed Client on the scheduler at ``address`` with at least one worker, or :class:`ClusterError`."""
    fix = (
        "start a scheduler with 'dask scheduler' and workers with 'dask worker ADDRESS --nthreads 1' "
        "(see docs/scale-out.md) and pass the address the scheduler prints (tcp://HOST:8786), "
        "or leave out --dask to run on local processes (--jobs N)"
    )
    if not isinstance(address, str) or not address.strip():
        raise ClusterError(f"--dask needs a scheduler address such as tcp://127.0.0.1:8786, got {address!r}: {fix}")
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise ClusterError(
            f"--dask needs dask.distributed, which is not installed ({exc}): "
            "pip install -e '.[dist]' (or pip install 'dask[distributed]')"
        ) from exc
    from distributed.comm import get_address_host_port

    try:
        get_address_host_port(address)
    except ValueError as exc:
        raise ClusterError(
            f"--dask {address}: not a scheduler address ({exc}); pass it as tcp://HOST:PORT "
            "(the 'Scheduler at:' line that 'dask scheduler' prints; see docs/scale-out.md)"
        ) from exc
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except Exception as exc:  # OSError/TimeoutError: nobody listens there (or a firewall drops the packets)
        raise ClusterError(
            f"--dask {address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S:.0f} s "
            f"({type(exc).__name__}: {exc}); {fix}"
        ) from exc
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:
        client.close()
        raise ClusterError(
            f"--dask {address}: no worker joined the cluster within {CONNECT_TIMEOUT_S:.0f} s, or the scheduler went away "
            f"({type(exc).__name__}: {exc}); "
            f"start some with 'dask worker {address} --nthreads 1'"
        ) from exc
    return client


def run_claims(
    ids: Iterable[str] | None = None,
    *,
    quick: bool,
    jobs: int = 1,
    seed: int = 0,
    progress: bool = True,
    log: bool = True,
    dask: str | None = None,
    ledger: Path | None = None,
    group_fn: Callable = _run_group_remote,
) -> RunOutcome:
    """Run the claims ``ids`` (default: all), groups in parallel; results come back in registry order.

    ``jobs`` local processes, or with ``dask`` the workers of the Dask cluster whose scheduler is at that address
    (``jobs`` is then ignored); raises :class:`ClusterError` before any claim runs when that cluster is unusable.
    ``ledger`` (default: the committed ``figures/claims.json``) gives the expected seconds that order the groups.
    ``group_fn`` runs one group in a worker (the default; tests inject faults through it).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2^32) (NumPy seeds are non-negative), got {seed!r}")
    t0 = time.perf_counter()
    wanted = list(REGISTRY) if ids is None else list(ids)
    skipped, runnable = [], []
    for cid in wanted:
        missing = REGISTRY[cid].statement.missing()
        if missing:
            skipped.append({"id": cid, "reason": f"needs {', '.join(missing)}: pip install -e '.[nn]'"})
        else:
            runnable.append(cid)
    client = _connect(dask) if dask is not None else None  # a usage error before any work
    notes: list[str] = []
    tasks = plan(groups(runnable), expected_seconds(runnable, ledger, quick, notes))
    if log:
        for n in notes:
            print(f"bmaml-verify: note: {n}", file=sys.stderr)
    deadline_s = GROUP_TIMEOUT_S[quick]
    done: dict[str, ClaimResult] = {}
    bar = Progress(tasks, 1 if dask is None and jobs <= 1 else max(jobs, 1), enabled=progress, log=log)

    def report(g: GroupRun, out: tuple | None, error: str | None = None) -> None:
        if out is not None:
            rs, g.seconds, g.worker = out
        else:
            rs = [_error_result(REGISTRY[c], error or "the group did not return") for c in g.claims]
        for r in rs:
            r.provenance["worker"] = g.worker or "none (the group did not return)"
            done[r.id] = r
            bar.claim_done(r.id, r.status, r.provenance.get("seconds", 0))
        bar.group_done(g)

    if client is not None:
        backend = f"dask cluster at {dask}"
        try:
            _on_dask(client, tasks, quick, seed, deadline_s, report, group_fn)
        finally:
            client.close()
            bar.close()
    elif jobs <= 1 or len(tasks) <= 1:
        backend = "this process"
        try:
            for g in tasks:
                report(g, group_fn(g.claims, quick, seed, deadline_s, "this process"))
        finally:
            bar.close()
    else:
        backend = f"{jobs} local processes (loky)"
        try:
            _on_loky(tasks, jobs, quick, seed, deadline_s, report, group_fn)
        finally:
            bar.close()
    results = [done[c] for c in runnable]
    return RunOutcome(results, skipped, time.perf_counter() - t0, groups=tasks, backend=backend, seed=seed, notes=notes)


def _on_loky(tasks, jobs, quick, seed, deadline_s, report, group_fn) -> None:
    """Groups on ``jobs`` loky processes, LPT order; after a worker death the unreturned groups run isolated."""
    from joblib import Parallel, delayed

    os.environ[PARENT_ENV] = str(os.getpid())  # inherited by the workers: each exits if this process dies
    # max_nbytes=None: the arguments are claim ids, never large arrays, so no memmapping folder in /dev/shm to leak
    par = Parallel(
        n_jobs=jobs,
        backend="loky",
        return_as="generator_unordered",
        batch_size=1,
        pre_dispatch="n_jobs",
        max_nbytes=None,
    )
    pending = dict(enumerate(tasks))
    outputs = None
    try:
        try:
            outputs = par(
                delayed(_keyed)(k, group_fn, g.claims, quick, seed, deadline_s) for k, g in list(pending.items())
            )
            for k, out in outputs:
                report(pending.pop(k), out)
        except KeyboardInterrupt:
            if outputs is not None:
                outputs.close()  # joblib aborts the run: the workers are terminated, none is left behind
            raise
    except Exception as exc:  # a worker died (or a result did not come back): the pool is gone
        first = f"{type(exc).__name__}: {exc}"
        rest = list(pending.values())
        print(
            f"bmaml-verify: a worker process failed ({first.splitlines()[0]}); rerunning the {len(rest)} groups that "
            "had not returned, each alone in a fresh process",
            file=sys.stderr,
        )
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(_run_isolated, g.claims, quick, seed, deadline_s, group_fn): g for g in rest}
            for fut in as_completed(futs):
                g = futs[fut]
                g.attempts = 2
                try:
                    report(g, fut.result())
                except Exception as exc2:
                    msg = (
                        f"worker process failed: in the shared pool ({first}), then alone in a fresh process "
                        f"({type(exc2).__name__}: {exc2})\n{traceback.format_exc(limit=-2)}"
                    )
                    report(g, None, msg)


NO_WORKER_GRACE_S = 45.0  # a cluster without any worker this long fails its remaining groups (workers may restart)
POLL_S = 2.0  # how often the Dask loop wakes up to look at the cluster when no group has returned


def _dask_attempts(client, key: str) -> int:
    """How many times the cluster ran the task ``key``: 1 + the workers that died holding it (the scheduler's
    ``suspicious`` count); 1 when the scheduler cannot say."""

    def count(dask_scheduler, key=key) -> int:
        ts = dask_scheduler.tasks.get(key)
        return int(getattr(ts, "suspicious", 0) or 0) if ts is not None else 0

    try:
        return 1 + int(client.run_on_scheduler(count))
    except Exception:
        return 1


def _on_dask(client, tasks, quick, seed, deadline_s, report, group_fn) -> None:
    """Groups as one task each on the cluster, in LPT order, never more in flight than the cluster has threads.

    Sending a group only when a thread is free keeps every queued group on the client: a worker that dies holds
    exactly the group it was running (the cluster reschedules it, ``distributed.scheduler.allowed-failures``
    times, then it fails as KilledWorker), and a failed task fails its own group only.
    """
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    tag = uuid.uuid4().hex[:8]
    own = [g for g in tasks if g.group in OWN_PROCESS_GROUPS]
    queue = [g for g in tasks if g.group not in OWN_PROCESS_GROUPS]
    local_pool = ThreadPoolExecutor(max_workers=1)  # the own-process groups, one at a time, beside the cluster
    local = [(g, local_pool.submit(_run_isolated, g.claims, quick, seed, deadline_s, group_fn)) for g in own]
    in_flight: dict[str, object] = {}  # task key -> its Future
    group_of: dict[str, GroupRun] = {}

    def slots() -> int:
        return max(1, sum(client.nthreads().values()))

    def submit() -> None:
        while queue and len(in_flight) < slots():
            g = queue.pop(0)
            f = client.submit(
                group_fn, g.claims, quick, seed, deadline_s, "dask", key=f"bmaml-verify-{g.group}-{tag}", pure=False
            )
            in_flight[f.key] = f
            group_of[f.key] = g

    def lost(why: str) -> None:
        for g in [*(group_of[k] for k in in_flight), *queue]:
            report(g, None, f"the group did not come back from the Dask cluster ({why})")
        in_flight.clear()
        queue.clear()

    # every group ends by its cooperative deadline; one that does not, or a cluster that went away, ends the wait;
    # a cluster with no worker (all died, none restarted) fails what is left after NO_WORKER_GRACE_S
    from distributed import wait

    limit = deadline_s * len(tasks) + 60.0
    t_start = time.monotonic()
    no_worker_since: float | None = None
    probe = ThreadPoolExecutor(max_workers=1)  # asks the scheduler for its workers, never blocking the loop for long

    def workers_left() -> int:
        try:
            return len(probe.submit(client.nthreads).result(timeout=POLL_S * 5))
        except Exception:  # the scheduler does not answer: as good as no worker
            return 0

    try:
        submit()
        while in_flight:
            try:
                with client.as_current():  # wait finds the client here (it is not the process default)
                    done = wait(list(in_flight.values()), timeout=POLL_S, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            for f in done:
                in_flight.pop(f.key)
                g = group_of[f.key]
                g.attempts = _dask_attempts(client, f.key)
                try:
                    out = f.result()
                except Exception as exc:
                    report(
                        g,
                        None,
                        f"the group's Dask task failed ({type(exc).__name__}: {exc}): a worker died running it (more "
                        "often than distributed.scheduler.allowed-failures allows) or the cluster went away",
                    )
                else:
                    report(g, out)
            submit()
            if done or not in_flight:
                no_worker_since = None
                continue
            if workers_left() == 0:
                no_worker_since = no_worker_since or time.monotonic()
                if time.monotonic() - no_worker_since >= NO_WORKER_GRACE_S:
                    lost(
                        f"no Dask worker left for {NO_WORKER_GRACE_S:.0f} s (all died or were removed, and none "
                        "joined); restart workers with 'dask worker ADDRESS --nthreads 1' and rerun these claims"
                    )
                    break
            else:
                no_worker_since = None
            if time.monotonic() - t_start > limit:
                lost(f"no group returned within {limit:.0f} s, past every group's deadline")
                break
    except Exception as exc:  # the cluster is gone (nothing can be sent) or a group hung past every deadline
        lost(f"{type(exc).__name__}: {exc}")
    finally:
        probe.shutdown(wait=False)
        for g, fut in local:
            try:
                report(g, fut.result())
            except Exception as exc:
                report(g, None, f"the group's own process failed ({type(exc).__name__}: {exc})")
        local_pool.shutdown()


def _draw_one(name: str, results: dict[str, ClaimResult], path: Path) -> str | None:
    """Draw one figure from its claims' results into ``path``: None, or the error (a broken figure is never fatal)."""
    import matplotlib

    if os.environ.get(PARENT_ENV, str(os.getpid())) != str(os.getpid()):  # in a worker process
        _exit_with_parent()
        matplotlib.use("Agg")  # no display there; the PNG bytes are the same as the main process's
    import matplotlib.pyplot as plt

    try:
        FIGURES[name].draw(results, path)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        plt.close("all")
    return None


def draw_figures(
    results: list[ClaimResult], out: Path, names: Iterable[str] | None = None, jobs: int = 1
) -> dict[str, str]:
    """Draw the figures whose claims all ran without error into ``out``; returns {figure: error} for failures.

    With ``jobs > 1`` the figures are drawn on that many local processes (the loky pool the claims used, reused):
    drawing, text layout and PNG encoding are a third of a quick run's time on one core, and figures share nothing.
    Each figure is drawn from the same results either way, so the files are the same.
    """
    by_id = {r.id: r for r in results}
    errors: dict[str, str] = {}
    todo: list[tuple[str, dict[str, ClaimResult]]] = []
    for name in names if names is not None else FIGURES:
        spec = FIGURES[name]
        missing = [c for c in spec.claims if c not in by_id or by_id[c].error is not None]
        if missing:
            if all(c in REGISTRY and REGISTRY[c].statement.missing() for c in missing):
                continue  # its claims were skipped (optional extra absent): so is the figure
            errors[name] = f"not drawn: claims {', '.join(missing)} did not complete"
            continue
        todo.append((name, {c: by_id[c] for c in spec.claims}))
    if jobs > 1 and len(todo) > 1:
        from joblib import Parallel, delayed

        os.environ[PARENT_ENV] = str(os.getpid())
        try:
            par = Parallel(n_jobs=min(jobs, len(todo)), backend="loky", max_nbytes=None)
            done = par(delayed(_draw_one)(name, rs, out / name) for name, rs in todo)
        except Exception as exc:  # the pool broke (a worker died): draw here instead
            print(f"bmaml-verify: drawing in worker processes failed ({exc}); drawing here", file=sys.stderr)
            done = [_draw_one(name, rs, out / name) for name, rs in todo]
    else:
        done = [_draw_one(name, rs, out / name) for name, rs in todo]
    for (name, _), err in zip(todo, done, strict=True):
        if err is not None:
            errors[name] = err
    return errors
