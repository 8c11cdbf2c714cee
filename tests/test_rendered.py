"""Every byte the program renders, pinned: each stack in stacks/, the Compose examples on each
scheduler, Spark in each run mode (and on Mesos with TLS on-prem and on AWS), the key table's file on each scheduler, and every file of the reference Compose corpus on each scheduler (its services'
resources, or its refusal), compared with the text under tests/rendered/ (tests/rendered.py
says how a deployment becomes text).

The other tests say what must hold (a port bound to 127.0.0.1, a quorum's flags, a script that
a real shell, sshd and Docker accept); these say that nothing else changed. Mutation testing
(scripts/mutation.sh) found that most changes no test noticed were in bytes no test named: a
package name in cloud-init, a flag of the Spark dispatcher, a tmpfs mount's `read_only`, the
text of a refusal. A change that is meant shows in review as a diff of these files, what
`pulumi up` would change in each environment, and is accepted by writing them again:

    UPDATE_RENDERED=1 .venv/bin/python -m pytest tests/test_rendered.py
"""
from __future__ import annotations

import difflib
import functools
from pathlib import Path

import pytest

from . import rendered
from . import test_key_table as key_table
from .conftest import UPDATING, _deployment, evaluate_changed
from .harness import stack_names
from .memo import remembered
from .test_compose_corpus import BASE, CORPUS, FILES, SCHEDULERS, deploy_granted
from .test_spark import MODES, mode_deployment
from .test_stacks import BASE as BASE_OF_EXAMPLES, deployed

CORPUS_PATHS = {str(CORPUS): "<corpus>"}
SECTION = "=== "  # starts each corpus file's section in a scheduler's file


def _differs(want: str, got: str, where: str) -> str:
    diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "pinned", "rendered", lineterm="", n=2))
    shown = "\n".join(diff[:60]) + ("\n..." if len(diff) > 60 else "")
    return (f"{where} renders differently from what is pinned:\n{shown}\n"
            "If the change is meant, write the files again: UPDATE_RENDERED=1 .venv/bin/python -m pytest tests/test_rendered.py")


def _pinned(path: Path, got: str) -> None:
    if UPDATING:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got)
        return
    assert path.exists(), f"nothing pinned at {path}: write it with UPDATE_RENDERED=1"
    want = path.read_text()
    if want != got:
        pytest.fail(_differs(want, got, str(path.relative_to(rendered.GOLDEN))), pytrace=False)


@pytest.mark.parametrize("stack", stack_names())
def test_each_stack_renders_as_pinned(stack):
    _pinned(rendered.GOLDEN / "stacks" / f"{stack}.yaml", rendered.of(_deployment(stack)))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_the_compose_examples_render_as_pinned_on_each_scheduler(scheduler):
    """(Less what local-ha, their base stack, registers exactly so: pinned with the stacks.)"""
    _pinned(rendered.GOLDEN / "compose-examples" / f"{scheduler}.yaml",
            rendered.of(deployed(scheduler), besides=_deployment(BASE_OF_EXAMPLES)))


@pytest.mark.parametrize("mode,deploy", MODES)
def test_spark_in_each_mode_renders_as_pinned(mode, deploy):
    """(The default single-machine platform with Spark in that mode, less what the `local` stack
    registers exactly so.)"""
    _pinned(rendered.GOLDEN / "spark" / f"{mode}-{deploy}.yaml",
            rendered.of(mode_deployment(mode, deploy), besides=_deployment("local")))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_the_key_table_file_renders_as_pinned_on_each_scheduler(key_table_dirs, scheduler):
    """tests/test_key_table.py's file of every key a scheduler maps, whole (the rows assert one
    field each), less what its base stack registers exactly so."""
    d = key_table.deployed(scheduler, key_table_dirs[scheduler])
    _pinned(rendered.GOLDEN / "key-table" / f"{scheduler}.yaml",
            rendered.of(d, {str(key_table_dirs[scheduler]): "<dir>"}, besides=_deployment(BASE[scheduler])))


def _spark_on_mesos(deploy: str):
    def change(platform: dict) -> None:
        platform["spark"] = {"enabled": True, "mode": "mesos", "deploy_mode": deploy}
        if deploy == "cluster":  # the dispatcher cannot be given a Mesos credential (tests/test_spark.py)
            platform["mesos"]["authenticate_frameworks"] = False
    return change


# Features no stack file turns on, on the targets where they render differently (TLS and
# framework credentials on, hosts over SSH or on EC2).
VARIANTS = {"onprem-spark-mesos-client": ("onprem", _spark_on_mesos("client")),
            # workers with node labels (the racks of onprem's agents), a stack of the examples
            "onprem-swarm": ("onprem", lambda p: p.update(
                swarm={"managers": ["core-1", "core-2", "core-3"], "workers": ["agent-1", "agent-2", "agent-3"]},
                stacks=[{"name": "app", "file": "examples/compose/app/compose.yaml", "scheduler": "swarm"}])),
            "prod-spark-mesos-cluster": ("prod", _spark_on_mesos("cluster"))}


@remembered
def _variant(name: str):
    stack, change = VARIANTS[name]
    return evaluate_changed(stack, change)


@pytest.mark.parametrize("name", VARIANTS)
def test_each_variant_renders_as_pinned(name):
    """(Less what its stack registers exactly so.)"""
    _pinned(rendered.GOLDEN / "variants" / f"{name}.yaml", rendered.of(_variant(name), besides=_deployment(VARIANTS[name][0])))


def _corpus_text(path: Path, scheduler: str) -> str:
    """The file's own resources on `scheduler` (what its base stack registers exactly so is
    pinned with the stacks),
    with the grants it was deployed with, or its refusal."""
    d, grants = deploy_granted(path, scheduler)
    head = f"grants: {list(grants)}\n" if grants else ""
    if d.error is not None:
        return head + rendered.of(d, CORPUS_PATHS)
    return head + rendered.resources(d, CORPUS_PATHS, besides=_deployment(BASE[scheduler]))


@functools.cache
def _sections(path: Path) -> dict[str, str]:
    """{corpus file: its text} of a scheduler's file: each section a `=== <name>` line, then the
    text (YAML, which never starts a line so)."""
    out: dict[str, str] = {}
    name = None
    for line in path.read_text().splitlines(keepends=True) if path.exists() else ():
        if line.startswith(SECTION):
            name = line[len(SECTION):].rstrip("\n")
            out[name] = ""
        elif name is not None:
            out[name] += line
    return out


def _joined(sections: dict[str, str]) -> str:
    return "".join(f"{SECTION}{name}\n{body}" for name, body in sorted(sections.items()))


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_each_corpus_file_renders_as_pinned_on_each_scheduler(path, scheduler):
    pinned = rendered.GOLDEN / "corpus" / f"{scheduler}.txt"
    name, got = str(path.relative_to(CORPUS)), _corpus_text(path, scheduler)
    sections = _sections(pinned)
    if UPDATING:
        sections[name] = got
        pinned.parent.mkdir(parents=True, exist_ok=True)
        pinned.write_text(_joined(sections))
        return
    assert name in sections, f"{name} is not pinned in {pinned}: write it with UPDATE_RENDERED=1"
    if sections[name] != got:
        pytest.fail(_differs(sections[name], got, f"{name} on {scheduler}"), pytrace=False)
