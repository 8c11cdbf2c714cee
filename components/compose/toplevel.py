"""The objects a Compose file declares at its top level: volumes, networks, secrets, configs."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from . import fields
from .model import Network, StackFile, Volume
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
                           problems.parsed(f"{key}.size", lambda: fields.megabytes(size)) if size is not None else None)
    return out


def _external(spec: dict, name: str) -> Optional[str]:
    """The existing object's name when the volume/network is `external` (its forms: true, or the
    legacy {name: ...}), else None."""
    ext = spec.get("external")
    if isinstance(ext, dict):
        return ext.get("name") or spec.get("name") or name
    return (spec.get("name") or name) if ext in (True, "true") else None


def networks(doc: dict) -> dict[str, Network]:
    out = {"default": Network("default")}
    for name, n in (doc.get("networks") or {}).items():
        n = n or {}
        out[name] = Network(name, _external(n, name), n.get("internal") in (True, "true"), n.get("driver"),
                            fields.text_mapping(n.get("driver_opts")))
    return out


def files(doc: dict, out: Problems) -> dict[tuple[str, str], StackFile]:
    found = {}
    for kind in ("secret", "config"):
        for name, f in (doc.get(kind + "s") or {}).items():
            key = f"{kind}s.{name}"
            f = f or {}
            x = out.extension(f"{key}.x-platform", f.get("x-platform"), ("secret",))
            if f.get("external"):
                found[(kind, name)] = StackFile(kind, external=f.get("name") or name)
            elif x.get("secret"):
                found[(kind, name)] = StackFile(kind, pulumi_secret=str(x["secret"]))
            elif "content" in f:
                found[(kind, name)] = StackFile(kind, content=str(f["content"]))
            elif "file" in f:
                content = read_text(Path(f["file"]), out, f"{key}.file")
                if content is not None:
                    found[(kind, name)] = StackFile(kind, content=content)
            elif "environment" in f:
                out.add(f"{key}.environment", (
                    "would take the value from the shell that runs the deploy; for a secret use "
                    "x-platform: {secret: <config key>} (a Pulumi secret), for a config `content:`"))
            else:
                out.add(key, "names no source; give file, content, external or x-platform.secret (a Pulumi secret)")
    return found
