"""Read a Compose file into a `Stack`: schema first, then the platform's rules, then the order."""
from __future__ import annotations

import dataclasses
import difflib
import functools
import json
from pathlib import Path
from typing import Any, Mapping, Optional

import jsonschema
import yaml

from ..problem import Problem
from . import fields, references
from .limits import scheduler_limits
from .model import Port, Service, Stack
from .problems import Problems
from .topology import check_references, order

SCHEDULERS = ("marathon", "swarm", "local")
# The Compose Specification schema (compose-spec/compose-spec, schema/compose-spec.json at
# 170098ba07d9f53c383a41bfd4c5166b0a4529a6), shipped with the program because users validate
# their files with it at `pulumi up`; a test keeps it identical to the upstream reference copy.
SCHEMA = Path(__file__).with_name("compose-spec.json")

SERVICE_KEYS = {"image", "command", "entrypoint", "environment", "ports", "expose", "depends_on",
                "healthcheck", "deploy", "volumes", "labels", "restart", "x-platform"}
TOP_KEYS = {"services", "volumes", "name", "version", "x-platform"}
WHY_NOT = {
    "build": "images are pulled by every host, so build and push the image, then set `image`",
    "container_name": "replicas need distinct names; the platform names containers itself",
    "networks": "each stack gets one network of its own (overlay on Swarm, a user network locally)",
    "network_mode": "services reach each other on the stack's network; refer to them with ${service.host}",
    "env_file": "the file would be read from wherever the deploy runs; list the values under `environment`",
    "secrets": "keep secrets in Pulumi config (`pulumi config set --secret`)",
    "configs": "write the value under `environment` or bake it into the image",
    "links": "services reach each other by ${service.host}; use `depends_on` for order",
}
X_PLATFORM_SERVICE = {"public"}
X_PLATFORM_TOP = {"scheduler"}


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


def _schema_problems(doc: Any, out: Problems) -> None:
    for err in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path = ".".join(str(p) for p in err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            allowed = list(err.schema.get("properties", {}))
            unknown = [k for k in err.instance if k not in allowed and not k.startswith("x-")]
            hints = [difflib.get_close_matches(k, allowed, n=1) for k in unknown]
            message = "; ".join(f"unknown key '{k}'" + (f", did you mean '{h[0]}'?" if h else "")
                                for k, h in zip(unknown, hints)) or message
        out.add(path, f"{message} (Compose Specification)")


def load_stack(root: Path, file: str, name: str, scheduler: Optional[str],
               instances: Mapping[str, int], config_key: str) -> tuple[Optional[Stack], list[Problem]]:
    """The stack in `root/file`, or every problem found in it (and in its config overrides)."""
    out = Problems(file)
    path = root / file
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return None, [Problem(f"{config_key}.file", f"{file!r} does not exist (paths are relative to {root})")]
    except yaml.YAMLError as e:
        out.add("", f"is not valid YAML: {e}")
        return None, out.items
    _schema_problems(doc, out)
    if out.items:
        return None, out.items

    for key in doc:
        if key not in TOP_KEYS and not key.startswith("x-"):
            out.add(key, f"is not supported: {WHY_NOT.get(key, 'remove it')}")
    x_top = doc.get("x-platform") or {}
    for key in set(x_top) - X_PLATFORM_TOP:
        out.add(f"x-platform.{key}", f"unknown key; x-platform at the top level takes: {', '.join(sorted(X_PLATFORM_TOP))}")
    scheduler = scheduler or x_top.get("scheduler")
    if scheduler not in SCHEDULERS:
        where = f"x-platform.scheduler ({scheduler!r})" if scheduler else "no scheduler is set"
        out.items.append(Problem(f"{config_key}.scheduler", (
            f"{where}: choose one of {', '.join(SCHEDULERS)} here or as `x-platform.scheduler` in {file}")))
        scheduler = "local"

    volumes = tuple(doc.get("volumes") or {})
    declared = doc.get("services") or {}
    if not declared:
        out.add("services", "is empty; a stack needs at least one service")
    services = [_service(n, s or {}, volumes, out) for n, s in declared.items()]
    for svc_name in instances:
        if svc_name not in declared:
            out.items.append(Problem(f"{config_key}.services.{svc_name}", (
                f"{file} has no service '{svc_name}'; its services are: {', '.join(declared)}")))
    known = {s.name: s for s in services if s}
    for s in known.values():
        check_references(s, known, out)
    if out.items:
        return None, out.items
    ordered = order(known, out)
    if ordered is None:
        return None, out.items
    stack = Stack(name, file, scheduler, tuple(_with_replicas(known[n], instances.get(n)) for n in ordered), volumes)
    scheduler_limits(stack, out)
    return (None, out.items) if out.items else (stack, [])


def _with_replicas(s: Service, override: Optional[int]) -> Service:
    return s if override is None else dataclasses.replace(s, replicas=override)


def _service(name: str, raw: dict, volumes: tuple[str, ...], out: Problems) -> Optional[Service]:
    key = f"services.{name}"
    before = len(out.items)
    for k in raw:
        if k not in SERVICE_KEYS and not k.startswith("x-"):
            out.add(f"{key}.{k}", f"is not supported: {WHY_NOT.get(k, 'remove it')} "
                                  f"(supported: {', '.join(sorted(SERVICE_KEYS))})")
    if "image" not in raw:
        out.add(f"{key}.image", "is missing; every service runs a pulled image")
    x = raw.get("x-platform") or {}
    for k in set(x) - X_PLATFORM_SERVICE:
        out.add(f"{key}.x-platform.{k}", f"unknown key; x-platform in a service takes: {', '.join(sorted(X_PLATFORM_SERVICE))}")

    environment = {}
    for k, v in fields.key_values(raw.get("environment")).items():
        if v is None:
            out.add(f"{key}.environment.{k}", (
                "has no value; Compose would take it from the shell that runs the deploy, which is not "
                "reproducible: write the value here"))
            continue
        template, error = references.parse(v)
        if error:
            out.add(f"{key}.environment.{k}", error)
        environment[k] = template
    command = None
    if "command" in raw:
        words = out.parsed(f"{key}.command", lambda: fields.words(raw["command"])) or ()
        command = []
        for i, word in enumerate(words):
            template, error = references.parse(word)
            if error:
                out.add(f"{key}.command[{i}]", error)
            command.append(template)
        command = tuple(command)
    entrypoint = out.parsed(f"{key}.entrypoint", lambda: fields.words(raw["entrypoint"])) if "entrypoint" in raw else None

    ports = [out.parsed(f"{key}.ports[{i}]", lambda p=p: fields.port(p)) for i, p in enumerate(raw.get("ports") or [])]
    ports += [out.parsed(f"{key}.expose[{i}]", lambda p=p: Port(fields.port(p).target))
              for i, p in enumerate(raw.get("expose") or [])]
    targets = [p.target for p in ports if p]
    for t in {t for t in targets if targets.count(t) > 1}:
        out.add(f"{key}.ports", f"container port {t} is listed more than once; list each port once")

    mounts = [out.parsed(f"{key}.volumes[{i}]", lambda v=v: fields.mount(v)) for i, v in enumerate(raw.get("volumes") or [])]
    for i, m in enumerate(mounts):
        if m and m.kind == "volume" and m.source not in volumes:
            out.add(f"{key}.volumes[{i}]", f"volume '{m.source}' is not declared; add it under the top-level `volumes`")

    depends = raw.get("depends_on") or []
    deploy = raw.get("deploy") or {}
    if deploy.get("mode", "replicated") != "replicated":
        out.add(f"{key}.deploy.mode", f"{deploy['mode']!r} is not supported; use replicated with `replicas`")
    placement = deploy.get("placement") or {}
    limits = (deploy.get("resources") or {}).get("limits") or {}
    health = out.parsed(f"{key}.healthcheck", lambda: fields.health(raw["healthcheck"])) if "healthcheck" in raw else None
    restart = out.parsed(f"{key}.restart", lambda: fields.restart_policy(deploy.get("restart_policy"), raw.get("restart")))
    update = out.parsed(f"{key}.deploy.update_config", lambda: fields.update_policy(deploy.get("update_config")))
    memory = out.parsed(f"{key}.deploy.resources.limits.memory", lambda: fields.megabytes(limits["memory"])) if "memory" in limits else None
    if len(out.items) > before:
        return None
    return Service(
        name=name, image=raw["image"], key=key, command=command, entrypoint=entrypoint,
        environment=environment, ports=tuple(ports), depends_on=tuple(depends),
        health=health, replicas=int(deploy.get("replicas", 1)), restart=restart, update=update,
        constraints=tuple(placement.get("constraints") or ()),
        max_per_node=placement.get("max_replicas_per_node"),
        cpus=float(limits["cpus"]) if "cpus" in limits else None, memory_mb=memory,
        mounts=tuple(mounts), labels={k: v or "" for k, v in fields.key_values(raw.get("labels")).items()},
        endpoint_mode=deploy.get("endpoint_mode", "vip"), public=bool(x.get("public", False)),
    )
