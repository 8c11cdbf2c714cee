"""Parsers for Compose's value forms: durations, sizes, ports, volumes, health checks, ...

Each returns the typed value or raises ``FieldError`` with a message for a platform engineer;
the caller adds the key path.
"""
from __future__ import annotations

import math
import re
import shlex
from typing import Any, Optional

from ..roles.container import HealthCheck
from .model import Mount, Port, RestartPolicy, UpdatePolicy
from .yaml12 import source_text


class FieldError(ValueError):
    pass


DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)")
UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
# go-units' RAMInBytes (what docker compose uses): binary multiples, `b`, `ib` or nothing after
# the unit letter, any case: 512m, 512MiB, 1.5GB, 1024.
SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$", re.IGNORECASE)
SIZE_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def duration(value: Any) -> float:
    """A Compose (Go) duration such as '1m30s', '500ms' or '10s', in seconds."""
    text = str(value).strip()
    if not text or DURATION.sub("", text):
        raise FieldError(f"{value!r} is not a duration; write e.g. '10s', '1m30s' or '500ms'")
    return sum(float(n) * UNIT_SECONDS[u] for n, u in DURATION.findall(text))


def seconds(value: Any) -> int:
    """A duration in whole seconds, rounded up (Marathon and the platform count in seconds)."""
    return math.ceil(duration(value))


def size_bytes(value: Any) -> int:
    m = SIZE.match(str(value).strip())
    if not m:
        raise FieldError(f"{value!r} is not a size; write e.g. '512m', '512MiB' or '2g'")
    return math.ceil(float(m.group(1)) * 1024 ** SIZE_POWER[m.group(2).lower()])


def megabytes(value: Any) -> int:
    return max(1, math.ceil(size_bytes(value) / 2**20))


def integer(value: Any, minimum: int = 0) -> int:
    """A count written as a number or, after interpolation, as a string ("3")."""
    if isinstance(value, bool) or not re.fullmatch(r"\s*[-+]?\d+\s*", str(value)):
        raise FieldError(f"{value!r} is not a whole number")
    n = int(str(value))
    if n < minimum:
        raise FieldError(f"{n} is less than {minimum}")
    return n


def number(value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        n = float(str(value))
    except ValueError:
        raise FieldError(f"{value!r} is not a number") from None
    if not math.isfinite(n) or n < 0:
        raise FieldError(f"{value!r} is not a non-negative number")
    return n


def boolean(value: Any) -> bool:
    """YAML's true/false, or the strings interpolation leaves: what compose-go casts
    (loader/interpolate.go toBoolean: y, yes, true, on / n, no, false, off, any case), and
    1 / 0 / empty besides."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "y", "yes", "on"):
        return True
    if text in ("false", "0", "n", "no", "off", ""):
        return False
    raise FieldError(f"{value!r} is not true or false")


def words(value: Any) -> tuple[str, ...]:
    """A command in either Compose form: a list, or a string split as a shell would."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    try:
        return tuple(shlex.split(str(value)))
    except ValueError as e:
        raise FieldError(f"cannot be split into words ({e}); write it as a list") from None


def _port_range(value: Any) -> list[int]:
    text = str(value).strip()
    first, dash, last = text.partition("-")
    try:
        numbers = list(range(int(first), int(last) + 1)) if dash else [int(text)]
    except ValueError:
        raise FieldError(f"{value!r} is not a port number or range (e.g. 8080 or 8000-8010)") from None
    if not numbers:
        raise FieldError(f"{value!r} is an empty range")
    for n in numbers:
        if not 1 <= n <= 65535:
            raise FieldError(f"{n} is not a port number (1-65535)")
    return numbers


# [host_ip:][published:]target[/protocol]; an IPv6 host address is written in brackets.
PORT = re.compile(r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]*):(?=[^:]*:))?"
                  r"(?:(?P<published>[0-9-]*):)?(?P<target>[0-9-]+)(?:/(?P<protocol>[a-z]+))?$")


def ports(value: Any) -> list[Port]:
    """`80` (any host port), `"8080:80"`, `"127.0.0.1:8080:80/udp"`, `"[::1]:8080:80"`, ranges
    (`"8000-8001:80-81"`), or the long form {target, published, host_ip, protocol, mode}."""
    if isinstance(value, dict):
        published = value.get("published")
        targets = _port_range(value.get("target"))
        hosts = _port_range(published) if published not in (None, "") else [0] * len(targets)
        if len(hosts) != len(targets):
            raise FieldError(f"published {published!r} and target {value.get('target')!r} differ in length")
        return [Port(t, h, str(value.get("protocol", "tcp")), str(value.get("mode", "ingress")),
                     value.get("host_ip") or None) for t, h in zip(targets, hosts)]
    m = PORT.match(str(value).strip())
    if not m:
        raise FieldError(f"{value!r} is not a port; write e.g. '80', '8080:80', '127.0.0.1:8080:80' or '8080:80/udp'")
    targets = _port_range(m.group("target"))
    hosts = _port_range(m.group("published")) if m.group("published") else [0] * len(targets)
    if len(targets) == 1 and len(hosts) > 1:
        raise FieldError(f"{value!r} maps one container port onto a range of host ports for the engine to pick "
                         "from, which Pulumi cannot track; name one host port, or none (\"80\": any free port)")
    if len(hosts) != len(targets):
        raise FieldError(f"{value!r}: the host and container ranges differ in length")
    ip = (m.group("ip") or "").strip("[]") or None
    return [Port(t, h, m.group("protocol") or "tcp", "ingress", ip) for t, h in zip(targets, hosts)]


PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")
CONSISTENCIES = ("consistent", "cached", "delegated", "default")


def mount(value: Any) -> Mount:
    """`name:/path[:options]`, `/host/path:/path[:options]`, `/path` (anonymous) or the long form
    {type, source, target, read_only, bind, volume, tmpfs, consistency}, as compose-go reads them
    (format/volume.go; loader/tests/volume_bind_test.go). Relative bind sources are already
    absolute (project.py)."""
    if isinstance(value, dict):
        # `type` is required by the schema, which has run by now
        kind, source, target = value["type"], value.get("source") or "", value.get("target", "")
        options = _long_mount_options(kind, value)
    else:
        parts = str(value).split(":")
        if len(parts) > 3:
            raise FieldError(f"{value!r} has too many colons; write SOURCE:TARGET[:OPTIONS]")
        if "" in parts:
            raise FieldError(f"{value!r} has an empty section between colons; write SOURCE:TARGET[:OPTIONS]")
        source, target = ("", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        kind = "bind" if source.startswith("/") else "volume"
        options = _short_mount_options(kind, parts[2].split(",") if len(parts) > 2 else [])
    if kind not in ("volume", "bind", "tmpfs"):
        raise FieldError(f"type {kind!r} is not supported on Linux engines; use volume, bind or tmpfs")
    if kind == "bind" and not source.startswith("/"):
        raise FieldError(f"bind source {source!r} must be a path")
    if not str(target).startswith("/"):
        raise FieldError(f"target {target!r} must be an absolute path inside the container")
    if options.get("propagation") not in (None, *PROPAGATIONS):
        raise FieldError(f"propagation {options['propagation']!r} is not one of {', '.join(PROPAGATIONS)}")
    return Mount(str(target), str(source), kind, **options)


def _short_mount_options(kind: str, flags: list[str]) -> dict[str, Any]:
    """The short form's comma-separated flags (docker/cli volume spec; compose-go format/volume.go)."""
    out: dict[str, Any] = {"read_only": False}
    for flag in flags:
        if flag in ("ro", "rw"):
            out["read_only"] = flag == "ro"
        elif flag in ("z", "Z"):
            out["selinux"] = flag
        elif flag == "nocopy" and kind == "volume":
            out["nocopy"] = True
        elif flag in PROPAGATIONS and kind == "bind":
            out["propagation"] = flag
        elif flag in CONSISTENCIES:
            out["consistency"] = flag
        else:
            raise FieldError(f"option {flag!r} is not one for a {kind} mount; use ro, rw, z, Z, "
                             + ("nocopy" if kind == "volume" else "a propagation (" + ", ".join(PROPAGATIONS) + ")")
                             + " or a consistency (cached, delegated)")
    return out


def _long_mount_options(kind: str, value: dict) -> dict[str, Any]:
    """The long form's read_only, consistency and its type's block (bind, volume or tmpfs); a
    block of another type is refused (the engine's Mounts API refuses it)."""
    for block in ("bind", "volume", "tmpfs"):
        if value.get(block) is not None and block != kind:
            raise FieldError(f"has `{block}` options, but is a {kind} mount; move them or change `type`")
    bind, volume, tmpfs = (value.get(b) or {} for b in ("bind", "volume", "tmpfs"))
    size = tmpfs.get("size")
    return dict(
        read_only=boolean(value.get("read_only", False)),
        tmpfs_size_bytes=size_bytes(size) if size not in (None, "") else None,
        tmpfs_mode=file_mode(tmpfs["mode"]) if tmpfs.get("mode") is not None else None,
        propagation=optional_str(bind.get("propagation")), selinux=optional_str(bind.get("selinux")),
        create_host_path=boolean(bind.get("create_host_path", True)), recursive=optional_str(bind.get("recursive")),
        nocopy=boolean(volume.get("nocopy", False)), subpath=optional_str(volume.get("subpath")),
        volume_labels=tuple(text_mapping(volume.get("labels")).items()),
        consistency=optional_str(value.get("consistency")),
    )


def file_mode(value: Any) -> int:
    """Permission bits, octal as written (`0440`, `0o440`, "0440"), or a decimal number (292)."""
    text = str(getattr(value, "text", value))
    if isinstance(value, int) and not text.startswith(("0", "0o")):
        return value  # decimal, as Compose's schema allows (e.g. 292 == 0o444)
    try:
        return int(text.removeprefix("0o"), 8)
    except ValueError:
        raise FieldError(f"{value!r} is not a file mode; write e.g. 0440") from None


# Compose's defaults, which differ from the platform roles' own.
HEALTH_DEFAULTS = {"interval": 30, "timeout": 30, "retries": 3, "start_period": 0}


def health_disabled(value: dict) -> bool:
    """`disable: true` or test `["NONE"]`: every check off, the image's own included."""
    test = value.get("test")
    return boolean(value.get("disable", False)) or (isinstance(test, list) and test[:1] == ["NONE"])


def health(value: dict) -> Optional[HealthCheck]:
    """None when the check is disabled (health_disabled)."""
    if health_disabled(value):
        return None
    test = value.get("test")
    if test is None:
        raise FieldError("has no `test`; add one (e.g. [\"CMD\", \"pg_isready\"]) or `disable: true`")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not test:
        raise FieldError("test is empty; write [\"CMD\", <program>, ...], [\"CMD-SHELL\", <line>] or [\"NONE\"]")
    if test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
        raise FieldError(f"test {test!r} must start with CMD or CMD-SHELL and name a command")
    d = HEALTH_DEFAULTS
    return HealthCheck(
        tuple(str(t) for t in test),
        seconds(value["interval"]) if "interval" in value else d["interval"],
        seconds(value["timeout"]) if "timeout" in value else d["timeout"],
        integer(value.get("retries", d["retries"])),
        seconds(value["start_period"]) if "start_period" in value else d["start_period"],
        seconds(value["start_interval"]) if "start_interval" in value else None,
    )


def restart_policy(deploy_policy: Optional[dict], restart: Optional[str]) -> RestartPolicy:
    """`deploy.restart_policy` (Swarm's form) wins over the engine's `restart:`, which is also
    kept as written (the local engine runs it as is; Compose's default there is `no`)."""
    written = None if restart is None else str(restart)
    if written is not None and written not in ("no", "always", "unless-stopped") \
            and not re.fullmatch(r"on-failure(?::\d+)?", written):
        raise FieldError(f"{written!r} is not a restart policy; use no, always, on-failure[:N] or unless-stopped")
    if deploy_policy is not None:
        d = RestartPolicy()
        condition = str(deploy_policy.get("condition", d.condition))
        if condition not in ("none", "on-failure", "any"):
            raise FieldError(f"condition {condition!r} is not none, on-failure or any")
        return RestartPolicy(
            condition,
            seconds(deploy_policy["delay"]) if "delay" in deploy_policy else d.delay_s,
            integer(deploy_policy.get("max_attempts", d.max_attempts)),
            seconds(deploy_policy["window"]) if "window" in deploy_policy else d.window_s,
            written=written, from_deploy=True,
        )
    if written is None or written in ("always", "unless-stopped"):
        return RestartPolicy("any", written=written)
    if written == "no":
        return RestartPolicy("none", written=written)
    return RestartPolicy("on-failure", max_attempts=int(written.partition(":")[2] or 0), written=written)


def update_policy(value: Optional[dict]) -> UpdatePolicy:
    if value is None:
        return UpdatePolicy()
    d = UpdatePolicy()
    return UpdatePolicy(
        integer(value.get("parallelism", d.parallelism)),
        seconds(value["delay"]) if "delay" in value else d.delay_s,
        str(value.get("order", d.order)),
        str(value.get("failure_action", d.failure_action)),
        seconds(value["monitor"]) if "monitor" in value else d.monitor_s,
        number(value.get("max_failure_ratio", d.max_failure_ratio)),
    )


def key_values(value: Any) -> dict[str, Optional[str]]:
    """Compose's two forms of a mapping: {K: V} or ["K=V", ...]; a value may be missing. Scalars
    keep the text they were written as (yaml12.source_text)."""
    if isinstance(value, dict):
        return {str(k): None if v is None else source_text(v) for k, v in value.items()}
    out: dict[str, Optional[str]] = {}
    for item in value or []:
        k, sep, v = str(item).partition("=")
        out[k] = v if sep else None
    return out


def text_mapping(value: Any) -> dict[str, str]:
    """`key_values` where a missing value is the empty string (labels, build args, options)."""
    return {k: v or "" for k, v in key_values(value).items()}


def string_list(value: Any) -> tuple[str, ...]:
    """Compose's "string or list of strings" (cap_add, dns, security_opt, ...)."""
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value or ())


def optional_str(value: Any) -> Optional[str]:
    return None if value is None else str(value)
