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


@dataclass
class Job:
    """One post to audit (``text``) or one step to check (``step`` with ``given``)."""

    path: str
    text: str = ""
    step: str | None = None
    given: Sequence[str] = ()
    #: Outcomes of the steps decided so far, in order: ("return", value, hints) or ("raise", exc, hints).
    known: list[tuple[str, Any, dict[str, None]]] = field(default_factory=list)
    #: The steps received so far (the caller has been shown them).
    steps: list[AuditStep] = field(default_factory=list)
    started: float = 0.0
    report: AuditReport | None = None
    error: Exception | None = None
    #: The deadline passed before the job ended (its report, if any, holds the steps decided before).
    timed_out: bool = False


class _Hook:
    """The worker's side: decide with a thread budget, tell the driver, replay what it knows."""

    def __init__(self, send: Callable[[object], None], known: list[tuple[str, Any, dict[str, None]]],
                 sent: int) -> None:
        self.send, self.known, self.count, self.sent = send, known, 0, sent
        self.stream = True

    def decide(self, fn: Callable[[], Any], seconds: float, hints: dict[str, None]) -> Any:
        k = self.count
        self.count += 1
        if k < len(self.known):
            how, value, new_hints = self.known[k]
            hints.update(new_hints)
            if how == "raise":
                raise value
            return value
        self.send(("begin", k, seconds))
        before = set(hints)
        try:
            value = run_with_budget(fn, seconds, what="step")
        except Exception as exc:
            self.send(("end", k, ("raise", isolate.portable(exc), {h: None for h in hints if h not in before})))
            raise
        status, reason, verdict = value
        new_hints = {h: None for h in hints if h not in before}
        self.send(("end", k, ("return", (status, reason, _light(verdict)), new_hints)))
        return value

    def steps(self, steps: Sequence[object]) -> None:
        if len(steps) > self.sent and self.stream:
            self.send(("steps", [_light_step(s) for s in steps[self.sent:]], self.sent))
            self.sent = len(steps)


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
    hook = _Hook(send, job.known, len(job.steps))
    hook.stream = job.step is None  # a checked step's lines are renumbered at the end: sent with its report
    token = progress.hook.set(hook)
    try:
        if job.step is not None:
            report = check_step(job.step, given=job.given, settings=settings)
        else:
            report = audit_text(job.text, path=job.path, settings=settings)
    finally:
        progress.hook.reset(token)
    # The steps already sent, and the text, the driver has: send only the rest.
    return replace(report, steps=tuple(_light_step(s) for s in report.steps[hook.sent:]), source="")


@dataclass
class _Running:
    worker: isolate.Worker
    job: Job
    #: When the worker is killed if it has not answered: the current step's budget, or reading's.
    kill_at: float = 0.0
    step: tuple[int, float] | None = None


def run_audits(jobs: Sequence[Job], settings: AuditSettings, *, workers: int = 1, deadline: float | None = None,
               on_steps: Callable[[Job, list[AuditStep]], None] | None = None,
               on_done: Callable[[Job], None] | None = None) -> list[Job]:
    """Audit every job in worker processes (``workers`` at a time); each job ends with a report or an error.

    ``deadline`` is a ``time.monotonic()`` value: past it, the jobs still running end with the steps
    they have (and a hint), and the jobs not started end with neither.
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
            soonest = min(r.kill_at for r in driver.running.values())
            if deadline is not None:
                soonest = min(soonest, deadline)
            for conn in wait(list(driver.running), timeout=max(0.0, soonest - now)):
                assert isinstance(conn, Connection)
                driver.receive(driver.running[conn])
            now = time.monotonic()
            for run in [r for r in driver.running.values() if r.kill_at <= now]:
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
        self.silence = settings.budget * 3 + 5 + GRACE  # the longest a worker may go without a word

    def start(self, job: Job) -> None:
        worker = isolate.acquire()
        job.started = job.started or time.perf_counter()
        worker.submit(_work, job, self.settings)
        self.running[worker.conn] = _Running(worker, job, time.monotonic() + self.silence)

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
        job.report = AuditReport(job.path, tuple(job.steps), (hint,), time.perf_counter() - job.started, job.text)
        self.finish(run, keep=False)

    def restart(self, run: _Running, outcome: tuple[str, Any, dict[str, None]]) -> None:
        """The current step ends with ``outcome``; the job starts again in a fresh worker."""
        run.job.known.append(outcome)
        del self.running[run.worker.conn]
        run.worker.kill()
        self.start(run.job)

    def overran(self, run: _Running) -> None:
        if run.step is None:
            self.stop(run, f"reading the post ran out of time after {len(run.job.steps)} steps; the rest of "
                           "the post was not audited")
            return
        self.restart(run, ("raise", BudgetExceeded(run.step[1], "step"), {}))

    def receive(self, run: _Running) -> None:
        job = run.job
        try:
            kind, message = run.worker.conn.recv()
        except (EOFError, OSError):
            exitcode = run.worker.process.exitcode
            if run.step is not None:
                self.restart(run, ("raise", RuntimeError(str(isolate.WorkerDied(exitcode, "step"))), {}))
            else:
                self.stop(run, f"the worker auditing the post stopped (exit status {exitcode}) after "
                               f"{len(job.steps)} steps; the rest of the post was not audited")
            return
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
            self.progress(run, message)

    def progress(self, run: _Running, message: tuple[Any, ...]) -> None:
        job = run.job
        now = time.monotonic()
        if message[0] == "begin":
            run.step = (message[1], message[2])
            run.kill_at = now + message[2] + GRACE
        elif message[0] == "end":
            if message[1] == len(job.known):
                job.known.append(message[2])
            run.step = None
            run.kill_at = now + self.silence
        elif message[0] == "steps":
            _, new, offset = message
            self.show(job, new[max(0, len(job.steps) - offset):])
            if run.step is None:
                run.kill_at = now + self.silence

    def show(self, job: Job, fresh: list[AuditStep]) -> None:
        if job.step is not None or not fresh:
            return  # a checked step's lines are renumbered at the end: shown with its report
        job.steps.extend(fresh)
        if self.on_steps is not None:
            self.on_steps(job, fresh)
