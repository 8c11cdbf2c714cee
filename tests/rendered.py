"""What an evaluation registers, as text a reviewer can read: every resource sorted by URN, with
its parent, provider, dependencies, options and inputs; EC2 user data unpacked, multi-line
strings (scripts, config files) as YAML blocks, paths of this checkout and of the reference
corpus as `<root>` and `<corpus>` (a clone elsewhere, or mutation testing's copy in mutants/,
renders the same text). tests/test_rendered.py compares it with the files under tests/rendered/.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

import yaml

from .harness import ROOT, Deployment, Registered

GOLDEN = Path(__file__).resolve().parent / "rendered"
USER_DATA = ("userData", "userDataBase64")


def _unpacked(value: str) -> str:
    """User data as cloud-init reads it (the program gzips and base64-encodes it; AWS takes
    that as is)."""
    try:
        return gzip.decompress(base64.b64decode(value)).decode()
    except (ValueError, OSError):
        return value  # not packed (a mutant may leave it plain: then the text says so)


def _short(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type chain>::<name>` -> `<type chain>::<name>` (the stack
    and project are the same for every resource of an evaluation)."""
    return urn.split("::", 2)[-1] if urn.startswith("urn:pulumi:") else urn


def _inputs(r: Registered) -> dict:
    inputs = dict(r.inputs)
    if "__provider" in inputs:
        # dill's pickle of the provider class: bytes of code objects, not of what is deployed
        # (the provider's behaviour has tests of its own: tests/test_marathon_app.py, ...)
        inputs["__provider"] = "<pickled dynamic provider>"
    for key in USER_DATA:
        if isinstance(inputs.get(key), str):
            inputs[key] = _unpacked(inputs[key])
    return inputs


# The mock runtime's TLS keys (ops/mock_tls.py) are real key material: pinned by digest only.
PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----\n?", re.DOTALL)


def _key_digest(m: re.Match) -> str:
    return f"<{m.group(1).lower()}private key, sha256 {hashlib.sha256(m.group(0).encode()).hexdigest()[:16]}>"


def _sorted(value):
    """Mappings with their keys in order, at every depth (the dump keeps insertion order, so
    that each resource reads from its URN down), and private keys as their digests."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    if isinstance(value, str) and "PRIVATE KEY-----" in value:
        return PRIVATE_KEY.sub(_key_digest, value)
    return value


def _resource(r: Registered, outputs: dict) -> dict:
    out = {"urn": _short(r.urn), "parent": _short(r.parent)}
    if r.provider:
        out["provider"] = _short(r.provider_urn)
    if r.dependencies:
        out["dependsOn"] = sorted(map(_short, r.dependencies))
    deps = {k: sorted(map(_short, v)) for k, v in sorted(r.property_dependencies.items()) if v}
    if deps:
        out["propertyDependencies"] = deps
    options = {"protect": r.protect, "retainOnDelete": r.retain_on_delete,
               "deleteBeforeReplace": r.delete_before_replace}
    out.update({k: v for k, v in options.items() if v})
    if r.additional_secret_outputs:
        out["additionalSecretOutputs"] = sorted(r.additional_secret_outputs)
    if r.secret_inputs:
        out["secretInputs"] = sorted(r.secret_inputs)
    out["inputs"] = _sorted(_inputs(r))
    if r.urn in outputs:  # a component's register_outputs (what `pulumi stack export` shows of it)
        out["outputs"] = _sorted(outputs[r.urn])
    return out


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's when there: 10x faster
    pass


def _string(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _string)


def _dump(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)


def _anywhere(rendered: str, replace: dict[str, str] | None) -> str:
    for path, name in sorted({str(ROOT): "<root>", **(replace or {})}.items(), key=lambda kv: -len(kv[0])):
        rendered = rendered.replace(path, name)
    return rendered


def _kept(d: Deployment, besides: Deployment | None) -> list[dict]:
    """The resources as dicts, by URN, less those registered exactly so in `besides`."""
    same = [_resource(r, besides.component_outputs) for r in besides.resources] if besides is not None else []
    return [x for x in (_resource(r, d.component_outputs) for r in sorted(d.resources, key=lambda r: r.urn))
            if x not in same]


def resources(d: Deployment, replace: dict[str, str] | None = None, besides: Deployment | None = None) -> str:
    """The resources as YAML, with each `replace` key (a path) written as its value; with
    `besides`, only what differs from it (a base stack pinned on its own)."""
    return _anywhere(_dump(_kept(d, besides)), replace)


def of(d: Deployment, replace: dict[str, str] | None = None, besides: Deployment | None = None) -> str:
    """A whole evaluation: its resources (less those of `besides`, as `resources`) and stack
    outputs, or its error."""
    if d.error is not None:
        return _anywhere(_dump({"error": str(d.error)}), replace)
    outputs = _sorted({k: "<secret>" if k in d.secret_outputs else v for k, v in d.outputs.items()})
    return _anywhere(_dump({"resources": _kept(d, besides), "outputs": outputs}), replace)
