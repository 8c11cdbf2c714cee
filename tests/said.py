"""Every problem the program states while the tests run, refusal or warning, pinned word for
word in tests/rendered/said.txt: each `components.problem.Problem` (config, inventory and
Compose refusals and warnings) and each `CheckFailure` of the program's dynamic providers (what
`pulumi preview` refuses, such as a change of the Mesos quorum).

The program's messages are its interface where input goes wrong: each names the key path, what
is wrong and how to fix it. Tests assert the part that matters to them (`match=`, a key path);
the rest of the text, the part a user reads to fix their file, changed unnoticed (mutation
testing, scripts/mutation.sh, found a third of its survivors there). So every
one made during a test must be one of the pinned texts, or the test fails at teardown. A message that is meant to change shows in review as a diff of said.txt,
accepted by running the tests with UPDATE_RENDERED=1 (which adds what they said; to drop texts
no test says any more, delete the file and run the whole suite so).

Membership, not order or count: a shared evaluation (tests/memo.py) states its problems once,
in whichever test makes it first.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from pulumi.dynamic import CheckFailure

from components.problem import Problem

from .harness import ROOT
from .rendered import GOLDEN

PINNED = GOLDEN / "said.txt"
_said: list[str] = []  # by the running test, since the last `take`
_everything: set[str] = set()  # by this session
_temporary: list[str] = []  # this session's temporary directories, as `<tmp>`


# What each kind says: where, and what is wrong.
SAYS = {Problem: lambda p: f"{p.path}: {p.message}", CheckFailure: lambda f: f"{f.property}: {f.reason}"}


def _record(init, says):
    def recorded(self, *args, **kwargs):
        init(self, *args, **kwargs)
        _said.append(says(self))
    recorded.recording = True
    return recorded


def install(basetemp: Path) -> None:
    """Record every Problem and CheckFailure made from now on (once per session)."""
    for kind, says in SAYS.items():
        if not getattr(kind.__init__, "recording", False):
            kind.__init__ = _record(kind.__init__, says)
    _temporary[:] = [str(basetemp)]


def _normalized(text: str) -> str:
    """One line; the checkout, the reference corpus and temporary directories by name."""
    from .contracts import REFERENCE
    for path, name in ((str(REFERENCE), "<reference>"), (str(ROOT), "<root>")):
        text = text.replace(path, name)
    for base in _temporary:  # a test's own directory (`tmp_path`) is numbered by how often it ran
        text = re.sub(re.escape(base) + r"/[^/\s]+", "<tmp>", text)
    text = re.sub(r"/tmp/tmp[\w-]{6,}", "<tmp>", text)  # tempfile's directories and files
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def take(keep: bool = True) -> list[str]:
    """What was said since the last call, normalized; `keep`: to be pinned by `write` (not what
    a property test's made-up inputs made the program say)."""
    said = sorted({_normalized(t) for t in _said})
    _said.clear()
    if keep:
        _everything.update(said)
    return said


@functools.cache
def pinned() -> frozenset[str]:
    return frozenset(PINNED.read_text().splitlines() if PINNED.exists() else ())


def write() -> None:
    """Add what this session said to the pinned texts."""
    PINNED.parent.mkdir(parents=True, exist_ok=True)
    PINNED.write_text("".join(f"{t}\n" for t in sorted(pinned() | _everything)))
    pinned.cache_clear()
