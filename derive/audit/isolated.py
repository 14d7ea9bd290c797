"""Audits run in worker processes: a step that overruns its budget is killed, never waited for.

The CLI's ``derive audit`` and ``derive check`` go through :func:`run_audits`. Each post is audited
in a warm worker (:mod:`derive.engine.isolate`); the worker tells this process when each step
begins and ends and sends the steps as they are made, so that

- a step that runs past its budget (SymPy stuck in C code, holding the GIL) is killed with its
  worker: the post is then audited again in a fresh worker from the start, with the steps already
  decided taken as they were (reading is cheap; deciding is what costs) and the killed step undecided;
- the caller prints the steps as they come (``on_steps``);
- ``deadline`` bounds the whole run: when it passes, the workers are killed and each report holds
  the steps decided so far, with a hint that says the rest was not audited;
- ``workers`` posts are audited side by side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any

import sympy as sp

from derive.audit import progress
from derive.audit.post import AuditInputError, AuditReport, AuditSettings, AuditStep, audit_text, check_step
from derive.engine import isolate
from derive.engine.budget import BudgetExceeded, run_with_budget
from derive.engine.claims import Claim
from derive.engine.verdict import Verdict

__all__ = ["Job", "run_audits"]

#: Extra seconds a worker gets past a step's own budget before it is killed (its thread budget
#: answers first when it can).
GRACE = 1.0


#: How often at most a worker sends the steps it has made (each message wakes the driver).
FLUSH_SECONDS = 0.1

Outcome = tuple[str, Any, dict[str, None]]


@dataclass
class Job:
    """One post to audit (``text``) or one step to check (``step`` with ``given``)."""

    path: str
    text: str = ""
    step: str | None = None
    given: Sequence[str] = ()
    #: Outcomes of the steps decided so far, by the index of the decision: ("return", value, hints)
    #: or ("raise", exc, hints). A worker that audits the post again takes them as they were.
    known: dict[int, Outcome] = field(default_factory=dict)
    #: The steps received so far (the caller has been shown them).
    steps: list[AuditStep] = field(default_factory=list)
    started: float = 0.0
    report: AuditReport | None = None
    error: Exception | None = None
    #: The deadline passed before the job ended (its report, if any, holds the steps decided before).
    timed_out: bool = False


class _Hook:
    """The worker's side: decide under a thread budget, say so in shared memory, replay what is known.

    The steps made and the outcomes decided go to the driver together, at most every
    :data:`FLUSH_SECONDS` (and before each decision), so that a post of many quick steps does not
    wake the driver for each one.
    """

    def __init__(self, send: Callable[[object], None], job: Job) -> None:
        self.send, self.known, self.sent = send, job.known, len(job.steps)
        self.stream = job.step is None  # a checked step's lines are renumbered at the end: sent with its report
        self.count = 0
        self.live: Sequence[object] = ()
        self.outcomes: dict[int, Outcome] = {}
        self.last = time.monotonic()
        # Steps made just before a long decision still go out within FLUSH_SECONDS.
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.flusher = threading.Thread(target=self._flush_now_and_then, daemon=True, name="derive-flush")
        self.flusher.start()

    def _flush_now_and_then(self) -> None:
        while not self.done.wait(FLUSH_SECONDS):
            self.flush(force=False)

    def close(self) -> None:
        self.done.set()
        self.flusher.join()

    def decide(self, fn: Callable[[], Any], seconds: float, hints: dict[str, None]) -> Any:
        k = self.count
        self.count += 1
        if k in self.known:
            how, value, new_hints = self.known[k]
            hints.update(new_hints)
            if how == "raise":
                raise value
            return value
        if self.stream and len(self.live) > self.sent:
            # SymPy may hold the GIL from here on (the flusher could not run): send the steps made first.
            self.flush(force=True)
        before = set(hints)
        isolate.busy(k, seconds)
        try:
            value = run_with_budget(fn, seconds, what="step")
        except Exception as exc:
            isolate.idle()
            self.outcomes[k] = ("raise", isolate.portable(exc), {h: None for h in hints if h not in before})
            raise
        isolate.idle()
        status, reason, verdict = value
        self.outcomes[k] = ("return", (status, reason, _light(verdict)), {h: None for h in hints if h not in before})
        return value

    def steps(self, steps: Sequence[object]) -> None:
        self.live = steps
        self.flush(force=False)

    def flush(self, *, force: bool) -> None:
        with self.lock:
            now = time.monotonic()
            if not force and now - self.last < FLUSH_SECONDS:
                return
            new = [_light_step(s) for s in self.live[self.sent:]] if self.stream else []
            if new or self.outcomes:
                outcomes, self.outcomes = self.outcomes, {}
                self.send(("progress", new, self.sent, outcomes))
                self.sent += len(new)
                self.last = now


def _light(verdict: Verdict | None) -> Verdict | None:
    """The verdict without its claim's sides and residual: what the reports read, cheap to send.

    Sending a SymPy expression costs more than deciding it: unpickling re-runs every constructor.
    """
    if verdict is None:
        return None
    claim = verdict.claim
    return replace(verdict, claim=Claim(claim.name, sp.S.Zero, sp.S.Zero, statement=claim.statement),
                   residual=None)


def _light_step(step: Any) -> Any:
    return replace(step, verdict=_light(step.verdict)) if step.verdict is not None else step


def _work(send: Callable[[object], None], job: Job, settings: AuditSettings) -> AuditReport:
    hook = _Hook(send, job)
    token = progress.hook.set(hook)
    try:
        if job.step is not None:
            report = check_step(job.step, given=job.given, settings=settings)
        else:
            report = audit_text(job.text, path=job.path, settings=settings)
    finally:
        progress.hook.reset(token)
        hook.close()
    # The steps already sent, and the text, the driver has: send only the rest.
    return replace(report, steps=tuple(_light_step(s) for s in report.steps[hook.sent:]), source="")


@dataclass
class _Running:
    worker: isolate.Worker
    job: Job
    #: When the driver last heard from the worker.
    heard: float = 0.0


def run_audits(jobs: Sequence[Job], settings: AuditSettings, *, workers: int = 1, deadline: float | None = None,
               on_steps: Callable[[Job, list[AuditStep]], None] | None = None,
               on_done: Callable[[Job], None] | None = None) -> list[Job]:
    """Audit every job in worker processes (``workers`` at a time); each job ends with a report or an error.

    ``deadline`` is a ``time.monotonic()`` value: past it, the jobs still running end with the steps
    they have (and a hint), and the jobs not started end with neither. The verdicts of the steps keep
    their status, strategy, reason and counterexample; their claims keep only their names (the sides
    stay in the worker: re-building SymPy expressions on arrival would cost more than the audit).
    """
    driver = _Driver(settings, on_steps, on_done)
    waiting = list(reversed(jobs))
    try:
        while waiting or driver.running:
            while waiting and len(driver.running) < workers:
                driver.start(waiting.pop())
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                for job in [*waiting, *(r.job for r in driver.running.values())]:
                    job.timed_out = True
                for run in list(driver.running.values()):
                    driver.stop(run, f"stopped by --timeout after {len(run.job.steps)} steps; the rest of the "
                                     "post was not audited")
                break
            soonest = min(driver.kill_at(r) for r in driver.running.values())
            if deadline is not None:
                soonest = min(soonest, deadline)
            for conn in wait(list(driver.running), timeout=max(0.0, soonest - now)):
                assert isinstance(conn, Connection)
                driver.receive(driver.running[conn])
            now = time.monotonic()
            for run in [r for r in driver.running.values() if driver.kill_at(r) <= now]:
                driver.overran(run)
    finally:
        for run in list(driver.running.values()):
            run.worker.kill()
    return list(jobs)


class _Driver:
    def __init__(self, settings: AuditSettings, on_steps: Callable[[Job, list[AuditStep]], None] | None,
                 on_done: Callable[[Job], None] | None) -> None:
        self.settings, self.on_steps, self.on_done = settings, on_steps, on_done
        self.running: dict[Connection, _Running] = {}
        self.silence = settings.budget * 3 + 5 + GRACE  # the longest a worker may go without progress

    def kill_at(self, run: _Running) -> float:
        """When the worker is killed if nothing changes: its step's budget is out, or it is silent too long."""
        state = run.worker.state
        if state[isolate.BUSY] >= 0:
            return float(state[isolate.BEGAN] + state[isolate.SECONDS] + GRACE)
        return max(float(state[isolate.ACTIVE]), run.heard) + self.silence

    def start(self, job: Job) -> None:
        worker = isolate.acquire()
        job.started = job.started or time.perf_counter()
        worker.state[isolate.BUSY] = -1
        worker.state[isolate.ACTIVE] = time.monotonic()
        worker.submit(_work, job, self.settings)
        self.running[worker.conn] = _Running(worker, job, time.monotonic())

    def finish(self, run: _Running, *, keep: bool) -> None:
        del self.running[run.worker.conn]
        if keep:
            isolate.release(run.worker)
        else:
            run.worker.kill()
        if self.on_done is not None:
            self.on_done(run.job)

    def stop(self, run: _Running, hint: str) -> None:
        """End the job with the steps it has and ``hint``."""
        job = run.job
        # The steps so far, and never a pass: the rest of the post was not audited.
        job.report = AuditReport(job.path, tuple(job.steps), (hint,), time.perf_counter() - job.started, job.text,
                                 not_audited=hint)
        self.finish(run, keep=False)

    def restart(self, run: _Running, index: int, outcome: Outcome) -> None:
        """Decision ``index`` ends with ``outcome``; the job starts again in a fresh worker."""
        run.job.known[index] = outcome
        del self.running[run.worker.conn]
        run.worker.kill()
        self.start(run.job)

    def overran(self, run: _Running) -> None:
        state = run.worker.state
        index = int(state[isolate.BUSY])
        if self.kill_at(run) > time.monotonic():
            return  # the step ended just now
        if index < 0:
            self.stop(run, f"reading the post ran out of time after {len(run.job.steps)} steps; the rest of "
                           "the post was not audited")
            return
        self.restart(run, index, ("raise", BudgetExceeded(float(state[isolate.SECONDS]), "step"), {}))

    def receive(self, run: _Running) -> None:
        job = run.job
        try:
            kind, message = run.worker.conn.recv()
        except (EOFError, OSError):
            exitcode = run.worker.process.exitcode
            index = int(run.worker.state[isolate.BUSY])
            if index >= 0:
                self.restart(run, index, ("raise", RuntimeError(str(isolate.WorkerDied(exitcode, "step"))), {}))
            else:
                self.stop(run, f"the worker auditing the post stopped (exit status {exitcode}) after "
                               f"{len(job.steps)} steps; the rest of the post was not audited")
            return
        run.heard = time.monotonic()
        if kind == "result":
            self.show(job, list(message.steps))
            job.report = replace(message, steps=tuple(job.steps) if job.step is None else message.steps,
                                 seconds=time.perf_counter() - job.started, source=job.text)
            self.finish(run, keep=True)
        elif kind == "error":
            job.error = message if isinstance(message, AuditInputError) else RuntimeError(
                f"{job.path}: the audit failed: {type(message).__name__}: {message}")
            self.finish(run, keep=True)
        else:
            _, new, offset, outcomes = message
            job.known.update(outcomes)
            self.show(job, new[max(0, len(job.steps) - offset):])

    def show(self, job: Job, fresh: list[AuditStep]) -> None:
        if job.step is not None or not fresh:
            return  # a checked step's lines are renumbered at the end: shown with its report
        job.steps.extend(fresh)
        if self.on_steps is not None:
            self.on_steps(job, fresh)
