"""What an evaluation registers, as text a reviewer can read: every resource sorted by URN, with
its parent, provider, dependencies, options and inputs; EC2 user data unpacked, multi-line
strings (scripts, config files) as YAML blocks, paths of this checkout and of the reference
corpus as `<root>` and `<corpus>` (a clone elsewhere, or mutation testing's copy in mutants/,
renders the same text), certificates as what they say (a day later renders the same text). tests/test_rendered.py compares it with the files under tests/rendered/.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

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


# Certificates as what they say, less the day they were made: pulumi-tls (and the mock
# runtime's stand-in) starts a certificate's validity when it is made, so its dates and
# signature differ from one day's evaluation to the next while nothing deployed changed.
# (Indented as the text holding it indents it: a file in EC2 user data is a block of YAML.)
CERTIFICATE = re.compile(r"^([ \t]*)-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----$",
                         re.DOTALL | re.MULTILINE)

# The mock runtime's keystore (ops/mock_runtime.py `_keystore_stand_in`) is a digest of its
# inputs, the certificates' bytes among them; the inputs are pinned with the keystore resource.
KEYSTORE_STAND_IN = base64.b64encode(b"stand-in PKCS#12 keystore ")[:32].decode()

# The digest of a Swarm service's spec that makes its `--init` command run again
# (components/platform/schedulers.py): a function of the service's inputs, pinned beside it,
# which hold the absolute path of a bind mount's source: a clone elsewhere would pin another.
SWARM_SPEC_DIGEST = re.compile(r"(--init=true \S+  # spec )[0-9a-f]{16}")


def _extension(ext: x509.Extension) -> str:
    value = ext.value
    if isinstance(value, x509.BasicConstraints):
        said = f"ca={value.ca}"
    elif isinstance(value, x509.KeyUsage):
        said = ",".join(u for u in KEY_USAGES if _key_usage(value, u))
    elif isinstance(value, x509.ExtendedKeyUsage):
        said = ",".join(u._name for u in value)
    elif isinstance(value, x509.SubjectAlternativeName):
        said = ",".join(f"{type(n).__name__}:{n.value}" for n in value)
    elif isinstance(value, x509.SubjectKeyIdentifier):
        said = value.digest.hex()
    elif isinstance(value, x509.AuthorityKeyIdentifier):
        said = (value.key_identifier or b"").hex()
    else:
        said = repr(value)
    return f"{ext.oid._name}{' (critical)' if ext.critical else ''}: {said}"


KEY_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
              "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def _key_usage(usage: x509.KeyUsage, name: str) -> bool:
    try:
        return getattr(usage, name)
    except ValueError:  # encipher_only and decipher_only are defined only with key_agreement
        return False


def _certificate(m: re.Match) -> str:
    indent = m.group(1)
    cert = x509.load_pem_x509_certificate("\n".join(line.strip() for line in m.group(0).splitlines()).encode())
    valid = cert.not_valid_after_utc - cert.not_valid_before_utc
    key = hashlib.sha256(cert.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    lines = [f"subject: {cert.subject.rfc4514_string()}", f"issuer: {cert.issuer.rfc4514_string()}",
             f"serial: {cert.serial_number:x}", f"valid for: {valid.total_seconds() / 3600:g} hours",
             f"public key: {cert.public_key_algorithm_oid._name}, sha256 {key.hexdigest()[:16]}",
             *map(_extension, cert.extensions)]
    return f"{indent}<certificate\n" + "".join(f"{indent}  {line}\n" for line in lines) + f"{indent}>"


def _sorted(value):
    """Mappings with their keys in order, at every depth (the dump keeps insertion order, so
    that each resource reads from its URN down), private keys as their digests, and
    certificates as what they say."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    if isinstance(value, str) and "PRIVATE KEY-----" in value:
        value = PRIVATE_KEY.sub(_key_digest, value)
    if isinstance(value, str) and "-----BEGIN CERTIFICATE-----" in value:
        value = CERTIFICATE.sub(_certificate, value)
    if isinstance(value, str) and value.startswith(KEYSTORE_STAND_IN):
        value = "<the mock runtime's stand-in for the PKCS#12 keystore of its key and chain>"
    if isinstance(value, str) and SWARM_SPEC_DIGEST.search(value):
        value = SWARM_SPEC_DIGEST.sub(r"\1<digest of the service's spec>", value)
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
