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


class FieldError(ValueError):
    pass


DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)")
UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$", re.IGNORECASE)
SIZE_MB = {"": 1 / 2**20, "b": 1 / 2**20, "k": 1 / 1024, "m": 1, "g": 1024}


def duration(value: Any) -> float:
    """A Compose (Go) duration such as '1m30s', '500ms' or '10s', in seconds."""
    text = str(value).strip()
    if not text or DURATION.sub("", text):
        raise FieldError(f"{value!r} is not a duration; write e.g. '10s', '1m30s' or '500ms'")
    return sum(float(n) * UNIT_SECONDS[u] for n, u in DURATION.findall(text))


def seconds(value: Any) -> int:
    """A duration in whole seconds, rounded up (Marathon and the platform count in seconds)."""
    return math.ceil(duration(value))


def megabytes(value: Any) -> int:
    m = SIZE.match(str(value).strip())
    if not m:
        raise FieldError(f"{value!r} is not a size; write e.g. '512m' or '2g'")
    return max(1, math.ceil(float(m.group(1)) * SIZE_MB[m.group(2).lower()]))


def words(value: Any) -> tuple[str, ...]:
    """A command in either Compose form: a list, or a string split as a shell would."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    try:
        return tuple(shlex.split(str(value)))
    except ValueError as e:
        raise FieldError(f"cannot be split into words ({e}); write it as a list") from None


def _port_number(value: Any) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise FieldError(f"{value!r} is not a port number (ranges are not supported: list each port)") from None
    if not 1 <= n <= 65535:
        raise FieldError(f"{n} is not a port number (1-65535)")
    return n


def port(value: Any) -> Port:
    """`80`, `"8080:80"`, `"127.0.0.1:8080:80/udp"` or the long form {target, published, ...}."""
    if isinstance(value, dict):
        published = value.get("published")
        return Port(_port_number(value.get("target")),
                    _port_number(published) if published not in (None, "") else None,
                    value.get("protocol", "tcp"), value.get("mode", "ingress"))
    text, _, protocol = str(value).partition("/")
    parts = text.split(":")
    if len(parts) == 3:  # host_ip:published:target; the address is the scheduler's business
        parts = parts[1:]
    if len(parts) == 1:
        return Port(_port_number(parts[0]), None, protocol or "tcp")
    return Port(_port_number(parts[1]), _port_number(parts[0]) if parts[0] else None, protocol or "tcp")


def mount(value: Any) -> Mount:
    """`name:/path[:ro]`, `/host/path:/path` or the long form {type, source, target, read_only}."""
    if isinstance(value, dict):
        kind, source, target = value.get("type", "volume"), value.get("source", ""), value.get("target", "")
        read_only = bool(value.get("read_only", False))
    else:
        parts = str(value).split(":")
        if len(parts) == 1:
            raise FieldError(f"{value!r} is an anonymous volume, which is lost with its container; "
                             "name it ('data:/path') and declare it under top-level volumes")
        source, target = parts[0], parts[1]
        read_only = len(parts) > 2 and "ro" in parts[2].split(",")
        kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    if kind not in ("volume", "bind"):
        raise FieldError(f"type {kind!r} is not supported; use a named volume or an absolute bind mount")
    if kind == "bind" and not source.startswith("/"):
        raise FieldError(f"bind source {source!r} is relative to wherever the deploy runs, not to the host "
                         "that runs the container; use an absolute path or a named volume")
    if not target.startswith("/"):
        raise FieldError(f"target {target!r} must be an absolute path inside the container")
    return Mount(target, source, kind, read_only)


# Compose's defaults, which differ from the platform roles' own.
HEALTH_DEFAULTS = {"interval": 30, "timeout": 30, "retries": 3, "start_period": 0}


def health(value: dict) -> Optional[HealthCheck]:
    """None when the check is disabled (`disable: true` or test `["NONE"]`)."""
    if value.get("disable") in (True, "true"):
        return None
    test = value.get("test")
    if test is None:
        raise FieldError("has no `test`; add one (e.g. [\"CMD\", \"pg_isready\"]) or `disable: true`")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if test[0] == "NONE":
        return None
    if test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
        raise FieldError(f"test {test!r} must start with CMD or CMD-SHELL and name a command")
    d = HEALTH_DEFAULTS
    return HealthCheck(
        tuple(str(t) for t in test),
        seconds(value["interval"]) if "interval" in value else d["interval"],
        seconds(value["timeout"]) if "timeout" in value else d["timeout"],
        int(value.get("retries", d["retries"])),
        seconds(value["start_period"]) if "start_period" in value else d["start_period"],
    )


def restart_policy(deploy_policy: Optional[dict], restart: Optional[str]) -> RestartPolicy:
    """`deploy.restart_policy` (Swarm's form) wins over the engine's `restart:`."""
    if deploy_policy is not None:
        d = RestartPolicy()
        return RestartPolicy(
            deploy_policy.get("condition", d.condition),
            seconds(deploy_policy["delay"]) if "delay" in deploy_policy else d.delay_s,
            int(deploy_policy.get("max_attempts", d.max_attempts)),
            seconds(deploy_policy["window"]) if "window" in deploy_policy else d.window_s,
        )
    if restart is None or restart in ("always", "unless-stopped"):
        return RestartPolicy("any")
    if restart == "no":
        return RestartPolicy("none")
    m = re.fullmatch(r"on-failure(?::(\d+))?", restart)
    if m:
        return RestartPolicy("on-failure", max_attempts=int(m.group(1) or 0))
    raise FieldError(f"{restart!r} is not a restart policy; use no, always, on-failure[:N] or unless-stopped")


def update_policy(value: Optional[dict]) -> UpdatePolicy:
    if value is None:
        return UpdatePolicy()
    d = UpdatePolicy()
    return UpdatePolicy(
        int(value.get("parallelism", d.parallelism)),
        seconds(value["delay"]) if "delay" in value else d.delay_s,
        value.get("order", d.order),
        value.get("failure_action", d.failure_action),
        seconds(value["monitor"]) if "monitor" in value else d.monitor_s,
        float(value.get("max_failure_ratio", d.max_failure_ratio)),
    )


def key_values(value: Any) -> dict[str, Optional[str]]:
    """Compose's two forms of a mapping: {K: V} or ["K=V", ...]; a value may be missing."""
    if isinstance(value, dict):
        return {str(k): None if v is None else _scalar(v) for k, v in value.items()}
    out: dict[str, Optional[str]] = {}
    for item in value or []:
        k, sep, v = str(item).partition("=")
        out[k] = v if sep else None
    return out


def _scalar(v: Any) -> str:
    if isinstance(v, bool):  # YAML true -> "true", as Compose writes it
        return "true" if v else "false"
    return str(v)
