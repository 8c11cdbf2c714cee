"""A Compose file as docker compose reads it, before the platform's rules: YAML 1.2, variables
interpolated, `include`d files merged, `extends` resolved, inactive `profiles` left out and every
path (bind sources, `env_file`, build contexts, `file:` of secrets and configs) made absolute
against the project directory of the file that wrote it.

Variables come from the stack config (`platform.stacks[i].variables`, where a value may name a
Pulumi secret) and then from the `.env` beside the file, as the shell's environment and then
`.env` do for docker compose. An included file sees that environment, then its own env files
(its `env_file`, or the `.env` of its project directory): the including project's values win,
so it can customise what it includes (14-include.md; compose-go loader/include.go).
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import yaml

from . import dotenv, references, yaml12
from .interpolate import InterpolationError, Unresolved, Verbatim, substitute
from .merge import KINDS, merge_files, merge_resource, merge_service, under
from .problems import Problems, Unsaid

# Where `$$` and `${service.host}` references stay for references.parse (see interpolate.py).
TEMPLATE_FIELDS = {"environment", "command"}
INCLUDE_KEYS = ("path", "env_file", "project_directory")
# Top-level keys no scheduler here can honour, said by each file that writes one (an included
# file's would otherwise be merged in under the including file's name, or dropped).
TOP_WHY_NOT = {"models": "AI models need a model runner, which no scheduler here has"}


@dataclass(frozen=True)
class SecretVariable:
    """A variable whose value is the Pulumi secret `container-platform:<key>`."""

    key: str


Variables = Mapping[str, Union[str, SecretVariable]]  # a project's environment


@dataclass
class Project:
    doc: dict  # the merged file: services, volumes, networks, secrets, configs, name
    # Each service's variables: those of the file that wrote it (an included file has its own).
    environments: dict[str, Variables] = field(default_factory=dict)
    # Bind sources the file wrote as relative paths: on the machine that runs the deploy.
    local_sources: set[str] = field(default_factory=set)
    # Services left out because none of their profiles is active: name -> its profiles.
    inactive: dict[str, list[str]] = field(default_factory=dict)


def read(path: Path, variables: Variables, profiles: list[str], out: Problems, variables_key: str) -> Optional[Project]:
    """The project in `path`, or None with every problem in `out`."""
    env = environment(variables, _default_env_files(path.parent), out)
    # `${db.host}` is a reference when the project has a service `db`, wherever it is defined (an
    # include, a sibling include, the including file): a first reading, whose problems are not
    # kept, finds every service name before the one that counts.
    first = _Reader(Unsaid(), variables_key, set())
    names = set(_dict(_dict(first.file(path, path.parent, env, (), (first.out, ""))).get("services")))
    reader = _Reader(out, variables_key, names)
    doc = reader.file(path, path.parent, env, seen=(), named_at=(out, ""))
    if doc is None:
        return None
    # Problems in values (a variable without a value) do not stop the reading: the loader goes
    # on and reports every other problem of the file too.
    project = Project(doc, reader.environments, reader.local_sources)
    out.services_written_in({name: reader.written_in.get(name, path) for name in _dict(doc.get("services"))})
    _select_profiles(project, profiles or _compose_profiles(env))
    return project


def environment(inherited: Variables, env_files: Iterable[Path], out: Problems) -> dict:
    """`inherited`, then the variables of `env_files` it does not set (a later file's over an
    earlier's); their own `${VAR}`s see `inherited` first. A broken env file is named by itself:
    said once, however many files read it."""
    plain = {k: v for k, v in inherited.items() if isinstance(v, str)}
    from_files: dict[str, str] = {}
    for env_file in env_files:
        named = out.of(env_file)
        text = read_text(env_file, named, "")
        try:
            from_files.update(dotenv.parse(text, lambda n: plain.get(n, from_files.get(n)))
                              if text is not None else {})
        except dotenv.DotenvError as e:
            named.add("", str(e))
    return {**from_files, **inherited}


class _Reader:
    """Reads a file and what it includes and extends, into one model; keeps what the loader
    needs to know of each service (the file that wrote it, its environment)."""

    def __init__(self, out: Problems, variables_key: str, services: set[str]):
        """`services`: every service name of the project, for telling references from variables."""
        self.out, self.variables_key = out, variables_key
        self.is_reference = references.matcher(services)
        self.local_sources: set[str] = set()
        self.written_in: dict[str, Path] = {}
        self.environments: dict[str, Variables] = {}
        self.resets: dict[Path, set[yaml12.KeyPath]] = {}  # each file's `!reset`/`!override` key paths

    def file(self, path: Path, directory: Path, env: Variables, seen: tuple, named_at: tuple[Problems, str],
             extends: bool = True) -> Optional[dict]:
        """The model of `path`, its relative paths against `directory` (its project directory),
        its includes merged and (with `extends`) its services' `extends` resolved. A file that
        cannot be read is said at `named_at`, the key that names it."""
        text = read_text(path, *named_at)
        out = self.out.of(path)
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
        doc, self.resets[path] = yaml12.without_tags(doc)
        for key, why in TOP_WHY_NOT.items():
            if doc.get(key):
                out.add(key, f"is not supported: {why}")
        services = set(doc.get("services") or {}) if isinstance(doc.get("services"), dict) else set()
        doc = _interpolate(doc, "", env.get, out, self.variables_key, self.is_reference)
        _absolute_paths(doc, directory, self.local_sources)
        if "include" in doc:
            self._include(doc, doc.pop("include"), path, directory, env, seen + (path.resolve(),))
        if extends:  # after the includes: a service may extend an included one (compose-go loader.go)
            self._resolve_extends(doc, path, env)
        for name in services:  # the outermost file that defines a service names it
            self.written_in[name], self.environments[name] = path, env
        return doc

    def _include(self, doc: dict, entries: Any, path: Path, directory: Path, env: Variables, seen: tuple) -> None:
        out = self.out.of(path)
        if not isinstance(entries, list):
            out.add("include", "expected a list: of Compose files, or of mappings with `path` "
                               "(and `env_file`, `project_directory`)")
            return
        # An included resource -> the include it came from, and for a service the file that wrote
        # it and its variables (a later include of the same service must not take them over).
        brought_by: dict[tuple[str, str], tuple[str, Optional[Path], Optional[Variables]]] = {}
        for i, entry in enumerate(entries):
            key = f"include[{i}]"
            included = self._included(_include_entry(entry, key, out), directory, env, seen, out)
            if included is not None:
                self._import(doc, *included, key, brought_by, self.resets[path], out)

    def _included(self, entry: Optional[tuple], directory: Path, env: Variables, seen: tuple,
                  out: Problems) -> Optional[tuple[str, dict]]:
        """The model an include entry names (its files merged in order) and how to call it."""
        if entry is None:
            return None
        paths, env_files, project_directory = entry
        targets = [(key, p, Path(_absolute(directory, p))) for key, p in paths]
        for key, p, target in targets:
            if target.resolve() in seen:
                out.add(key, f"{p} includes itself (through {' -> '.join(s.name for s in seen)})")
                return None
        # Its relative paths, its includes' and its default .env are its project directory's.
        project_dir = Path(_absolute(directory, project_directory)) if project_directory else targets[0][2].parent
        files = self._env_files(env_files, directory, project_dir, out)
        if files is None:
            return None
        own_env = environment(env, files, self.out)
        merged: Optional[dict] = None
        for key, p, target in targets:
            model = self.file(target, project_dir, own_env, seen, named_at=(out, key))
            if model is None:
                out.add(key, f"{p}: cannot be included (see above)")  # unless it could not be read: said there
                return None
            merged = model if merged is None else merge_files(merged, model, self.resets[target])
        return " + ".join(p for _, p, _ in targets), merged

    @staticmethod
    def _env_files(written: Optional[list[tuple[str, str]]], directory: Path, project_dir: Path,
                   out: Problems) -> Optional[list[Path]]:
        """An include's env files: those it names (each must exist), else its project's `.env`."""
        if written is None:
            return _default_env_files(project_dir)
        files, wrong = [], False
        for key, name in written:
            if name == "/dev/null":  # compose-go include.go: no env file at all
                continue
            file = Path(_absolute(directory, name))
            if file.is_file():
                files.append(file)
                continue
            wrong = True
            out.add(key, f"{file} is a directory; name a file" if file.is_dir() else
                    f"{file} does not exist; name an env file that does, or leave env_file out to read "
                    "the .env of the included project's directory")
        return None if wrong else files

    def _import(self, doc: dict, label: str, model: dict, key: str, brought_by: dict,
                resets: set[yaml12.KeyPath], out: Problems) -> None:
        """The included model's resources into `doc`. One `doc` defines too is its own laid over the
        included (compose-go include.go since 3d3411d; `!override` on it replaces it whole); one an
        earlier include brought is laid over the later's, and said when they differ."""
        for kind in KINDS:
            theirs = _dict(model.get(kind))
            if theirs and doc.get(kind) is None:
                doc[kind] = {}
            mine = doc.get(kind)
            if not isinstance(mine, dict):
                continue  # the schema reports the including file's shape
            for name, value in theirs.items():
                if name not in mine:
                    mine[name] = value
                    brought_by[(kind, name)] = (label, self.written_in.get(name), self.environments.get(name))
                    continue
                if (kind, name) in brought_by:
                    first, written_in, variables = brought_by[(kind, name)]
                    if mine[name] != value:
                        out.warn(key, f"{label} defines {kind}.{name}, as {first} does: the first include's is "
                                      "laid over it, as docker compose does; rename one if they are two things")
                    if kind == "services":
                        self.written_in[name], self.environments[name] = written_in, variables
                if (kind, name) not in resets:
                    mine[name] = merge_resource(kind, value, mine[name], under(resets, (kind, name)))

    def _resolve_extends(self, doc: dict, path: Path, env: Variables) -> None:
        services = _dict(doc.get("services"))
        cache: dict[Path, dict] = {}
        for name in list(services):
            if isinstance(services[name], dict) and "extends" in services[name]:
                services[name] = self._extended(services, name, path, env, cache, ())

    def _extended(self, services: dict, name: str, path: Path, env: Variables, cache: dict, chain: tuple) -> dict:
        svc = services[name]
        ext = svc.get("extends")
        if ext is None:
            return svc
        key = f"services.{name}.extends"
        ext = {"service": ext} if isinstance(ext, str) else ext
        if not isinstance(ext, dict) or not isinstance(ext.get("service"), str):
            return svc  # the schema says what is wrong with it
        base_file = Path(ext["file"]) if ext.get("file") else path
        here = self.out.of(path)  # the file that holds `name`
        chain += ((path, name),)  # this service too: a cycle is named whole, and one onto itself is seen
        if (base_file, ext["service"]) in chain:
            here.add(key, f"extends cycle: {' -> '.join(s for _, s in chain)} -> {ext['service']}")
            return _without_extends(svc)
        if base_file == path:
            base_services = services
        else:
            if base_file not in cache:  # read with this file's environment, as compose-go's extends does
                cache[base_file] = _dict(_dict(self.file(base_file, base_file.parent, env, (), (here, f"{key}.file"),
                                                         extends=False)).get("services"))
            base_services = cache[base_file]
        if ext["service"] not in base_services:
            here.add(key, f"no service '{ext['service']}' in {base_file.name}; it has: {', '.join(base_services) or 'none'}")
            return _without_extends(svc)
        base = self._extended(base_services, ext["service"], base_file, env, cache, chain)
        return merge_service(copy.deepcopy(base), _without_extends(svc), under(self.resets.get(path, set()),
                                                                                ("services", name)))


def _default_env_files(project_dir: Path) -> list[Path]:
    """The `.env` of a project directory, when there is one (a directory of that name is none)."""
    default = project_dir / ".env"
    return [default] if default.is_file() else []


def _include_entry(entry: Any, key: str, out: Problems) -> Optional[tuple]:
    """One `include` entry as (paths, env files or None, project directory or None), each path
    with its key path; None when it is wrong (said). The schema never sees `include`."""
    if isinstance(entry, str):
        paths = _paths(entry, key, out)
        return (paths, None, None) if paths else None
    if not isinstance(entry, dict):
        out.add(key, f"expected a file path or a mapping with `path`; got {entry!r}")
        return None
    wrong = [k for k in entry if k not in INCLUDE_KEYS]
    for k in wrong:
        out.add(f"{key}.{k}", f"is not an include key; an include takes {', '.join(INCLUDE_KEYS)}")
    if "path" not in entry:
        out.add(key, "has no `path`: name the Compose file to include (or a list of files, merged in order)")
        return None
    paths = _paths(entry["path"], f"{key}.path", out)
    env_files = _paths(entry["env_file"], f"{key}.env_file", out) if "env_file" in entry else None
    project_directory = entry.get("project_directory")
    if project_directory is not None and not isinstance(project_directory, str):
        out.add(f"{key}.project_directory", f"expected a directory path; got {project_directory!r}")
        return None
    if wrong or paths is None or ("env_file" in entry and env_files is None):
        return None
    return paths, env_files, project_directory


def _paths(value: Any, key: str, out: Problems) -> Optional[list[tuple[str, str]]]:
    """A path or a list of paths, each with its key path; None when wrong (said, or already said
    where a variable in it has no value)."""
    if isinstance(value, str):
        items = [(key, value)]
    elif isinstance(value, list) and value:
        items = [(f"{key}[{j}]", v) for j, v in enumerate(value)]
    else:
        out.add(key, f"expected a path or a non-empty list of paths; got {value!r}")
        return None
    for where, v in items:
        if not isinstance(v, str):
            out.add(where, f"expected a path; got {v!r}")
            return None
    return None if any(isinstance(v, Unresolved) for _, v in items) else items


MAX_DEPTH = 64  # a Compose file nests about 6 deep; the readers below recurse by level


def _depth(doc: Any) -> int:
    """How deep `doc` nests, without recursing (a hostile file could nest thousands deep)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(node, yaml12.Override):  # `!override` wraps what it holds
            node = node.value
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


def _without_extends(svc: dict) -> dict:
    """A service whose `extends` was refused: said once, so not resolved again by a file that
    includes this one."""
    return {k: v for k, v in svc.items() if k != "extends"}


def _compose_profiles(env: Variables) -> list[str]:
    """COMPOSE_PROFILES, as docker compose reads it from the environment or `.env`."""
    value = env.get("COMPOSE_PROFILES")
    return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else []


def _select_profiles(project: Project, active: list[str]) -> None:
    services = _dict(project.doc.get("services"))
    for name in list(services):
        svc = services[name]
        profiles = [p for p in _list(svc.get("profiles")) if isinstance(p, str)] if isinstance(svc, dict) else None
        if profiles and "*" not in active and not set(profiles) & set(active):
            project.inactive[name] = list(profiles)
            del services[name]
