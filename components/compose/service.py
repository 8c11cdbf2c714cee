"""One Compose service, key by key, into the typed `Service` its scheduler deploys.

Every key is judged by its rule in keys.py first (refused, a warning, or translated here);
values are parsed by fields.py, whose errors name the key path.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from . import dotenv, fields, references
from .engine import engine_options, extra_hosts
from .interpolate import Unresolved
from .keys import ATTACHMENT_KEYS, BUILD_KEYS, DEPLOY_KEYS, MOUNT_KEYS, SERVICE_KEYS, judge
from .model import Attachment, Build, FileRef, Mount, Network, Port, Service, StackFile, Template, Volume
from .problems import Problems
from .project import SecretVariable, Variables, read_text

# Docker's reference grammar (distribution/reference): an optional registry host, lower-case path
# components, an optional tag and digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE = re.compile(rf"^(?:[A-Za-z0-9.-]+(?::\d+)?/)?{_COMPONENT}(?:/{_COMPONENT})*(?::\w[\w.-]{{0,127}})?"
                   r"(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$")
X_PLATFORM_SERVICE = {"public"}


@dataclasses.dataclass
class Context:
    """What parsing a service needs from the file and the stack config."""

    scheduler: str
    out: Problems
    volumes: dict[str, Volume]
    networks: dict[str, Network]
    files: dict[tuple[str, str], StackFile]
    environments: Mapping[str, Variables]  # each service's variables, for `environment: [NAME]`
    single_machine: bool
    inactive: dict[str, list[str]]
    local_sources: set[str]  # bind sources written relative: on the machine that runs the deploy


def _options_set(m: Mount) -> list[str]:
    """The options of a mount set to anything but their defaults, by their MOUNT_KEYS names."""
    set_ = {"bind.propagation": m.propagation, "bind.selinux": m.selinux, "bind.create_host_path": not m.create_host_path,
            "bind.recursive": m.recursive not in (None, "enabled"), "volume.nocopy": m.nocopy,
            "volume.subpath": m.subpath, "volume.labels": m.volume_labels, "tmpfs.mode": m.tmpfs_mode is not None,
            "consistency": m.consistency}
    return [option for option, value in set_.items() if value]


def _template(value: str, where: str, out: Problems) -> Template:
    template, error = references.parse(value)
    if error:
        out.add(where, error)
    return template


def _environment(name: str, key: str, raw: dict, ctx: Context) -> dict[str, Template]:
    out, variables = ctx.out, ctx.environments.get(name, {})
    environment: dict[str, Template] = {}
    for i, entry in enumerate(raw.get("env_file") or []):
        where = f"{key}.env_file[{i}]"
        file = Path(entry["path"])
        if not file.exists():
            if fields.boolean(entry.get("required", True)):
                out.add(where, f"{file} does not exist; create it, or mark it `required: false`")
            continue
        text = read_text(file, out, where)
        if text is None:
            continue
        if entry.get("format") not in (None, "raw"):
            out.add(f"{where}.format", f"{entry['format']!r} is not a format docker compose reads; leave it out or use raw")
            continue
        try:
            values = (dict(line.partition("=")[::2] for line in text.splitlines() if "=" in line)
                      if entry.get("format") == "raw" else dotenv.parse(text, _plain(variables)))
        except dotenv.DotenvError as e:
            out.add(where, f"{file.name}: {e}")
            continue
        environment.update({k: (v,) for k, v in values.items()})
    for k, v in fields.key_values(raw.get("environment")).items():
        where = f"{key}.environment.{k}"
        if v is None:
            found = variables.get(k)
            if isinstance(found, SecretVariable):
                environment[k] = _template("${secret." + found.key + "}", where, out)
            elif found is None:
                out.warn(where, ("has no value and no variable of that name is set, so the container will not "
                                 "have it (as with docker compose); set it under platform.stacks[].variables"))
            else:
                environment[k] = (found,)
            continue
        environment[k] = _template(v, where, out)
    return environment


def _plain(variables: Mapping[str, Any]) -> Callable[[str], Optional[str]]:
    return lambda name: v if isinstance(v := variables.get(name), str) else None


def _ports(key: str, raw: dict, out: Problems) -> list[Port]:
    ports: list[Port] = []
    for i, p in enumerate(raw.get("ports") or []):
        ports += out.parsed(f"{key}.ports[{i}]", lambda p=p: fields.ports(p), p) or []
    for i, p in enumerate(raw.get("expose") or []):
        exposed = out.parsed(f"{key}.expose[{i}]", lambda p=p: fields.ports(p), p) or []
        ports += [Port(e.target, None, e.protocol) for e in exposed
                  if not any(q.target == e.target and q.protocol == e.protocol for q in ports)]
    seen: dict[tuple[int, str], Port] = {}
    for p in ports:
        if (p.target, p.protocol) in seen and seen[(p.target, p.protocol)].published is None:
            seen[(p.target, p.protocol)] = p
        elif (p.target, p.protocol) in seen and p.published is not None:
            out.add(f"{key}.ports", f"container port {p.target}/{p.protocol} is published twice; publish it once")
        seen.setdefault((p.target, p.protocol), p)
    return list(seen.values())


def _attachments(key: str, raw: dict, ctx: Context) -> tuple[Attachment, ...]:
    nets = raw.get("networks")
    if nets is None:
        return ()
    entries = {n: None for n in nets} if isinstance(nets, list) else nets
    found = []
    for n, cfg in entries.items():
        if n not in ctx.networks:
            ctx.out.add(f"{key}.networks.{n}", f"network '{n}' is not declared; add it under the top-level `networks`")
            continue
        cfg = cfg or {}
        judge(ctx.out, f"{key}.networks.{n}", cfg, ATTACHMENT_KEYS, ctx.scheduler)
        found.append(Attachment(n, fields.string_list(cfg.get("aliases")), *(
            fields.optional_str(cfg.get(k)) for k in ("ipv4_address", "ipv6_address", "mac_address")),
            tuple(fields.text_mapping(cfg.get("driver_opts")).items())))
    return tuple(found)


def _file_refs(key: str, raw: dict, ctx: Context) -> list[FileRef]:
    refs = []
    for kind in ("secret", "config"):
        for i, entry in enumerate(raw.get(kind + "s") or []):
            entry = {"source": entry} if isinstance(entry, str) else entry
            source = str(entry.get("source"))
            if (kind, source) not in ctx.files:
                ctx.out.add(f"{key}.{kind}s[{i}]", f"{kind} '{source}' is not declared; add it under the top-level `{kind}s`")
                continue
            target = str(entry.get("target") or source)
            if not target.startswith("/"):
                target = (f"/run/secrets/{target}" if kind == "secret" else f"/{target}")
            mode = entry.get("mode")
            refs.append(FileRef(kind, source, target, fields.optional_str(entry.get("uid")), fields.optional_str(entry.get("gid")),
                                ctx.out.parsed(f"{key}.{kind}s[{i}].mode", lambda m=mode: fields.file_mode(m))
                                if mode is not None else None))
    return refs


def _local_binds(key: str, mounts: list, ctx: Context) -> tuple[list, list[FileRef]]:
    """Relative bind sources are on the machine that runs the deploy. Where the engine is
    another machine, a file goes to Swarm as a config (read-only, as binds of configuration
    usually are); a directory cannot reach the hosts and is refused, as is anything on Marathon."""
    if ctx.single_machine:
        return mounts, []
    kept, shipped = [], []
    for i, m in enumerate(mounts):
        if not m or m.kind != "bind" or m.source not in ctx.local_sources:
            kept.append(m)
            continue
        where, source = f"{key}.volumes[{i}]", Path(m.source)
        if ctx.scheduler == "swarm" and source.is_file():
            content = read_text(source, ctx.out, where)  # None: why is said at `where`
            if content is not None:
                name = f"bind-{hashlib.sha256(m.source.encode()).hexdigest()[:10]}"
                ctx.files[("config", name)] = StackFile(content=content)
                shipped.append(FileRef("config", name, m.target))
                ctx.out.warn(where, f"{m.source} is on this machine: shipped to the swarm as a config (read-only)")
            continue
        what = "a directory" if source.is_dir() else "a file" if source.exists() else "missing"
        ctx.out.add(where, (f"{m.source} ({what}) is on the machine that runs the deploy, which the "
                            f"{ctx.scheduler} hosts cannot see" + (
                                "; a single file would be shipped as a Swarm config" if ctx.scheduler == "swarm"
                                else "") + ": bake it into the image, or use a named volume"))
    return kept, shipped


def _dependencies(key: str, raw: dict, ctx: Context) -> tuple[list[str], list[str]]:
    """depends_on as (names, those to have exited 0 first)."""
    deps = raw.get("depends_on") or []
    entries = {d: {} for d in deps} if isinstance(deps, list) else {d: c or {} for d, c in deps.items()}
    names, completed = [], []
    for dep, cfg in entries.items():
        if dep in ctx.inactive:
            if fields.boolean(cfg.get("required", True)):
                ctx.out.add(f"{key}.depends_on.{dep}", (
                    f"'{dep}' is not deployed: none of its profiles ({', '.join(ctx.inactive[dep])}) is active; "
                    "activate one under platform.stacks[].profiles, or mark the dependency `required: false`"))
            continue
        names.append(dep)
        if cfg.get("condition") == "service_completed_successfully":
            completed.append(dep)
    for link in fields.string_list(raw.get("links")):
        target = link.split(":")[0]
        if target not in names:
            names.append(target)
    return names, completed


def link_aliases(declared: Mapping[str, Any]) -> dict[str, list[str]]:
    """`links: [db:database]` makes `database` a name of `db`: service -> extra aliases."""
    aliases: dict[str, list[str]] = {}
    for s in declared.values():
        for link in fields.string_list((s or {}).get("links")):
            target, _, alias = link.partition(":")
            if alias and alias != target:
                aliases.setdefault(target, []).append(alias)
    return aliases


def _build(key: str, raw: dict, ctx: Context) -> Optional[Build]:
    b = raw.get("build")
    if b is None:
        return None
    has_image = "image" in raw
    can_build = ctx.scheduler == "local" or (ctx.scheduler == "swarm" and ctx.single_machine)
    if not can_build:
        if has_image:
            ctx.out.warn(f"{key}.build", (f"ignored on {ctx.scheduler}: the hosts pull `image` "
                                          f"({raw['image']}); build and push it before the deploy"))
            return None
        ctx.out.add(f"{key}.build", (f"{ctx.scheduler} runs the service on hosts that pull their images, so it "
                                     "needs a registry image: build and push it, then set `image`"))
        return None
    judge(ctx.out, f"{key}.build", b, {k: {ctx.scheduler: rule} for k, rule in BUILD_KEYS.items()}, ctx.scheduler)
    platforms = fields.string_list(b.get("platforms"))
    if platforms and raw.get("platform") and str(raw["platform"]) not in platforms:
        ctx.out.add(f"{key}.platform", (f"{raw['platform']} is not among build.platforms ({', '.join(platforms)}), "
                                        "so no image would be built for it (as docker compose refuses)"))
    return Build(str(b["context"]), fields.optional_str(b.get("dockerfile")),
                 fields.text_mapping(b.get("args")), fields.optional_str(b.get("target")),
                 fields.string_list(b.get("cache_from")), fields.optional_str(b.get("network")),
                 tuple(extra_hosts(f"{key}.build", b.get("extra_hosts") or {}, ctx.out)),
                 fields.optional_str(b.get("dockerfile_inline")))


def parse(name: str, raw: dict, ctx: Context) -> Optional[Service]:
    key = f"services.{name}"
    out = ctx.out
    before = len(out.items)
    judge(ctx.out, key, raw, SERVICE_KEYS, ctx.scheduler)
    deploy = raw.get("deploy") or {}
    judge(ctx.out, f"{key}.deploy", deploy, DEPLOY_KEYS, ctx.scheduler)
    x = out.extension(f"{key}.x-platform", raw.get("x-platform"), X_PLATFORM_SERVICE)
    build = _build(key, raw, ctx)
    if "image" not in raw and "build" not in raw:
        out.add(f"{key}.image", "is missing; give the image to run (or `build` on the local scheduler)")
    image = str(raw.get("image") or f"container-platform/{name}:latest")
    if "image" in raw and not isinstance(raw["image"], Unresolved) and not IMAGE.match(str(raw["image"])):
        out.add(f"{key}.image", (f"{raw['image']!r} is not an image reference; write [registry/]name[:tag][@digest] "
                                 "in lower case, e.g. postgres:16 or ghcr.io/org/app:1.2"))

    environment = _environment(name, key, raw, ctx)
    command = None
    if "command" in raw and raw["command"] is not None:
        words = out.parsed(f"{key}.command", lambda: fields.words(raw["command"])) or ()
        command = tuple(_template(w, f"{key}.command[{i}]", out) for i, w in enumerate(words))
    entrypoint = out.parsed(f"{key}.entrypoint", lambda: fields.words(raw["entrypoint"])) \
        if raw.get("entrypoint") is not None else None
    ports = _ports(key, raw, out)

    mounts = [out.parsed(f"{key}.volumes[{i}]", lambda v=v: fields.mount(v), v) for i, v in enumerate(raw.get("volumes") or [])]
    for i, m in enumerate(mounts):
        if m and m.kind == "volume" and m.source and m.source not in ctx.volumes:
            out.add(f"{key}.volumes[{i}]", f"volume '{m.source}' is not declared; add it under the top-level `volumes`")
        if m:
            judge(ctx.out, f"{key}.volumes[{i}]", _options_set(m), MOUNT_KEYS, ctx.scheduler)
    mounts, shipped = _local_binds(key, mounts, ctx)
    depends, completed = _dependencies(key, raw, ctx)
    mode = str(deploy.get("mode", "replicated"))
    if mode not in ("replicated", "global"):
        out.add(f"{key}.deploy.mode", f"{mode!r} is not a mode; use replicated or global")
    if mode == "global":
        for where, given in ((f"{key}.deploy.replicas", "replicas" in deploy), (f"{key}.scale", "scale" in raw)):
            if given:
                out.warn(where, "has no effect: a global service runs one task on every node its placement allows")
    placement = deploy.get("placement") or {}
    resources = deploy.get("resources") or {}
    limits, reservations = resources.get("limits") or {}, resources.get("reservations") or {}
    if "pids" in limits:  # the same limit as the service key pids_limit, judged by its rule
        judge(ctx.out, key, {"pids_limit": None}, SERVICE_KEYS, ctx.scheduler)
    for k in ("devices", "generic_resources"):
        if reservations.get(k):
            out.add(f"{key}.deploy.resources.reservations.{k}", (
                "device and GPU reservations are not translated yet (the task would start without the "
                "device); ask for it in an issue"))
    health = out.parsed(f"{key}.healthcheck", lambda: fields.health(raw["healthcheck"])) if "healthcheck" in raw else None
    # A disable that does not parse was said by fields.health at the same key (said once).
    health_disabled = "healthcheck" in raw and bool(
        out.parsed(f"{key}.healthcheck", lambda: fields.health_disabled(raw["healthcheck"])))
    if "start_interval" in (raw.get("healthcheck") or {}) and ctx.scheduler != "local":
        out.warn(f"{key}.healthcheck.start_interval", f"has no effect on {ctx.scheduler}: checks run every `interval`")
    restart = out.parsed(f"{key}.restart", lambda: fields.restart_policy(deploy.get("restart_policy"), raw.get("restart")))
    update = out.parsed(f"{key}.deploy.update_config", lambda: fields.update_policy(deploy.get("update_config")))
    rollback = out.parsed(f"{key}.deploy.rollback_config", lambda: fields.update_policy(deploy["rollback_config"])) \
        if "rollback_config" in deploy else None
    cpus = _first(out, [(f"{key}.deploy.resources.limits.cpus", limits.get("cpus")), (f"{key}.cpus", raw.get("cpus"))],
                  fields.number)
    memory = _first(out, [(f"{key}.deploy.resources.limits.memory", limits.get("memory")),
                          (f"{key}.mem_limit", raw.get("mem_limit"))], fields.megabytes)
    cpus_reserved = _first(out, [(f"{key}.deploy.resources.reservations.cpus", reservations.get("cpus"))], fields.number)
    memory_reserved = _first(out, [(f"{key}.deploy.resources.reservations.memory", reservations.get("memory")),
                                   (f"{key}.mem_reservation", raw.get("mem_reservation"))], fields.megabytes)
    replicas = _first(out, [(f"{key}.deploy.replicas", deploy.get("replicas")), (f"{key}.scale", raw.get("scale"))],
                      fields.integer)
    max_per = _first(out, [(f"{key}.deploy.placement.max_replicas_per_node", placement.get("max_replicas_per_node"))],
                     fields.integer)
    engine = engine_options(key, raw, ctx.out)
    networks = _attachments(key, raw, ctx)
    files = _file_refs(key, raw, ctx) + shipped
    network_mode = fields.optional_str(raw.get("network_mode"))
    if len(out.items) > before:
        return None
    return Service(
        name=name, image=image, key=key, command=command, entrypoint=entrypoint,
        environment=environment, ports=tuple(ports), depends_on=tuple(depends),
        health=health, health_disabled=health_disabled, replicas=1 if replicas is None else replicas, restart=restart, update=update,
        constraints=tuple(str(c) for c in placement.get("constraints") or ()),
        max_per_node=max_per, cpus=cpus, memory_mb=memory,
        mounts=tuple(mounts), labels=fields.text_mapping(raw.get("labels")),
        endpoint_mode=str(deploy.get("endpoint_mode", "vip")), public=bool(x.get("public", False)),
        mode=mode, build=build, container_name=fields.optional_str(raw.get("container_name")), engine=engine,
        networks=networks, network_mode=network_mode, files=tuple(files),
        cpus_reserved=cpus_reserved, memory_reserved_mb=memory_reserved,
        wait_completed_for=tuple(completed),
        service_labels=fields.text_mapping(deploy.get("labels")),
        placement_preferences=tuple(str(p.get("spread")) for p in placement.get("preferences") or [] if p.get("spread")),
        rollback=rollback,
    )


def _first(out: Problems, candidates: list[tuple[str, Any]], parse: Callable[[Any], Any]) -> Any:
    """The first value given among `candidates` (key path, value), parsed."""
    for path, value in candidates:
        if value is not None:
            return out.parsed(path, lambda: parse(value))
    return None
