"""How Compose lays one definition over another (13-merge.md; compose-go override/merge.go):
an `extends` over its base service, a later file of an include's `path` list over the earlier,
and an including file's own definition over a resource it includes (compose-go include.go,
since 3d3411d: the including file may customise what it includes).

Mappings are merged by key, sequences appended without repeats (volumes by target), the shell
commands and `healthcheck.test` replaced, everything else replaced. Before the merge, every key
path the overriding file tagged `!reset` or `!override` is cleared in the base.
"""
from __future__ import annotations

from typing import Any, Iterable

from .yaml12 import KeyPath

# Service keys whose list or mapping entries are merged (the rest are replaced).
MAPPINGS = {"environment", "labels", "extra_hosts", "sysctls", "build", "deploy", "healthcheck", "logging",
            "ulimits", "annotations", "networks", "depends_on", "blkio_config", "develop", "x-platform"}
SEQUENCES = {"ports", "expose", "volumes", "dns", "dns_search", "dns_opt", "tmpfs", "cap_add", "cap_drop",
             "secrets", "configs", "env_file", "devices", "security_opt", "group_add", "external_links",
             "links", "volumes_from", "profiles"}
REPLACED_WITHIN = {"healthcheck": frozenset({"test"})}  # a shell command, replaced (13-merge.md, Exceptions)
KINDS = ("services", "volumes", "networks", "secrets", "configs")  # the top-level resources, merged by name


def clear(base: dict, paths: Iterable[KeyPath]) -> dict:
    """`base` without the values at `paths` (keys under it): what `!reset`/`!override` clear."""
    for path in paths:
        node = base
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return base


def under(paths: Iterable[KeyPath], prefix: KeyPath) -> list[KeyPath]:
    """The key paths below `prefix`, from it: a file's reset paths as one resource sees them."""
    return [p[len(prefix):] for p in paths if p[:len(prefix)] == prefix and len(p) > len(prefix)]


def merge_service(base: dict, override: dict, resets: Iterable[KeyPath] = ()) -> dict:
    """`override` laid over `base` (which it changes and returns); `resets` are key paths under the service."""
    clear(base, resets)
    for k, v in override.items():
        if k in MAPPINGS and k in base:
            base[k] = _merge_mapping(_as_mapping(base[k]), _as_mapping(v), REPLACED_WITHIN.get(k, frozenset()))
        elif k in SEQUENCES and k in base and isinstance(base[k], list) and isinstance(v, list):
            if k == "volumes":
                targets = {_volume_target(x) for x in v}
                base[k] = [x for x in base[k] if _volume_target(x) not in targets] + v
            else:
                base[k] = _appended(base[k], v)
        else:
            base[k] = v
    return base


def merge_resource(kind: str, base: Any, override: Any, resets: Iterable[KeyPath] = ()) -> Any:
    """One top-level resource (`kind` is services, volumes, networks, secrets or configs)."""
    if override is None:  # `volumes: {data:}` over a defined volume: nothing to lay over it (MergeYaml)
        return base
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override  # the schema says what is wrong with a resource that is not a mapping
    if kind == "services":
        return merge_service(base, override, resets)
    return _merge_mapping(clear(base, resets), override)


def merge_files(base: dict, override: dict, resets: Iterable[KeyPath]) -> dict:
    """Two whole files: each resource merged by name, other top-level keys merged as mappings."""
    resets = list(resets)
    clear(base, [p for p in resets if len(p) < 3 or p[0] not in KINDS])  # the rest: by each resource
    for key, theirs in override.items():
        mine = base.get(key)
        if key in KINDS and isinstance(mine, dict) and isinstance(theirs, dict):
            for name, resource in theirs.items():
                mine[name] = merge_resource(key, mine[name], resource, under(resets, (key, name))) \
                    if name in mine else resource
        else:
            base[key] = _merge_mapping(mine, theirs) if key in base else theirs
    return base


def _appended(a: list, b: list) -> list:
    return a + [x for x in b if x not in a]


def _volume_target(v: Any) -> Any:
    if isinstance(v, dict):
        return v.get("target")
    parts = str(v).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _as_mapping(v: Any) -> Any:
    if isinstance(v, list):  # ["K=V"] or ["name"] (networks, depends_on)
        return {str(x).partition("=")[0]: (str(x).partition("=")[2] if "=" in str(x) else None) for x in v}
    return v


def _merge_mapping(a: Any, b: Any, replaced: frozenset[str] = frozenset()) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge_mapping(a[k], v) if k in a and k not in replaced else v
        return out
    if isinstance(a, list) and isinstance(b, list):
        return _appended(a, b)
    return b
