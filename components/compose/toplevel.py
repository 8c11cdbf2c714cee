"""The objects a Compose file declares at its top level: volumes, networks, secrets, configs."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from . import fields
from .keys import FILE_KEYS, NETWORK_KEYS, NOT_TRANSLATED, VOLUME_KEYS, judge as judge_keys
from .model import IpamPool, Network, StackFile, Volume
from .problems import Problems
from .project import read_text


def volumes(doc: dict, problems: Problems) -> dict[str, Volume]:
    out = {}
    for name, v in (doc.get("volumes") or {}).items():
        v = v or {}
        key = f"volumes.{name}.x-platform"
        size = problems.extension(key, v.get("x-platform"), ("size",)).get("size")
        out[name] = Volume(name, _external(v, name), v.get("driver"),
                           fields.text_mapping(v.get("driver_opts")),
                           problems.parsed(f"{key}.size", lambda: fields.megabytes(size)) if size is not None else None,
                           tuple(fields.text_mapping(v.get("labels")).items()))
    return out


def _external(spec: dict, name: str) -> Optional[str]:
    """The existing object's name when the volume/network is `external` (its forms: true, or the
    legacy {name: ...}), else None."""
    ext = spec.get("external")
    if isinstance(ext, dict):
        return ext.get("name") or spec.get("name") or name
    return (spec.get("name") or name) if ext in (True, "true") else None


def networks(doc: dict, problems: Problems) -> dict[str, Network]:
    out = {"default": Network("default")}
    for name, n in (doc.get("networks") or {}).items():
        n = n or {}
        ipam = n.get("ipam") or {}

        def flag(key: str) -> bool:  # booleans as compose-go casts them (true, yes, on, ... any case)
            return bool(problems.parsed(f"networks.{name}.{key}", lambda: fields.boolean(n.get(key, False))))
        out[name] = Network(
            name, _external(n, name), flag("internal"), n.get("driver"),
            fields.text_mapping(n.get("driver_opts")), ipv6=flag("enable_ipv6"),
            labels=tuple(fields.text_mapping(n.get("labels")).items()), ipam_driver=fields.optional_str(ipam.get("driver")),
            ipam_options=tuple(fields.text_mapping(ipam.get("options")).items()),
            ipam=tuple(IpamPool(*(fields.optional_str(c.get(k)) for k in ("subnet", "ip_range", "gateway")),
                                tuple(fields.text_mapping(c.get("aux_addresses")).items()))
                       for c in ipam.get("config") or []))
    return out


# A key at its default says nothing to judge (`enable_ipv4: true` is what every network has).
DEFAULTS = {"enable_ipv4": True, "enable_ipv6": False, "attachable": False, "internal": False, "external": False}
TABLES = {"networks": NETWORK_KEYS, "volumes": VOLUME_KEYS, "secrets": FILE_KEYS, "configs": FILE_KEYS}


def judge(doc: dict, scheduler: str, out: Problems) -> None:
    """Every key of the stack's own networks, volumes, secrets and configs by its rule on the
    scheduler (keys.py): nothing is dropped unsaid."""
    for kind, table in TABLES.items():
        for name, spec in (doc.get(kind) or {}).items():
            spec = spec or {}
            said = [k for k in spec if not (k.startswith("x-") and k != "x-platform")
                    and not (k == "name" and _external(spec, name)) and not _at_default(k, spec[k])]
            judge_keys(out, f"{kind}.{name}", said, table, scheduler, unruled=NOT_TRANSLATED)


def _at_default(key: str, value) -> bool:
    try:
        return key in DEFAULTS and fields.boolean(value) == DEFAULTS[key]
    except fields.FieldError:
        return False


def files(doc: dict, out: Problems) -> dict[tuple[str, str], StackFile]:
    found = {}
    for kind in ("secret", "config"):
        for name, f in (doc.get(kind + "s") or {}).items():
            key = f"{kind}s.{name}"
            f = f or {}
            x = out.extension(f"{key}.x-platform", f.get("x-platform"), ("secret",))
            if f.get("external"):
                found[(kind, name)] = StackFile(external=f.get("name") or name)
            elif x.get("secret"):
                found[(kind, name)] = StackFile(pulumi_secret=str(x["secret"]))
            elif "content" in f:
                found[(kind, name)] = StackFile(content=str(f["content"]))
            elif "file" in f:
                content = read_text(Path(f["file"]), out, f"{key}.file")
                if content is not None:
                    found[(kind, name)] = StackFile(content=content)
            elif "environment" in f:
                pass  # refused by its rule (keys.FILE_KEYS): `judge`
            else:
                out.add(key, "names no source; give file, content, external or x-platform.secret (a Pulumi secret)")
    return found
