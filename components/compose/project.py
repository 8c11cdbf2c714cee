"""A Compose file as docker compose reads it, before the platform's rules: YAML 1.2, variables
interpolated, `include`d files merged, `extends` resolved, inactive `profiles` left out and every
path (bind sources, `env_file`, build contexts, `file:` of secrets and configs) made absolute
against the directory of the file that wrote it.

Variables come from the stack config (`platform.stacks[i].variables`, where a value may name a
Pulumi secret) and then from the `.env` beside the file, as the shell's environment and then
`.env` do for docker compose.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

import yaml

from . import dotenv, references, yaml12
from .interpolate import InterpolationError, Unresolved, Verbatim, substitute
from .problems import Problems

# Where `$$` and `${service.host}` references stay for references.parse (see interpolate.py).
TEMPLATE_FIELDS = {"environment", "command"}
# Service keys whose list or mapping entries are merged by `extends` (the rest are replaced).
MAPPINGS = {"environment", "labels", "extra_hosts", "sysctls", "build", "deploy", "healthcheck", "logging",
            "ulimits", "annotations", "networks", "depends_on", "blkio_config", "develop", "x-platform"}
SEQUENCES = {"ports", "expose", "volumes", "dns", "dns_search", "dns_opt", "tmpfs", "cap_add", "cap_drop",
             "secrets", "configs", "env_file", "devices", "security_opt", "group_add", "external_links",
             "links", "volumes_from", "profiles"}
TOP_LEVEL = ("services", "volumes", "networks", "secrets", "configs")


@dataclass(frozen=True)
class SecretVariable:
    """A variable whose value is the Pulumi secret `container-platform:<key>`."""

    key: str


Variables = Mapping[str, Union[str, SecretVariable]]


@dataclass
class Project:
    doc: dict  # the merged file: services, volumes, networks, secrets, configs, name
    # Bind sources the file wrote as relative paths: on the machine that runs the deploy.
    local_sources: set[str] = field(default_factory=set)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (key path, message)
    # Services left out because none of their profiles is active: name -> its profiles.
    inactive: dict[str, list[str]] = field(default_factory=dict)


def read(path: Path, variables: Variables, profiles: list[str], out: Problems, variables_key: str) -> Optional[Project]:
    """The project in `path`, or None with every problem in `out`."""
    local_sources: set[str] = set()
    written_in: dict[str, Path] = {}
    doc = _read_file(path, variables, out, variables_key, seen=(), local_sources=local_sources,
                     written_in=written_in)
    if doc is None:
        return None
    # Problems in values (a variable without a value) do not stop the reading: the loader goes
    # on and reports every other problem of the file too.
    project = Project(doc, local_sources)
    out.services_written_in({name: written_in.get(name, path) for name in _dict(doc.get("services"))})
    _resolve_extends(doc, path, variables, out, variables_key, local_sources)
    _select_profiles(project, profiles or _compose_profiles(path, variables))
    return project


def _read_file(path: Path, variables: Variables, out: Problems, variables_key: str, seen: tuple,
               local_sources: Optional[set[str]] = None, written_in: Optional[dict[str, Path]] = None
               ) -> Optional[dict]:
    text = read_text(path, out, "")  # a file that cannot be read is said by the one naming it
    out = out.of(path)
    if text is None:
        return None
    try:
        doc = yaml12.load(text)
    except yaml.YAMLError as e:
        out.add("", f"{path.name} is not valid YAML: {e}")
        return None
    except RecursionError:
        doc, too_deep = None, True
    else:
        too_deep = _depth(doc) > MAX_DEPTH
    if too_deep:
        out.add("", f"{path.name} nests deeper than a Compose file can ({MAX_DEPTH} levels); flatten it")
        return None
    if not isinstance(doc, dict):
        out.add("", f"{path.name} is not a Compose file (its top level is not a mapping)")
        return None
    lookup = variable_lookup(path.parent, variables, out)
    services = set(doc.get("services") or {}) if isinstance(doc.get("services"), dict) else set()
    doc = _interpolate(doc, "", lookup, out, variables_key, references.matcher(services))
    _absolute_paths(doc, path.parent, local_sources if local_sources is not None else set())
    for i, entry in enumerate(_list(doc.pop("include", None))):
        _include(doc, entry, f"include[{i}]", path, variables, out, variables_key, seen + (path.resolve(),),
                 local_sources, written_in if written_in is not None else {})
    return doc


MAX_DEPTH = 64  # a Compose file nests about 6 deep; the readers below recurse by level


def _depth(doc: Any) -> int:
    """How deep `doc` nests, without recursing (a hostile file could nest thousands deep)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, level + 1) for c in children)
    return deepest


def read_text(path: Path, out: Problems, key: str) -> Optional[str]:
    """A text file beside the Compose file, or None with the reason in `out` at `key`."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        out.add(key, f"{path} does not exist")
    except IsADirectoryError:
        out.add(key, f"{path} is a directory; name a file")
    except UnicodeDecodeError:
        out.add(key, f"{path} is not UTF-8 text")
    except OSError as e:
        out.add(key, f"{path} cannot be read: {e.strerror}")
    return None


def variable_lookup(directory: Path, variables: Variables, out: Problems) -> Callable[[str], Any]:
    """Config variables first, then `.env` in `directory` (whose own `${VAR}`s see the config's)."""
    plain = {k: v for k, v in variables.items() if isinstance(v, str)}
    env_path = directory / ".env"
    from_file: dict[str, str] = {}
    if env_path.is_file():
        text = read_text(env_path, out, "")
        try:
            from_file = dotenv.parse(text, plain.get) if text is not None else {}
        except dotenv.DotenvError as e:
            # Named by the .env itself: said once, however many files beside it read it.
            out.of(env_path).add("", str(e))

    def lookup(name: str) -> Any:
        return variables[name] if name in variables else from_file.get(name)
    return lookup


def _interpolate(node: Any, path: str, lookup: Callable[[str], Any], out: Problems, variables_key: str,
                 is_reference: Callable[[str], bool]) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, f"{path}.{k}" if path else str(k), lookup, out, variables_key, is_reference)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", lookup, out, variables_key, is_reference)
                for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    parts = path.split(".")
    template = len(parts) >= 3 and parts[0] == "services" and parts[2].split("[")[0] in TEMPLATE_FIELDS

    def value(name: str) -> Optional[str]:
        v = lookup(name)
        if isinstance(v, SecretVariable):
            if not template:
                raise InterpolationError(
                    f"{name} is a secret (platform.stacks[].variables.{name}), which may be used only in "
                    "environment and command values: anywhere else it would be stored in plain text")
            return Verbatim("${secret." + v.key + "}")
        return v

    def unset(name: str) -> str:
        raise InterpolationError(
            f"variable {name} is not set; set it under {variables_key}.{name} in the stack config (or "
            f"in a .env file beside the Compose file), or give a default: ${{{name}:-value}}")
    try:
        return substitute(node, value, unset, template, is_reference)
    except InterpolationError as e:
        out.add(path, str(e))
        return Unresolved(node)


def _absolute(directory: Path, value: str) -> str:
    if value.startswith("~"):
        return str(Path(value).expanduser())
    # Normalised, not resolved: a path through a symlink stays as the user wrote it.
    return os.path.normpath(directory / value) if not value.startswith("/") else value


def _is_relative(source: str) -> bool:
    return source.startswith((".", "~"))


def _list(value: Any) -> list:
    """`value` when it is a list, else empty: this runs before the schema, which reports the rest."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _absolute_paths(doc: dict, directory: Path, local_sources: set[str]) -> None:
    for svc in _dict(doc.get("services")).values():
        if not isinstance(svc, dict):
            continue
        for i, v in enumerate(_list(svc.get("volumes"))):
            if isinstance(v, str):
                source, sep, rest = v.partition(":")
                if sep and _is_relative(source):
                    svc["volumes"][i] = _absolute(directory, source) + ":" + rest
                    local_sources.add(_absolute(directory, source))
            elif isinstance(v, dict) and v.get("type", "volume") == "bind" and isinstance(v.get("source"), str) \
                    and not v["source"].startswith("/"):
                v["source"] = _absolute(directory, v["source"])
                local_sources.add(v["source"])
        env_file = svc.get("env_file")
        if isinstance(env_file, (str, dict)):
            env_file = svc["env_file"] = [env_file]
        for i, e in enumerate(_list(env_file)):
            if isinstance(e, str):
                env_file[i] = {"path": _absolute(directory, e)}
            elif isinstance(e, dict) and isinstance(e.get("path"), str):
                e["path"] = _absolute(directory, e["path"])
        build = svc.get("build")
        if isinstance(build, str):
            build = svc["build"] = {"context": build}
        if isinstance(build, dict):
            ctx = build.get("context", ".")
            if isinstance(ctx, str) and "://" not in ctx:
                build["context"] = _absolute(directory, ctx)
        extends = svc.get("extends")
        if isinstance(extends, dict) and isinstance(extends.get("file"), str):
            extends["file"] = _absolute(directory, extends["file"])
    for kind in ("secrets", "configs"):
        for item in _dict(doc.get(kind)).values():
            if isinstance(item, dict) and isinstance(item.get("file"), str):
                item["file"] = _absolute(directory, item["file"])


def _include(doc: dict, entry: Any, key: str, path: Path, variables: Variables, out: Problems,
             variables_key: str, seen: tuple, local_sources: Optional[set[str]],
             written_in: dict[str, Path]) -> None:
    paths = entry if isinstance(entry, (str, list)) else _dict(entry).get("path")
    for p in [paths] if isinstance(paths, str) else [x for x in _list(paths) if isinstance(x, str)]:
        target = Path(_absolute(path.parent, p))
        if target.resolve() in seen:
            out.add(key, f"{p} includes itself (through {' -> '.join(s.name for s in seen)})")
            continue
        included = _read_file(target, variables, out, variables_key, seen, local_sources, written_in)
        if included is None:
            out.add(key, f"{p}: cannot be included (see above)" if target.exists() else f"{p} does not exist")
            continue
        # An included file is a model of its own (the specification's include section): its
        # services extend within it, and what is wrong there is named in it.
        _resolve_extends(included, target, variables, out, variables_key,
                         local_sources if local_sources is not None else set())
        for kind in TOP_LEVEL:
            mine = doc.get(kind)
            if mine is None and included.get(kind):
                mine = doc[kind] = {}
            for name, value in _dict(included.get(kind)).items():
                if not isinstance(mine, dict):
                    break  # the schema reports the including file's shape
                if name in mine:
                    out.add(f"{key}", f"{p} defines {kind}.{name}, which this file also defines; "
                                      "rename one (included resources are not merged)")
                else:
                    mine[name] = value
                    if kind == "services":
                        written_in.setdefault(name, target)  # an include's include has said its own


def _resolve_extends(doc: dict, path: Path, variables: Variables, out: Problems, variables_key: str,
                     local_sources: set[str]) -> None:
    services = _dict(doc.get("services"))
    cache: dict[Path, dict] = {}
    for name in list(services):
        if isinstance(services[name], dict) and "extends" in services[name]:
            services[name] = _extended(services, name, path, variables, out, variables_key, cache, (), local_sources)


def _extended(services: dict, name: str, path: Path, variables: Variables, out: Problems, variables_key: str,
              cache: dict, chain: tuple, local_sources: set[str]) -> dict:
    svc = services[name]
    ext = svc.get("extends")
    if ext is None:
        return svc
    key = f"services.{name}.extends"
    ext = {"service": ext} if isinstance(ext, str) else ext
    if not isinstance(ext, dict) or not isinstance(ext.get("service"), str):
        return svc  # the schema says what is wrong with it
    base_file = Path(ext["file"]) if ext.get("file") else path
    here = out.of(path)  # the file that holds `name`
    chain += ((path, name),)  # this service too: a cycle is named whole, and one onto itself is seen
    if (base_file, ext["service"]) in chain:
        here.add(key, f"extends cycle: {' -> '.join(s for _, s in chain)} -> {ext['service']}")
        return _without_extends(svc)
    if base_file == path:
        base_services = services
    else:
        if base_file not in cache:
            cache[base_file] = _dict(_dict(_read_file(base_file, variables, out, variables_key, (), local_sources))
                                     .get("services"))
        base_services = cache[base_file]
    if ext["service"] not in base_services:
        here.add(key, f"no service '{ext['service']}' in {base_file.name}; it has: {', '.join(base_services) or 'none'}")
        return _without_extends(svc)
    base = _extended(base_services, ext["service"], base_file, variables, out, variables_key, cache,
                     chain, local_sources)
    merged = merge_service(copy.deepcopy(base), _without_extends(svc))
    return merged


def _without_extends(svc: dict) -> dict:
    """A service whose `extends` was refused: said once, so not resolved again by a file that
    includes this one."""
    return {k: v for k, v in svc.items() if k != "extends"}


def merge_service(base: dict, override: dict) -> dict:
    """Compose's merge rules for `extends`: mappings merged by key, sequences appended without
    repeats (volumes by target), everything else replaced."""
    for k, v in override.items():
        if k in MAPPINGS and k in base:
            base[k] = _merge_mapping(_as_mapping(base[k]), _as_mapping(v))
        elif k in SEQUENCES and k in base and isinstance(base[k], list) and isinstance(v, list):
            if k == "volumes":
                targets = {_volume_target(x) for x in v}
                base[k] = [x for x in base[k] if _volume_target(x) not in targets] + v
            else:
                base[k] = base[k] + [x for x in v if x not in base[k]]
        else:
            base[k] = v
    return base


def _volume_target(v: Any) -> Any:
    if isinstance(v, dict):
        return v.get("target")
    parts = str(v).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _as_mapping(v: Any) -> Any:
    if isinstance(v, list):  # ["K=V"] or ["name"] (networks, depends_on)
        return {str(x).partition("=")[0]: (str(x).partition("=")[2] if "=" in str(x) else None) for x in v}
    return v


def _merge_mapping(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge_mapping(a[k], v) if k in a else v
        return out
    return b


def _compose_profiles(path: Path, variables: Variables) -> list[str]:
    """COMPOSE_PROFILES, as docker compose reads it from the environment or `.env`."""
    value = variable_lookup(path.parent, variables, Problems(""))("COMPOSE_PROFILES")
    return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else []


def _select_profiles(project: Project, active: list[str]) -> None:
    services = _dict(project.doc.get("services"))
    for name in list(services):
        svc = services[name]
        profiles = [p for p in _list(svc.get("profiles")) if isinstance(p, str)] if isinstance(svc, dict) else None
        if profiles and "*" not in active and not set(profiles) & set(active):
            project.inactive[name] = list(profiles)
            del services[name]
