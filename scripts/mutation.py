"""Mutation testing of components/ (scripts/mutation.sh runs this): how many plausible bugs the
fast tests notice.

mutmut (pyproject.toml, [tool.mutmut]) makes every mutant of components/ (an operator flipped,
a number or a string changed, a call's argument dropped, ...) and knows which tests reach each
mutated function. Running them all takes hours here (each mutant runs the tests that reach it,
and most of the program is reached by whole-stack evaluations), so this runs a fixed sample,
stratified by package (every package in proportion, at least MIN_PER_PACKAGE), and says what it
estimates, with its margin:

    .venv/bin/python scripts/mutation.py [--sample N] [--all]

Survivors are printed; one that changes nothing observable is listed with the reason in
tests/mutation-equivalent.txt and does not count. The last line is `mutation score: N%`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]
RUN_MUTANTS = [sys.executable, str(ROOT / "scripts" / "mutmut_without_clean_pass.py")]
# With bytecode kept, each process after the first imports the mutated components/ (36 MB of
# source: every mutant is a copy of its function) in 0.2 s instead of compiling it for 6 s.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
EQUIVALENT = ROOT / "tests" / "mutation-equivalent.txt"
LOG = ROOT / "mutants" / "mutmut-run.log"
STATS = ROOT / "mutants" / "mutmut-stats.json"  # mutmut's map of tests to the functions they reach
SEED = 17  # the sample stays the same while the code does
MIN_PER_PACKAGE = 20
# mutmut's exit codes per mutant (mutmut/stats.py, status_by_exit_code): the tests failed, or ran
# out of time (an endless loop is a bug noticed), or the mutant left them passing.
KILLED = {1, 3, 36, -24, 24, 152, 255}  # a failing test; a timeout in its forms
SURVIVED = {0, 5, 33}  # passing tests, no tests collected, no test reaches it


def package_of(name: str) -> str:
    """`components.spec.placement.xǁInstanceǁport__mutmut_1` -> `components/spec`; a module of
    components/ itself (`components.outputs.x_depending_on__mutmut_2`) -> `components`."""
    parts = name.split(".")
    return "/".join(parts[:2]) if len(parts) > 3 else "components"


def all_mutants() -> dict[str, int | None]:
    """Every mutant mutmut made, with its last result (None: not run yet)."""
    found: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        found.update(json.loads(meta.read_text())["exit_code_by_key"])
    return found


def generate() -> None:
    """Make the mutants and the test-to-function map, running none: a name that matches nothing
    stops mutmut right after both (with an assertion that nothing matched, so its exit code says
    nothing; the saved map does). Its output goes to LOG."""
    LOG.parent.mkdir(exist_ok=True)
    with LOG.open("w") as log:
        subprocess.run([*MUTMUT, "run", "nothing-at-all-matches-this"], cwd=ROOT, env=ENV, stdout=log,
                       stderr=subprocess.STDOUT)
    if not all_mutants() or not STATS.exists():
        sys.exit(f"mutmut made no mutants or no map of which tests reach them (a test failing under mutmut?); "
                 f"its output: {LOG.relative_to(ROOT)}")


def sample(names: list[str], size: int) -> list[str]:
    by_package: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        by_package[package_of(n)].append(n)
    rng = random.Random(SEED)
    chosen = []
    for package, members in sorted(by_package.items()):
        share = max(MIN_PER_PACKAGE, round(size * len(members) / len(names)))
        chosen += rng.sample(members, min(share, len(members)))
    return chosen


def equivalent() -> dict[str, str]:
    """{mutant: why it changes nothing observable}, from tests/mutation-equivalent.txt."""
    out = {}
    for line in EQUIVALENT.read_text().splitlines() if EQUIVALENT.exists() else []:
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            out[name] = reason.strip()
    return out


def margin(p: float, n: int) -> float:
    """The 95% margin of a proportion estimated from n draws (normal approximation)."""
    return 1.96 * math.sqrt(p * (1 - p) / n) if n else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=320, help="how many mutants to run (stratified by package)")
    parser.add_argument("--all", action="store_true", help="run every mutant (hours)")
    args = parser.parse_args()
    generate()
    made = all_mutants()
    chosen = sorted(made) if args.all else sample(list(made), args.sample)
    print(f"{len(made)} mutants of components/; running {len(chosen)}", flush=True)
    with LOG.open("a") as log:
        ran = subprocess.run([*RUN_MUTANTS, *chosen], cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT)
    results = all_mutants()
    skip = equivalent()
    stale = sorted(set(skip) - set(made))
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for name in chosen:
        code, package = results.get(name), package_of(name)
        if name in skip:
            counts[package]["equivalent"] += 1
        elif code in KILLED:
            counts[package]["killed"] += 1
        elif code in SURVIVED:
            counts[package]["survived"] += 1
            survivors.append((name, code))
        else:  # not run, or the test process itself died: judged neither way
            counts[package]["unjudged"] += 1
    print(f"\n{'package':<22} {'run':>5} {'killed':>7} {'survived':>9} {'equivalent':>11} {'unjudged':>9} {'score':>7}")
    total = Counter()
    for package, c in sorted(counts.items()):
        judged = c["killed"] + c["survived"]
        total.update(c)
        print(f"{package:<22} {sum(c.values()):>5} {c['killed']:>7} {c['survived']:>9} {c['equivalent']:>11} "
              f"{c['unjudged']:>9} {100 * c['killed'] / judged if judged else 100:>6.1f}%")
    for name, code in survivors:
        print(f"survived: {name} (exit {code}); `.venv/bin/mutmut show {name}`")
    for name in stale:
        print(f"tests/mutation-equivalent.txt names {name}, which no longer exists: remove the line")
    judged = total["killed"] + total["survived"]
    if not judged:  # mutmut itself failed (its stats run, a test that fails unmutated): no score
        print(f"\nno mutant was judged (mutmut exited {ran.returncode}); its output: {LOG.relative_to(ROOT)}",
              file=sys.stderr)
        return 1
    score = total["killed"] / judged
    print(f"\n{judged} judged of {len(made)} made; ±{100 * margin(score, judged):.1f} points at 95% for the whole")
    print(f"mutation score: {100 * score:.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
