"""A Compose service's container options (Docker run flags) as one typed `Engine`; keys.py says
which scheduler maps each and how."""
from __future__ import annotations

from typing import Any

from . import fields
from .fields import optional_str, string_list
from .model import Engine
from .problems import Problems
from .yaml12 import source_text


def engine_options(key: str, raw: dict, out: Problems) -> Engine:
    """The container options of a service (docker run flags), each as its key path parses."""
    p = out.parsed
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
    extra = extra_hosts(key, get("extra_hosts") or {}, out)
    volumes_from = []
    for i, v in enumerate(get("volumes_from") or []):
        if str(v).startswith("container:"):  # before the split: `container:<name>[:ro]`
            out.add(f"{key}.volumes_from[{i}]", "names a container outside the stack; name a service of the stack")
            continue
        volumes_from.append(str(v).split(":")[0])
    pull = get("pull_policy")
    return Engine(
        user=optional_str(get("user")), working_dir=optional_str(get("working_dir")), hostname=optional_str(get("hostname")),
        domainname=optional_str(get("domainname")),
        init=p(f"{key}.init", lambda: fields.boolean(get("init"))) if "init" in raw else None,
        stop_signal=optional_str(get("stop_signal")),
        stop_grace_s=p(f"{key}.stop_grace_period", lambda: fields.seconds(get("stop_grace_period")))
        if "stop_grace_period" in raw else None,
        read_only=bool(p(f"{key}.read_only", lambda: fields.boolean(get("read_only", False)))),
        tmpfs=tuple((str(t).split(":")[0], str(t).partition(":")[2]) for t in tmpfs),
        shm_size_bytes=p(f"{key}.shm_size", lambda: fields.size_bytes(get("shm_size"))) if "shm_size" in raw else None,
        cap_add=string_list(get("cap_add")), cap_drop=string_list(get("cap_drop")),
        privileged=bool(p(f"{key}.privileged", lambda: fields.boolean(get("privileged", False)))),
        security_opt=string_list(get("security_opt")),
        sysctls=tuple(fields.text_mapping(get("sysctls")).items()),
        ulimits=tuple(ulimits), log_driver=optional_str(logging.get("driver")),
        log_opts=tuple(fields.text_mapping(logging.get("options")).items()),
        runtime=optional_str(get("runtime")), platform=optional_str(get("platform")), ipc=optional_str(get("ipc")),
        pid=optional_str(get("pid")),
        stdin_open=bool(p(f"{key}.stdin_open", lambda: fields.boolean(get("stdin_open", False)))),
        tty=bool(p(f"{key}.tty", lambda: fields.boolean(get("tty", False)))),
        extra_hosts=tuple(extra), dns=string_list(get("dns")), dns_search=string_list(get("dns_search")),
        dns_opt=string_list(get("dns_opt")), devices=tuple(devices), group_add=string_list(get("group_add")),
        memswap_bytes=p(f"{key}.memswap_limit", lambda: fields.size_bytes(get("memswap_limit")))
        if "memswap_limit" in raw and str(get("memswap_limit")) != "-1" else None,
        cpu_shares=p(f"{key}.cpu_shares", lambda: fields.integer(get("cpu_shares"))) if "cpu_shares" in raw else None,
        cpuset=optional_str(get("cpuset")),
        pids_limit=_pids_limit(key, raw, p),
        userns_mode=optional_str(get("userns_mode")), volumes_from=tuple(volumes_from),
        pull_always=pull in ("always", "daily", "weekly") or str(pull).startswith("every_"),
    )


def extra_hosts(key: str, hosts: Any, out: Problems) -> list[tuple[str, str]]:
    """(host name, address) pairs as compose-go reads `extra_hosts` (types/hostList.go): a list
    of `host=address` or `host:address` (split at the first `=`, else the first `:`), several
    addresses comma-separated; or a mapping of each host to an address or a list of them. An
    address in brackets (`[::1]`) is the address inside. A name or address missing is refused:
    the engine would refuse the `--add-host` (docker/cli opts/hosts.go ValidateExtraHost)."""
    written: list[tuple[str, str, str]] = []  # (key path, host, address)
    if isinstance(hosts, dict):
        for host, ips in hosts.items():
            for ip in ips if isinstance(ips, list) else [ips]:
                written.append((f"{key}.extra_hosts.{host}", str(host), "" if ip is None else source_text(ip)))
    else:
        for i, entry in enumerate(hosts):
            text = str(entry)
            sep = "=" if "=" in text else ":"
            host, _, ips = text.partition(sep)
            written += [(f"{key}.extra_hosts[{i}]", host, ip) for ip in ips.split(",")]
    pairs = []
    for where, host, ip in ((w, h.strip(), a.strip()) for w, h, a in written):
        ip = ip[1:-1] if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]" else ip
        if not host or ":" in host or "=" in host:
            out.add(where, f"{host!r} is not a host name; write host=address (or host:address)")
        elif not ip:
            out.add(where, f"{host} has no address; write {host}=address (or {host}:address)")
        else:
            pairs.append((host, ip))
    return pairs


def _pids_limit(key: str, raw: dict, parsed) -> Any:
    """`pids_limit`, or `deploy.resources.limits.pids` (the same limit in Swarm's form)."""
    pids = ((raw.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    if "pids_limit" in raw:
        return parsed(f"{key}.pids_limit", lambda: fields.integer(raw["pids_limit"], -1))
    if "pids" in pids:
        return parsed(f"{key}.deploy.resources.limits.pids", lambda: fields.integer(pids["pids"], -1))
    return None
