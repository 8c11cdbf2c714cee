"""A pytest plugin that judges mutmut's mutants from one warm process (scripts/mutation.py runs
it inside mutants/: `pytest -p mutation_runner ...`).

mutmut runs each mutant in a fresh pytest process: it collects the tests again and evaluates
from nothing every stack its tests use, about 30 s a mutant here. Most of that work cannot
change under the mutant. This plugin takes over pytest's run loop instead:

1. **Map**: every collected test runs once unmutated, with mutmut's trampolines recording the
   functions it reaches (MUTANT_UNDER_TEST=stats, as mutmut's own map). The tests' shared
   evaluations (tests/memo.py) are made here, once, each knowing the functions it reached and
   what making it took, which is charged to every test using it: a test's time is what it
   would take with nothing remembered.
2. **Check**: with MUTANT_UNDER_TEST=fail (every mutated function raises) the cheapest test
   reaching one fails in a forked child, or the tests are not importing the mutated copy.
3. **Mutants**: each runs in a process forked from this one, two at a time, beside a control
   (no mutant, every shared evaluation forgotten, the same order: it must pass every test, or no
   result stands). The child forgets the shared evaluations that reached the mutated function
   (tests/memo.forget_reaching: an evaluation that never called it runs the same code and gives
   the same result under the mutant) and the caches of components/, then runs the tests that
   reach the function, cheapest first, and stops at the first failure, or at the first test
   over three times its time (plus 30 s).

Results go to the JSON file named by MUTATION_RESULTS, `{mutant: code}` with mutmut's codes:
1 a test failed (killed), 36 out of time (killed: an endless loop is a bug noticed), 0 every
test passed (survived), 33 no test reaches it (survived), 2 the child itself broke (unjudged).
"""
from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

KILLED, TIMEOUT, SURVIVED, UNREACHED, BROKEN = 1, 36, 0, 33, 2
PARALLEL = max(1, min(2, os.cpu_count() or 1))
# A mutant's test may take this many times its unmutated time (plus the slack) before the
# child is stopped and the mutant counted as noticed: the time a deep loop or a retry-until
# would otherwise take.
TIME_FACTOR, TIME_SLACK_S = 3.0, 30.0
LOG = "mutation-children.log"  # in mutants/, where the tests run
CONTROL = "(control: no mutant)"


_progress = 2  # the child's own log (pytest's capture takes over stdout and stderr during a test)


def _run(items: list, i: int) -> list:
    """The reports of `items[i]`, run with its fixtures (torn down as far as the next needs)."""
    return runtestprotocol(items[i], nextitem=items[i + 1] if i + 1 < len(items) else None, log=False)


def _out_of_time(signum, frame) -> None:
    os.write(_progress, f"{os.getpid()} out of time\n".encode())
    os._exit(TIMEOUT)


def _passes(items: list, limits: list[float]) -> bool:
    """Run `items` in order until one fails; True when none did. A test still running after its
    limit (seconds) ends the child (TIMEOUT): a mutant that makes an evaluation wait for an
    Output that never resolves is noticed then, not after the whole run's allowance."""
    signal.signal(signal.SIGALRM, _out_of_time)
    for i, (item, limit) in enumerate(zip(items, limits)):
        # which test it was on, if stopped; the pid tells the children's lines apart
        os.write(_progress, f"{os.getpid()} {item.nodeid}\n".encode())
        signal.setitimer(signal.ITIMER_REAL, limit)
        failed = any(r.failed for r in _run(items, i))
        signal.setitimer(signal.ITIMER_REAL, 0)
        if failed:
            os.write(_progress, f"{os.getpid()} failed\n".encode())
            return False
    return True


def _forget_component_caches() -> None:
    """Drop every functools cache of components/ (built unmutated in the parent)."""
    for name, module in list(sys.modules.items()):
        if name == "components" or name.startswith("components."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def loop_of_its_own() -> None:
    """In a forked child: an event loop and default executor not shared with the parent.

    The parent's loop comes with its epoll instance and self-pipe shared with every other child
    (a fork shares open descriptors): a sibling could read the wake-up byte an executor thread
    wrote for this child, which would then wait in select for good (the control child hung so
    on its first evaluation). Nor are the parent's executor threads copied: its executor would
    count them idle and queue every call for good; a new loop makes its own on first use. The
    old loop is left unclosed: closing it would unregister the pipe from the shared epoll under
    the siblings' feet."""
    asyncio.set_event_loop(asyncio.new_event_loop())


def _child(mutant: str, functions: set[str], items: list, limits: list[float]) -> int:
    """In a forked process: activate `mutant` ("" none, "fail" every mutated function raising),
    forget what could change under it, run `items` until one fails."""
    from tests.memo import forget_reaching  # mutants/ is on sys.path, tests/ a package
    from mutmut.mutation.trampoline import set_mutant_under_test

    loop_of_its_own()
    set_mutant_under_test(mutant)
    for function in functions:
        forget_reaching(function)
    _forget_component_caches()
    return SURVIVED if _passes(items, limits) else KILLED


def _fork(mutant: str, functions: set[str], items: list, limits: list[float]) -> int:
    pid = os.fork()
    if pid == 0:
        code = BROKEN
        try:  # what the tests print (and why a child broke) goes to the log, one block per mutant
            global _progress
            _progress = log = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.dup2(log, 1)
            os.dup2(log, 2)
            print(f"--- {os.getpid()}: {mutant or 'no mutant'} ({len(items)} tests)", flush=True)
            code = _child(mutant, functions, items, limits)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def _limit(seconds: float) -> float:
    """How long a test may run under a mutant, given its unmutated time with nothing remembered
    (a mutant's child makes again the shared evaluations its function reached)."""
    return TIME_FACTOR * seconds + TIME_SLACK_S


def _code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return code if code in (KILLED, SURVIVED, TIMEOUT) else BROKEN


class MutationRunner:
    def __init__(self, mutants: list[str], results: Path):
        self.mutants = mutants
        self.results = results

    def _map(self, items: list) -> tuple[dict, dict] | None:
        """{test item: names it reached}, {test item: seconds it would take with nothing
        remembered}; None when a test fails unmutated."""
        from tests.memo import reused_seconds
        from mutmut.mutation.trampoline import set_mutant_under_test
        from mutmut.state import state

        set_mutant_under_test("stats")
        reached, seconds = {}, {}
        for i, item in enumerate(items):
            state()._stats = set()
            t0 = time.perf_counter()
            reports = _run(items, i)
            seconds[item] = time.perf_counter() - t0 + reused_seconds()
            reached[item] = set(state()._stats)
            failed = [r for r in reports if r.failed]
            if failed:
                print(f"\n{item.nodeid} fails unmutated, so no mutant can be judged:\n{failed[0].longreprtext}",
                      file=sys.stderr)
                return None
        set_mutant_under_test("")
        return reached, seconds

    def _check(self, items: list, reached: dict, seconds: dict) -> bool:
        """A child with every mutated function raising fails the cheapest test reaching one."""
        reaching = [i for i in items if reached[i]]
        if not reaching:
            print("no test reaches a mutated function: are the tests importing mutants/components?", file=sys.stderr)
            return False
        cheapest = min(reaching, key=seconds.get)
        if _code(os.waitpid(_fork("fail", reached[cheapest], [cheapest], [_limit(seconds[cheapest])]), 0)[1]) != KILLED:
            print(f"{cheapest.nodeid} passes with every mutated function raising: mutants would all survive",
                  file=sys.stderr)
            return False
        return True

    def _judge(self, items: list, reached: dict, seconds: dict) -> dict[str, int] | None:
        """{mutant: code}; None when the control fails: a child with no mutant, every shared
        evaluation forgotten and the tests in the mutants' order (cheapest first), must pass them
        all, or what the children say means nothing. It runs beside the first mutants."""
        from mutmut.utils.format_utils import mangled_name_from_mutant_name

        everything = set().union(*reached.values())
        jobs = [(CONTROL, everything, sorted(items, key=seconds.get))]
        for mutant in self.mutants:
            function = mangled_name_from_mutant_name(mutant)
            jobs.append((mutant, {function}, sorted((i for i in items if function in reached[i]), key=seconds.get)))
        results: dict[str, int] = {}
        running: dict[int, tuple[str, float, float]] = {}  # pid: (job, started, allowed seconds)
        started_all = time.monotonic()

        def done(name: str, code: int, said: str) -> None:
            results[name] = code
            if name != CONTROL:
                print(f"{len(results) - (CONTROL in results)}/{len(self.mutants)} {time.monotonic() - started_all:.0f}s "
                      f"{name}: {said}", flush=True)

        while jobs or running:
            while jobs and len(running) < PARALLEL:
                name, functions, tests = jobs.pop(0)
                if not tests:
                    done(name, UNREACHED, "reached by no test")
                    continue
                limits = [_limit(seconds[t]) for t in tests]
                # The child stops itself at a test's limit; this is for a child that cannot.
                running[_fork("" if name == CONTROL else name, functions, tests, limits)] = \
                    (name, time.monotonic(), sum(limits))
            if not running:
                continue
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                code = _code(status)
                said = {KILLED: "killed", SURVIVED: "survived", TIMEOUT: "a test ran out of time: killed"}
                done(running.pop(pid)[0], code, said.get(code, "unjudged"))
            else:
                for pid, (name, started, allowed) in list(running.items()):
                    if time.monotonic() - started > allowed:
                        os.kill(pid, 9)
                        os.waitpid(pid, 0)
                        del running[pid]
                        done(name, TIMEOUT, f"out of time ({allowed:.0f} s): killed")
                time.sleep(0.02)
            if results.get(CONTROL, SURVIVED) != SURVIVED:
                for pid in running:
                    os.kill(pid, 9)
                print(f"unmutated, in a forked child, the tests fail (exit {results[CONTROL]}; {LOG} says "
                      "which): what the children say would mean nothing", file=sys.stderr)
                return None
        del results[CONTROL]
        return results

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.config.option.collectonly:
            return None
        items = list(session.items)
        t0 = time.monotonic()
        mapped = self._map(items)
        if mapped is None or not self._check(items, *mapped):
            session.testsfailed = 1
            return True
        print(f"\n{len(items)} tests mapped in {time.monotonic() - t0:.0f} s; judging {len(self.mutants)} mutants",
              flush=True)
        # Everything made so far is shared, read-only, with every child: kept out of their
        # garbage collections, which would otherwise walk (and so copy) the whole inherited heap.
        gc.freeze()
        results = self._judge(items, *mapped)
        if results is None:
            session.testsfailed = 1
        else:
            self.results.write_text(json.dumps(results, indent=1))
        return True


def pytest_configure(config):
    mutants = Path(os.environ["MUTATION_MUTANTS"]).read_text().split()
    config.pluginmanager.register(MutationRunner(mutants, Path(os.environ["MUTATION_RESULTS"])), "mutation-runner")
