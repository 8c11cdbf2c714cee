"""Read a Compose file into a `Stack`: the project as docker compose reads it (project.py), the
Compose Specification schema, every key against the scheduler's rule (keys.py), then the order."""
from __future__ import annotations

import dataclasses
import difflib
import functools
import json
from pathlib import Path
from typing import Any, Mapping, Optional

import jsonschema

from ..problem import Problem
from . import service, toplevel
from .limits import scheduler_limits
from .model import Service, Stack
from .problems import Problems
from .project import Variables, read
from .service import Context
from .topology import check_references, order, share_ipc

SCHEDULERS = ("marathon", "swarm", "local")
# The Compose Specification schema (compose-spec/compose-spec, schema/compose-spec.json at
# 170098ba07d9f53c383a41bfd4c5166b0a4529a6), shipped with the program because users validate
# their files with it at `pulumi up`; a test keeps it identical to the upstream reference copy.
SCHEMA = Path(__file__).with_name("compose-spec.json")

X_PLATFORM_TOP = {"scheduler"}
@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def _schema_problems(doc: Any, out: Problems) -> bool:
    """Whether `doc` breaks the schema; each error added to `out` (unless its key path already
    has a problem, such as a variable that is not set: then that one is the one to fix)."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        path = ".".join(str(p) for p in err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            allowed = list(err.schema.get("properties", {}))
            unknown = [k for k in err.instance if k not in allowed and not k.startswith("x-")]
            hints = [difflib.get_close_matches(k, allowed, n=1) for k in unknown]
            message = "; ".join(f"unknown key '{k}'" + (f", did you mean '{h[0]}'?" if h else "")
                                for k, h in zip(unknown, hints)) or message
        out.add(path, f"{message} (Compose Specification)")
    return bool(errors)


def load_stack(root: Path, file: str, name: str, scheduler: Optional[str], instances: Mapping[str, int],
               config_key: str, variables: Variables = {}, profiles: tuple[str, ...] = (),
               single_machine: bool = True) -> tuple[Optional[Stack], list[Problem]]:
    """The stack in `root/file`, or every problem found in it (and in its config overrides).
    `single_machine`: the scheduler's engine is this machine (images can be built here)."""
    out = Problems(file, root)
    path = root / file
    if not path.exists():
        return None, [Problem(f"{config_key}.file", f"{file!r} does not exist (paths are relative to {root})")]
    if not path.is_file():
        return None, [Problem(f"{config_key}.file", f"{file!r} is not a file; name the Compose file itself")]
    project = read(path, variables, list(profiles), out, f"{config_key}.variables")
    if project is None:
        return None, out.items
    doc = project.doc
    if _schema_problems(doc, out):  # the values' shapes are wrong: reading on would only crash
        return None, out.items

    if doc.get("name"):
        out.warn("name", f"has no effect: the stack's objects are named from {config_key}.name ({name})")
    if "version" in doc:
        out.warn("version", "has no effect: the Compose Specification ignores it (docker compose says it is obsolete)")
    x_top = out.extension("x-platform", doc.get("x-platform"), X_PLATFORM_TOP)
    scheduler = scheduler or x_top.get("scheduler")
    if scheduler not in SCHEDULERS:
        where = f"x-platform.scheduler ({scheduler!r})" if scheduler else "no scheduler is set"
        out.items.append(Problem(f"{config_key}.scheduler", (
            f"{where}: choose one of {', '.join(SCHEDULERS)} here or as `x-platform.scheduler` in {file}")))
        scheduler = "local"
    for svc, profs in project.inactive.items():
        out.warn(f"services.{svc}", (f"not deployed: none of its profiles ({', '.join(profs)}) is active; "
                                     f"list one under {config_key}.profiles to deploy it"))

    toplevel.judge(doc, scheduler, out)
    ctx = Context(scheduler, out, toplevel.volumes(doc, out), toplevel.networks(doc, out), toplevel.files(doc, out),
                   project.environments, single_machine, project.inactive,
                   project.local_sources)
    declared = doc.get("services") or {}
    if not declared:
        out.add("services", "is empty; a stack needs at least one service")
    services = [service.parse(n, s or {}, ctx) for n, s in declared.items()]
    for svc_name in instances:
        if svc_name not in declared:
            out.items.append(Problem(f"{config_key}.services.{svc_name}", (
                f"{file} has no service '{svc_name}'; its services are: {', '.join(declared)}")))
    aliases = service.link_aliases(declared)
    known = {s.name: dataclasses.replace(s, aliases=tuple(aliases.get(s.name, ()))) for s in services if s}
    for s in known.values():
        check_references(s, known, set(declared), project.inactive, out)
    share_ipc(known, out)
    if out.items:
        return None, out.items
    ordered = order(known, out)
    if ordered is None:
        return None, out.items
    stack = Stack(name, file, scheduler, tuple(_with_replicas(known[n], instances.get(n)) for n in ordered),
                  ctx.volumes, ctx.networks, ctx.files)
    scheduler_limits(stack, out)
    if out.items:
        return None, out.items
    return dataclasses.replace(stack, warnings=tuple(out.warnings)), []


def _with_replicas(s: Service, override: Optional[int]) -> Service:
    return s if override is None else dataclasses.replace(s, replicas=override)
