"""Mutation testing of components/ (scripts/mutation.sh runs this): how many plausible bugs the
fast tests notice.

mutmut (pyproject.toml, [tool.mutmut]) makes every mutant of components/ (an operator flipped,
a number or a string changed, a call's argument dropped, ...): a copy of the project in
mutants/ where each function is a trampoline to its original or to one of its mutants.
scripts/mutation_runner.py then judges them from one warm pytest process: it maps which tests
reach which function, then forks a child per mutant that runs only those tests, again only
what the mutant can change. A fixed sample, stratified by package (every package in
proportion, at least MIN_PER_PACKAGE), or every mutant:

    .venv/bin/python scripts/mutation.py [--sample N] [--seed S] [--all] [--package P ...]

Survivors are printed; one that changes nothing observable is listed with the reason in
tests/mutation-equivalent.txt and does not count. The last line is `mutation score: N%`.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import functools
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
# With bytecode kept, a later run imports the mutated components/ (36 MB of source: every
# mutant is a copy of its function) in 0.2 s instead of compiling it for 6 s.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
EQUIVALENT = ROOT / "tests" / "mutation-equivalent.txt"
SAMPLED = MUTANTS / "mutation-sample.txt"
RESULTS = MUTANTS / "mutation-results.json"
SEED = 17  # the sample stays the same while the code does (--seed for another)
MIN_PER_PACKAGE = 20
# The runner's codes per mutant (mutmut's, mutmut/stats.py status_by_exit_code): a test failed,
# or ran out of time (an endless loop is a bug noticed); every test passed, or none reaches it.
KILLED = {1, 36}
SURVIVED = {0, 33}


def package_of(name: str) -> str:
    """`components.spec.placement.xǁInstanceǁport__mutmut_1` -> `components/spec`; a module of
    components/ itself (`components.outputs.x_depending_on__mutmut_2`) -> `components`."""
    parts = name.split(".")
    return "/".join(parts[:2]) if len(parts) > 3 else "components"


def all_mutants() -> list[str]:
    """Every mutant mutmut made (its .meta files list them by function)."""
    return sorted(name for meta in MUTANTS.rglob("*.py.meta")
                  for name in json.loads(meta.read_text())["exit_code_by_key"])


def generate() -> None:
    """Make the mutants in mutants/ from scratch, running no test (mutmut's own run would map
    and judge them too, in a fresh process per mutant)."""
    from mutmut.__main__ import create_mutants
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

    os.chdir(ROOT)  # mutmut's paths are relative to the project
    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    create_mutants(os.cpu_count() or 2)
    if not all_mutants():
        sys.exit("mutmut made no mutants of components/")


def judge(chosen: list[str]) -> dict[str, int]:
    """{mutant: code} from scripts/mutation_runner.py, run inside mutants/ over the fast tests
    mutmut's configuration selects."""
    from mutmut.configuration import config

    SAMPLED.write_text("\n".join(chosen))
    RESULTS.unlink(missing_ok=True)
    env = {**ENV, "MUTANT_UNDER_TEST": "", "PYTHONPATH": f"{MUTANTS}:{ROOT / 'scripts'}",
           "MUTATION_MUTANTS": str(SAMPLED), "MUTATION_RESULTS": str(RESULTS)}
    subprocess.run([sys.executable, "-m", "pytest", "--rootdir=.", "-p", "mutation_runner", "-p", "no:randomly",
                    *config().pytest_add_cli_args, *config().pytest_add_cli_args_test_selection],
                   cwd=MUTANTS, env=env)
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def sample(names: list[str], size: int, seed: int = SEED) -> list[str]:
    by_package: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        by_package[package_of(n)].append(n)
    rng = random.Random(seed)
    chosen = []
    for package, members in sorted(by_package.items()):
        share = max(MIN_PER_PACKAGE, round(size * len(members) / len(names)))
        chosen += rng.sample(members, min(share, len(members)))
    return chosen


def equivalent() -> dict[str, tuple[str, str]]:
    """{mutant: (its fingerprint, why it changes nothing observable)}, from
    tests/mutation-equivalent.txt (`name #fingerprint reason`)."""
    out = {}
    for line in EQUIVALENT.read_text().splitlines() if EQUIVALENT.exists() else []:
        if line.strip() and not line.startswith("#"):
            name, _, rest = line.partition(" ")
            mark, _, reason = rest.partition(" ")
            out[name] = (mark[1:], reason.strip()) if mark.startswith("#") else ("", rest.strip())
    return out


@functools.lru_cache(maxsize=None)
def _functions(module: str) -> dict[str, str]:
    """{function name: its source} of one mutated module in mutants/ (methods are mutated
    inside their class)."""
    path = MUTANTS / (module.replace(".", "/") + ".py")
    path = path if path.exists() else path.with_suffix("") / "__init__.py"  # a package's own module
    source = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = source.splitlines()  # once: ast.get_source_segment splits the whole file per call
    nodes = [n for top in ast.parse(source).body for n in ([top] + (top.body if isinstance(top, ast.ClassDef) else []))]
    return {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno]) for n in nodes if isinstance(n, ast.FunctionDef)}


def change(name: str) -> str:
    """What mutant `name` changes: its function's lines that differ from the original's, the
    `-` then the `+` side. mutmut numbers a function's mutants in order, so a function edited
    since an equivalent mutant was listed gives its number to another mutant: this tells them apart."""
    module, function = name.rsplit(".", 1)
    functions = _functions(module)
    original_name = re.sub(r"__mutmut_\d+$", "__mutmut_orig", function)
    # Each without its own name, which is all the def lines differ in unless the mutant is there.
    body = [functions.get(n, "").replace(n, "f", 1) for n in (original_name, function)]
    return "\n".join(line for line in difflib.ndiff(body[0].splitlines(), body[1].splitlines())
                     if line.startswith(("- ", "+ ")))


def fingerprint(name: str) -> str:
    return hashlib.sha256(change(name).encode()).hexdigest()[:8]


def still_equivalent(listed: dict[str, tuple[str, str]], every: list[str]) -> dict[str, str]:
    """The listed mutants that are still the mutant their line describes, each with its reason;
    every other line printed with what to do (a mutant that changed is judged like any other)."""
    kept, known = {}, set(every)
    for name, (mark, reason) in sorted(listed.items()):
        if name not in known:
            print(f"tests/mutation-equivalent.txt names {name}, which no longer exists: remove the line")
        elif mark != fingerprint(name):
            print(f"tests/mutation-equivalent.txt: {name} is now #{fingerprint(name)}, not #{mark or '(none)'}; "
                  f"it changes:\n{change(name)}\nif that is equivalent, put #{fingerprint(name)} and its reason "
                  "on the line, else remove it")
        else:
            kept[name] = reason
    return kept


def margin(p: float, n: int) -> float:
    """The 95% margin of a proportion estimated from n draws (normal approximation)."""
    return 1.96 * math.sqrt(p * (1 - p) / n) if n else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=150, help="how many mutants to run (stratified by package)")
    parser.add_argument("--all", action="store_true", help="run every mutant (hours)")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="another sample: once a sample's survivors have tests, only a fresh one measures the rest")
    parser.add_argument("--package", action="append", default=[], metavar="P",
                        help="only mutants of this package (components/compose, ...; repeatable): "
                             "a score for the package being worked on, not for components/")
    args = parser.parse_args()
    generate()
    made = every = all_mutants()
    if args.package:
        known = sorted({package_of(n) for n in made})
        if unknown := sorted(set(args.package) - set(known)):
            sys.exit(f"--package {', '.join(unknown)}: no such package; one of {', '.join(known)}")
        made = [n for n in made if package_of(n) in args.package]
    chosen = made if args.all else sample(made, args.sample, args.seed)
    # Against every mutant: --package filters only what is judged.
    skip = still_equivalent(equivalent(), every)
    print(f"{len(made)} mutants of {', '.join(args.package) or 'components/'}; judging {len(chosen)}", flush=True)
    results = judge([name for name in chosen if name not in skip])
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
        print(f"survived: {name} #{fingerprint(name)} (exit {code}); `.venv/bin/mutmut show {name}`")
    judged = total["killed"] + total["survived"]
    if not judged:  # a test failed unmutated, or the runner's checks did: no score
        print("\nno mutant was judged (the runner says why above)", file=sys.stderr)
        return 1
    score = total["killed"] / judged
    print(f"\n{judged} judged of {len(made)} made; ±{100 * margin(score, judged):.1f} points at 95% for the whole")
    print(f"mutation score: {100 * score:.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
