"""Read a Compose file into a `Stack`: the project as docker compose reads it (project.py), the
Compose Specification schema, every key against the scheduler's rule (keys.py), then the order."""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import functools
import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import jsonschema

from ..problem import Problem
from . import dotenv, fields, references
from .keys import DEPLOY_KEYS, SERVICE_KEYS, Refuse, Warn
from .limits import scheduler_limits
from .model import (Attachment, Build, Engine, FileRef, Network, Port, Service, Stack, StackFile, Template,
                    Volume)
from .problems import Problems
from .project import SecretVariable, Variables, read, read_text, variable_lookup
from .topology import check_references, order

SCHEDULERS = ("marathon", "swarm", "local")
# The Compose Specification schema (compose-spec/compose-spec, schema/compose-spec.json at
# 170098ba07d9f53c383a41bfd4c5166b0a4529a6), shipped with the program because users validate
# their files with it at `pulumi up`; a test keeps it identical to the upstream reference copy.
SCHEMA = Path(__file__).with_name("compose-spec.json")

# Docker's reference grammar (distribution/reference): an optional registry host, lower-case path
# components, an optional tag and digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE = re.compile(rf"^(?:[A-Za-z0-9.-]+(?::\d+)?/)?{_COMPONENT}(?:/{_COMPONENT})*(?::\w[\w.-]{{0,127}})?"
                   r"(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$")
X_PLATFORM_SERVICE = {"public"}
X_PLATFORM_TOP = {"scheduler"}
TOP_WHY_NOT = {"models": "AI models need a model runner, which no scheduler here has"}


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


def load_stack(root: Path, file: str, name: str, scheduler: Optional[str], instances: Mapping[str, int],
               config_key: str, variables: Variables = {}, profiles: tuple[str, ...] = (),
               single_machine: bool = True) -> tuple[Optional[Stack], list[Problem]]:
    """The stack in `root/file`, or every problem found in it (and in its config overrides).
    `single_machine`: the scheduler's engine is this machine (images can be built here)."""
    out = Problems(file)
    path = root / file
    if not path.exists():
        return None, [Problem(f"{config_key}.file", f"{file!r} does not exist (paths are relative to {root})")]
    if not path.is_file():
        return None, [Problem(f"{config_key}.file", f"{file!r} is not a file; name the Compose file itself")]
    project = read(path, variables, list(profiles), out, f"{config_key}.variables")
    if project is None:
        return None, out.items
    doc = project.doc
    before = len(out.items)
    _schema_problems(doc, out)
    if len(out.items) > before:  # the values' shapes are wrong: reading on would only crash
        return None, out.items

    for key, why in TOP_WHY_NOT.items():
        if doc.get(key):
            out.add(key, f"is not supported: {why}")
    x_top = doc.get("x-platform") or {}
    for key in set(x_top) - X_PLATFORM_TOP:
        out.add(f"x-platform.{key}", f"unknown key; x-platform at the top level takes: {', '.join(sorted(X_PLATFORM_TOP))}")
    scheduler = scheduler or x_top.get("scheduler")
    if scheduler not in SCHEDULERS:
        where = f"x-platform.scheduler ({scheduler!r})" if scheduler else "no scheduler is set"
        out.items.append(Problem(f"{config_key}.scheduler", (
            f"{where}: choose one of {', '.join(SCHEDULERS)} here or as `x-platform.scheduler` in {file}")))
        scheduler = "local"
    for svc, profs in project.inactive.items():
        out.warn(f"services.{svc}", (f"not deployed: none of its profiles ({', '.join(profs)}) is active; "
                                     f"list one under {config_key}.profiles to deploy it"))

    ctx = _Context(scheduler, out, _volumes(doc), _networks(doc), _files(doc, out),
                   variable_lookup(path.parent, variables, out), single_machine, project.inactive,
                   project.local_sources)
    declared = doc.get("services") or {}
    if not declared:
        out.add("services", "is empty; a stack needs at least one service")
    services = [_service(n, s or {}, ctx) for n, s in declared.items()]
    for svc_name in instances:
        if svc_name not in declared:
            out.items.append(Problem(f"{config_key}.services.{svc_name}", (
                f"{file} has no service '{svc_name}'; its services are: {', '.join(declared)}")))
    aliases = _link_aliases(declared)
    known = {s.name: dataclasses.replace(s, aliases=tuple(aliases.get(s.name, ()))) for s in services if s}
    for s in known.values():
        check_references(s, known, set(declared), out)
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


@dataclasses.dataclass
class _Context:
    scheduler: str
    out: Problems
    volumes: dict[str, Volume]
    networks: dict[str, Network]
    files: dict[tuple[str, str], StackFile]
    lookup: Callable[[str], Any]  # variables, for `environment: [NAME]`
    single_machine: bool
    inactive: dict[str, list[str]]
    local_sources: set[str]  # bind sources written relative: on the machine that runs the deploy


def _with_replicas(s: Service, override: Optional[int]) -> Service:
    return s if override is None else dataclasses.replace(s, replicas=override)


def _volumes(doc: dict) -> dict[str, Volume]:
    out = {}
    for name, v in (doc.get("volumes") or {}).items():
        v = v or {}
        size = (v.get("x-platform") or {}).get("size")
        out[name] = Volume(name, _external(v, name), v.get("driver"),
                           {k: x or "" for k, x in fields.key_values(v.get("driver_opts")).items()},
                           fields.megabytes(size) if size is not None else None)
    return out


def _external(spec: dict, name: str) -> Optional[str]:
    """The existing object's name when the volume/network is `external` (its forms: true, or the
    legacy {name: ...}), else None."""
    ext = spec.get("external")
    if isinstance(ext, dict):
        return ext.get("name") or spec.get("name") or name
    return (spec.get("name") or name) if ext in (True, "true") else None


def _networks(doc: dict) -> dict[str, Network]:
    out = {"default": Network("default")}
    for name, n in (doc.get("networks") or {}).items():
        n = n or {}
        out[name] = Network(name, _external(n, name), n.get("internal") in (True, "true"), n.get("driver"),
                            {k: x or "" for k, x in fields.key_values(n.get("driver_opts")).items()})
    return out


def _files(doc: dict, out: Problems) -> dict[tuple[str, str], StackFile]:
    found = {}
    for kind in ("secret", "config"):
        for name, f in (doc.get(kind + "s") or {}).items():
            key = f"{kind}s.{name}"
            f = f or {}
            x = f.get("x-platform") or {}
            if f.get("external"):
                found[(kind, name)] = StackFile(name, kind, external=f.get("name") or name)
            elif x.get("secret"):
                found[(kind, name)] = StackFile(name, kind, pulumi_secret=str(x["secret"]))
            elif "content" in f:
                found[(kind, name)] = StackFile(name, kind, content=str(f["content"]))
            elif "file" in f:
                content = read_text(Path(f["file"]), out, f"{key}.file")
                if content is not None:
                    found[(kind, name)] = StackFile(name, kind, content=content)
            elif "environment" in f:
                out.add(f"{key}.environment", (
                    "would take the value from the shell that runs the deploy; for a secret use "
                    "x-platform: {secret: <config key>} (a Pulumi secret), for a config `content:`"))
            else:
                out.add(key, "names no source; give file, content, external or x-platform.secret (a Pulumi secret)")
    return found


def _rule_check(key: str, raw: dict, table: dict, ctx: _Context) -> None:
    for k in raw:
        if k.startswith("x-") and k != "x-platform":
            continue
        rule = table.get(k, {}).get(ctx.scheduler)
        if isinstance(rule, Refuse):
            ctx.out.add(f"{key}.{k}", f"cannot be honoured on {ctx.scheduler}: {rule.why}")
        elif isinstance(rule, Warn):
            ctx.out.warn(f"{key}.{k}", f"has no effect on {ctx.scheduler}: {rule.why}")


def _template(value: str, where: str, out: Problems) -> Template:
    template, error = references.parse(value)
    if error:
        out.add(where, error)
    return template


def _environment(key: str, raw: dict, ctx: _Context) -> dict[str, Template]:
    out = ctx.out
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
                      if entry.get("format") == "raw" else dotenv.parse(text, _plain(ctx.lookup)))
        except dotenv.DotenvError as e:
            out.add(where, f"{file.name}: {e}")
            continue
        environment.update({k: (v,) for k, v in values.items()})
    for k, v in fields.key_values(raw.get("environment")).items():
        where = f"{key}.environment.{k}"
        if v is None:
            found = ctx.lookup(k)
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


def _plain(lookup: Callable[[str], Any]) -> Callable[[str], Optional[str]]:
    return lambda name: v if isinstance(v := lookup(name), str) else None


def _ports(key: str, raw: dict, out: Problems) -> list[Port]:
    ports: list[Port] = []
    for i, p in enumerate(raw.get("ports") or []):
        ports += out.parsed(f"{key}.ports[{i}]", lambda p=p: fields.ports(p)) or []
    for i, p in enumerate(raw.get("expose") or []):
        exposed = out.parsed(f"{key}.expose[{i}]", lambda p=p: fields.ports(p)) or []
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


def _words_list(value: Any) -> tuple[str, ...]:
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value or ())


def _engine(key: str, raw: dict, ctx: _Context) -> Optional[Engine]:
    p, out = ctx.out.parsed, ctx.out
    get = raw.get
    ulimits = []
    for name, v in (get("ulimits") or {}).items():
        if isinstance(v, dict):
            ulimits.append((name, p(f"{key}.ulimits.{name}.soft", lambda v=v: fields.integer(v.get("soft"))),
                            p(f"{key}.ulimits.{name}.hard", lambda v=v: fields.integer(v.get("hard")))))
        else:
            n = p(f"{key}.ulimits.{name}", lambda v=v: fields.integer(v))
            ulimits.append((name, n, n))
    logging = get("logging") or {}
    tmpfs = get("tmpfs")
    tmpfs = [tmpfs] if isinstance(tmpfs, str) else tmpfs or []
    devices = []
    for i, d in enumerate(get("devices") or []):
        if isinstance(d, dict):
            devices.append((str(d.get("source")), str(d.get("target") or d.get("source")), str(d.get("permissions") or "rwm")))
        else:
            parts = str(d).split(":")
            devices.append((parts[0], parts[1] if len(parts) > 1 else parts[0], parts[2] if len(parts) > 2 else "rwm"))
    hosts = get("extra_hosts") or {}
    extra = [(h, ip or "") for h, ip in (fields.key_values(hosts).items() if isinstance(hosts, dict) else
                                         (_host_entry(e) for e in hosts))]
    volumes_from = []
    for i, v in enumerate(get("volumes_from") or []):
        source = str(v).split(":")[0]
        if source.startswith("container:"):
            out.add(f"{key}.volumes_from[{i}]", "names a container outside the stack; name a service of the stack")
        volumes_from.append(source)
    pull = get("pull_policy")
    return Engine(
        user=_opt_str(get("user")), working_dir=_opt_str(get("working_dir")), hostname=_opt_str(get("hostname")),
        domainname=_opt_str(get("domainname")),
        init=p(f"{key}.init", lambda: fields.boolean(get("init"))) if "init" in raw else None,
        stop_signal=_opt_str(get("stop_signal")),
        stop_grace_s=p(f"{key}.stop_grace_period", lambda: fields.seconds(get("stop_grace_period")))
        if "stop_grace_period" in raw else None,
        read_only=bool(p(f"{key}.read_only", lambda: fields.boolean(get("read_only", False)))),
        tmpfs=tuple((str(t).split(":")[0], str(t).partition(":")[2]) for t in tmpfs),
        shm_size_bytes=p(f"{key}.shm_size", lambda: fields.size_bytes(get("shm_size"))) if "shm_size" in raw else None,
        cap_add=_words_list(get("cap_add")), cap_drop=_words_list(get("cap_drop")),
        privileged=bool(p(f"{key}.privileged", lambda: fields.boolean(get("privileged", False)))),
        security_opt=_words_list(get("security_opt")),
        sysctls=tuple((k, v or "") for k, v in fields.key_values(get("sysctls")).items()),
        ulimits=tuple(ulimits), log_driver=_opt_str(logging.get("driver")),
        log_opts=tuple((k, v or "") for k, v in fields.key_values(logging.get("options")).items()),
        runtime=_opt_str(get("runtime")), platform=_opt_str(get("platform")), ipc=_opt_str(get("ipc")),
        pid=_opt_str(get("pid")),
        stdin_open=bool(p(f"{key}.stdin_open", lambda: fields.boolean(get("stdin_open", False)))),
        tty=bool(p(f"{key}.tty", lambda: fields.boolean(get("tty", False)))),
        extra_hosts=tuple(extra), dns=_words_list(get("dns")), dns_search=_words_list(get("dns_search")),
        dns_opt=_words_list(get("dns_opt")), devices=tuple(devices), group_add=_words_list(get("group_add")),
        memswap_bytes=p(f"{key}.memswap_limit", lambda: fields.size_bytes(get("memswap_limit")))
        if "memswap_limit" in raw and str(get("memswap_limit")) != "-1" else None,
        cpu_shares=p(f"{key}.cpu_shares", lambda: fields.integer(get("cpu_shares"))) if "cpu_shares" in raw else None,
        cpuset=_opt_str(get("cpuset")),
        pids_limit=p(f"{key}.pids_limit", lambda: fields.integer(get("pids_limit"), -1)) if "pids_limit" in raw else None,
        userns_mode=_opt_str(get("userns_mode")), volumes_from=tuple(volumes_from),
        pull_always=pull in ("always", "daily", "weekly") or str(pull).startswith("every_"),
    )


def _host_entry(entry: Any) -> tuple[str, str]:
    text = str(entry)
    sep = "=" if "=" in text else ":"
    host, _, ip = text.partition(sep)
    return host.strip(), ip.strip().strip("[]")


def _opt_str(v: Any) -> Optional[str]:
    return None if v is None else str(v)


def _attachments(key: str, raw: dict, ctx: _Context) -> tuple[Attachment, ...]:
    nets = raw.get("networks")
    if nets is None:
        return ()
    entries = {n: None for n in nets} if isinstance(nets, list) else nets
    found = []
    for n, cfg in entries.items():
        if n not in ctx.networks:
            ctx.out.add(f"{key}.networks.{n}", f"network '{n}' is not declared; add it under the top-level `networks`")
            continue
        found.append(Attachment(n, _words_list((cfg or {}).get("aliases"))))
    return tuple(found)


def _file_refs(key: str, raw: dict, ctx: _Context) -> list[FileRef]:
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
            refs.append(FileRef(kind, source, target, _opt_str(entry.get("uid")), _opt_str(entry.get("gid")),
                                ctx.out.parsed(f"{key}.{kind}s[{i}].mode", lambda m=mode: _file_mode(m))
                                if mode is not None else None))
    return refs


def _local_binds(key: str, mounts: list, ctx: _Context) -> tuple[list, list[FileRef]]:
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
        where = f"{key}.volumes[{i}]"
        content = read_text(Path(m.source), ctx.out, where) if ctx.scheduler == "swarm" and Path(m.source).is_file() \
            else None
        if content is not None:
            name = f"bind-{hashlib.sha256(m.source.encode()).hexdigest()[:10]}"
            ctx.files[("config", name)] = StackFile(name, "config", content=content)
            shipped.append(FileRef("config", name, m.target))
            ctx.out.warn(where, f"{m.source} is on this machine: shipped to the swarm as a config (read-only)")
        else:
            what = "a directory" if Path(m.source).is_dir() else "a file" if Path(m.source).exists() else "missing"
            ctx.out.add(where, (f"{m.source} ({what}) is on the machine that runs the deploy, which the "
                                f"{ctx.scheduler} hosts cannot see" + (
                                    "; a single file would be shipped as a Swarm config" if ctx.scheduler == "swarm"
                                    else "") + ": bake it into the image, or use a named volume"))
    return kept, shipped


def _file_mode(value: Any) -> int:
    text = str(getattr(value, "text", value))
    if isinstance(value, int) and not text.startswith(("0", "0o")):
        return value  # decimal, as Compose's schema allows (e.g. 292 == 0o444)
    try:
        return int(text.removeprefix("0o"), 8)
    except ValueError:
        raise fields.FieldError(f"{value!r} is not a file mode; write e.g. 0440") from None


def _dependencies(key: str, raw: dict, ctx: _Context) -> tuple[list[str], list[str], list[str]]:
    """depends_on as (names, those to be healthy first, those to have exited 0 first)."""
    deps = raw.get("depends_on") or []
    entries = {d: {} for d in deps} if isinstance(deps, list) else {d: c or {} for d, c in deps.items()}
    names, healthy, completed = [], [], []
    for dep, cfg in entries.items():
        if dep in ctx.inactive:
            if fields.boolean(cfg.get("required", True)):
                ctx.out.add(f"{key}.depends_on.{dep}", (
                    f"'{dep}' is not deployed: none of its profiles ({', '.join(ctx.inactive[dep])}) is active; "
                    "activate one under platform.stacks[].profiles, or mark the dependency `required: false`"))
            continue
        names.append(dep)
        condition = cfg.get("condition", "service_started")
        if condition == "service_healthy":
            healthy.append(dep)
        elif condition == "service_completed_successfully":
            completed.append(dep)
    for link in _words_list(raw.get("links")):
        target = link.split(":")[0]
        if target not in names:
            names.append(target)
    return names, healthy, completed


def _link_aliases(declared: Mapping[str, Any]) -> dict[str, list[str]]:
    """`links: [db:database]` makes `database` a name of `db`: service -> extra aliases."""
    aliases: dict[str, list[str]] = {}
    for s in declared.values():
        for link in _words_list((s or {}).get("links")):
            target, _, alias = link.partition(":")
            if alias and alias != target:
                aliases.setdefault(target, []).append(alias)
    return aliases


def _build(key: str, raw: dict, ctx: _Context) -> Optional[Build]:
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
    return Build(str(b["context"]), _opt_str(b.get("dockerfile")),
                 {k: v or "" for k, v in fields.key_values(b.get("args")).items()}, _opt_str(b.get("target")))


def _service(name: str, raw: dict, ctx: _Context) -> Optional[Service]:
    key = f"services.{name}"
    out = ctx.out
    before = len(out.items)
    _rule_check(key, raw, SERVICE_KEYS, ctx)
    deploy = raw.get("deploy") or {}
    _rule_check(f"{key}.deploy", deploy, DEPLOY_KEYS, ctx)
    x = raw.get("x-platform") or {}
    for k in set(x) - X_PLATFORM_SERVICE:
        out.add(f"{key}.x-platform.{k}", f"unknown key; x-platform in a service takes: {', '.join(sorted(X_PLATFORM_SERVICE))}")
    build = _build(key, raw, ctx)
    if "image" not in raw and "build" not in raw:
        out.add(f"{key}.image", "is missing; give the image to run (or `build` on the local scheduler)")
    image = str(raw.get("image") or f"container-platform/{name}:latest")
    if "image" in raw and not IMAGE.match(str(raw["image"])):
        out.add(f"{key}.image", (f"{raw['image']!r} is not an image reference; write [registry/]name[:tag][@digest] "
                                 "in lower case, e.g. postgres:16 or ghcr.io/org/app:1.2"))

    environment = _environment(key, raw, ctx)
    command = None
    if "command" in raw and raw["command"] is not None:
        words = out.parsed(f"{key}.command", lambda: fields.words(raw["command"])) or ()
        command = tuple(_template(w, f"{key}.command[{i}]", out) for i, w in enumerate(words))
    entrypoint = out.parsed(f"{key}.entrypoint", lambda: fields.words(raw["entrypoint"])) \
        if raw.get("entrypoint") is not None else None
    ports = _ports(key, raw, out)

    mounts = [out.parsed(f"{key}.volumes[{i}]", lambda v=v: fields.mount(v)) for i, v in enumerate(raw.get("volumes") or [])]
    for i, m in enumerate(mounts):
        if m and m.kind == "volume" and m.source and m.source not in ctx.volumes:
            out.add(f"{key}.volumes[{i}]", f"volume '{m.source}' is not declared; add it under the top-level `volumes`")
    mounts, shipped = _local_binds(key, mounts, ctx)
    depends, healthy, completed = _dependencies(key, raw, ctx)
    mode = str(deploy.get("mode", "replicated"))
    if mode not in ("replicated", "global"):
        out.add(f"{key}.deploy.mode", f"{mode!r} is not a mode; use replicated or global")
    placement = deploy.get("placement") or {}
    resources = deploy.get("resources") or {}
    limits, reservations = resources.get("limits") or {}, resources.get("reservations") or {}
    health = out.parsed(f"{key}.healthcheck", lambda: fields.health(raw["healthcheck"])) if "healthcheck" in raw else None
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
    engine = _engine(key, raw, ctx)
    networks = _attachments(key, raw, ctx)
    files = _file_refs(key, raw, ctx) + shipped
    network_mode = _opt_str(raw.get("network_mode"))
    if len(out.items) > before:
        return None
    return Service(
        name=name, image=image, key=key, command=command, entrypoint=entrypoint,
        environment=environment, ports=tuple(ports), depends_on=tuple(depends),
        health=health, replicas=1 if replicas is None else replicas, restart=restart, update=update,
        constraints=tuple(str(c) for c in placement.get("constraints") or ()),
        max_per_node=max_per, cpus=cpus, memory_mb=memory,
        mounts=tuple(mounts), labels={k: v or "" for k, v in fields.key_values(raw.get("labels")).items()},
        endpoint_mode=str(deploy.get("endpoint_mode", "vip")), public=bool(x.get("public", False)),
        mode=mode, build=build, container_name=_opt_str(raw.get("container_name")), engine=engine,
        networks=networks, network_mode=network_mode, files=tuple(files),
        cpus_reserved=cpus_reserved, memory_reserved_mb=memory_reserved,
        wait_healthy_for=tuple(healthy), wait_completed_for=tuple(completed),
        service_labels={k: v or "" for k, v in fields.key_values(deploy.get("labels")).items()},
        placement_preferences=tuple(str(p.get("spread")) for p in placement.get("preferences") or [] if p.get("spread")),
        rollback=rollback,
    )


def _first(out: Problems, candidates: list[tuple[str, Any]], parse: Callable[[Any], Any]) -> Any:
    """The first value given among `candidates` (key path, value), parsed."""
    for path, value in candidates:
        if value is not None:
            return out.parsed(path, lambda: parse(value))
    return None
