"""Rules that relate several parts of the config: names, placement, quorums, addresses."""
from __future__ import annotations

import datetime
import ipaddress
import re
from collections import Counter
from typing import Callable, Sequence

from cryptography import x509

from .errors import Problem
from .model import MIN_VALIDITY_DAYS, Platform, quorum
from .placement import Instance, groups, zone_of

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
MAX_ENSEMBLE = 7


def check(p: Platform, secret_is_set: Callable[[str], bool]) -> list[Problem]:
    return [
        *_unique_names(p),
        *_host_addresses(p),
        *_placement(p),
        *_zookeeper(p),
        *_masters(p),
        *_secrets(p, secret_is_set),
        *_spark(p),
        *_aws(p),
        *resources(p),
        *_tls(p, secret_is_set),
    ]


def _duplicates(names: list[str], key: str) -> list[Problem]:
    seen = Counter(names)
    return [
        Problem(f"{key}[{i}].name", f"'{n}' is used {seen[n]} times; names must be unique")
        for i, n in enumerate(names)
        if seen[n] > 1 and names.index(n) != i
    ]


def _unique_names(p: Platform) -> list[Problem]:
    return [
        *_duplicates([h.name for h in p.hosts], "platform.hosts"),
        *_duplicates([a.name for a in p.mesos.agent_pools], "platform.mesos.agent_pools"),
        *_duplicates([s.name for s in p.stacks], "platform.stacks"),
    ]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _host_addresses(p: Platform) -> list[Problem]:
    problems = []
    for i, h in enumerate(p.hosts):
        key = f"platform.hosts[{i}].address"
        if p.target == "physical" and not h.host_key:
            problems.append(Problem(f"platform.hosts[{i}].host_key", (
                f"host '{h.name}' needs its SSH host key, so that no connection trusts whoever answers: "
                f"`ssh-keyscan -t ed25519 -p {h.ssh_port} {h.address or '<address>'}` prints it after the host name "
                "(check its fingerprint on the host: `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`)")))
        if p.target == "physical" and not h.address:
            problems.append(Problem(key, f"host '{h.name}' needs the address it is reached at over SSH (an IP or DNS name)"))
        elif h.address and not (_is_ip(h.address) or HOSTNAME.match(h.address)):
            problems.append(Problem(key, f"{h.address!r} is neither an IP address nor a DNS name"))
        elif p.target == "local" and h.address and not (_is_ip(h.address) and ipaddress.ip_address(h.address).is_loopback):
            problems.append(Problem(key, f"on target 'local' every host is this machine; use a loopback address such as 127.0.0.1, not {h.address!r}"))
        elif p.target == "aws" and h.address:
            problems.append(Problem(key, "on target 'aws' addresses are assigned from the subnets; remove the key"))
    return problems


def unknown_hosts(p: Platform, names: Sequence[str], key: str) -> list[Problem]:
    """`key[i]` for each name that is not in platform.hosts."""
    known = p.hosts_by_name
    shown = ", ".join(list(known)[:12]) + (f", ... ({len(known)} in all)" if len(known) > 12 else "")
    return [Problem(f"{key}[{i}]", f"no host named '{name}'; defined hosts are: {shown} (see platform.hosts)")
            for i, name in enumerate(names) if name not in known]


def _placement(p: Platform) -> list[Problem]:
    problems = []
    for g in groups(p):
        problems += unknown_hosts(p, g.hosts, f"{g.key}.hosts")
        if not g.hosts:
            problems.append(Problem(f"{g.key}.hosts", "is empty; list at least one host name or remove the key"))
    return problems


def _zookeeper(p: Platform) -> list[Problem]:
    n = p.zookeeper.count
    if n % 2 == 0:
        return [Problem("platform.zookeeper.count", (
            f"{n} nodes need {n // 2 + 1} for a quorum and so tolerate no more failures than {n - 1}; "
            f"use an odd count: {n - 1} or {n + 1}"))]
    if n > MAX_ENSEMBLE:
        return [Problem("platform.zookeeper.count", (
            f"{n} nodes slow every write (each needs a majority to acknowledge); use 3, 5 or {MAX_ENSEMBLE}"))]
    return []


def _masters(p: Platform) -> list[Problem]:
    m = p.mesos.masters
    if m.quorum is not None:
        if m.quorum > m.count:
            return [Problem("platform.mesos.masters.quorum", (
                f"a quorum of {m.quorum} can never be reached with {m.count} masters; "
                f"use {m.count // 2 + 1} or remove the key"))]
        if m.quorum <= m.count // 2:
            return [Problem("platform.mesos.masters.quorum", (
                f"a quorum of {m.quorum} out of {m.count} masters is not a majority: two halves could "
                f"each elect a leader; use {m.count // 2 + 1} or remove the key"))]
    if m.count % 2 == 0:
        return [Problem("platform.mesos.masters.count", (
            f"{m.count} masters need a quorum of {quorum(m)} and so survive no more failures than "
            f"{m.count - 1}; use an odd count: {m.count - 1} or {m.count + 1}"))]
    return []


def _secrets(p: Platform, secret_is_set: Callable[[str], bool]) -> list[Problem]:
    problems = []
    if p.target == "physical" and not secret_is_set("sshPrivateKey"):
        problems.append(Problem("platform.target", (
            "physical hosts are reached over SSH with a key kept as a Pulumi secret: "
            "run `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`")))
    return problems


def now_utc() -> datetime.datetime:
    """The time certificates are judged at (tests set it)."""
    return datetime.datetime.now(datetime.timezone.utc)


def _tls(p: Platform, secret_is_set: Callable[[str], bool]) -> list[Problem]:
    """A CA the user brings: a CA certificate still valid, whose private key is a Pulumi secret."""
    authority, key = p.tls.authority, "platform.tls.authority"
    if authority is None:
        return []
    if not p.tls_enabled:
        return [Problem(key, "TLS is off (platform.tls.enabled: false), so this CA would never be used; "
                             "remove the key or turn TLS on")]
    problems = []
    try:
        ca = x509.load_pem_x509_certificate(authority.certificate.encode())
    except ValueError:
        problems.append(Problem(f"{key}.certificate", (
            "is not a PEM certificate; paste the CA's certificate, from -----BEGIN CERTIFICATE----- "
            "to -----END CERTIFICATE-----")))
    else:
        try:
            is_ca = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            problems.append(Problem(f"{key}.certificate", (
                f"'{ca.subject.rfc4514_string()}' is not a CA certificate (no basicConstraints CA:TRUE), "
                "so certificates it signs would not verify; give the certificate of the CA itself")))
        # A certificate is valid through its notAfter (RFC 5280 4.1.2.5); one the CA signs now must
        # not outlive it, or every TLS connection fails the day the CA expires.
        now, expires = now_utc(), ca.not_valid_after_utc
        signed_until = now + datetime.timedelta(days=p.tls.validity_days)
        if expires < now:
            problems.append(Problem(f"{key}.certificate", (
                f"expired on {expires:%Y-%m-%d}; renew the CA or remove the key to let the "
                "program create one")))
        elif expires < signed_until:
            left = (expires - now).days
            shorter = f", or set platform.tls.validity_days to at most {left}" if left >= MIN_VALIDITY_DAYS else ""
            problems.append(Problem(f"{key}.certificate", (
                f"expires on {expires:%Y-%m-%d %H:%M} UTC, before the certificates it would sign now (valid "
                f"{p.tls.validity_days} days, to {signed_until:%Y-%m-%d %H:%M} UTC): they would stop verifying "
                f"then; renew the CA{shorter}")))
    if not secret_is_set(authority.private_key_secret):
        problems.append(Problem(f"{key}.private_key_secret", (
            f"the secret '{authority.private_key_secret}' is not set; run "
            f"`pulumi config set --secret {authority.private_key_secret} < ca.key` (the CA's private key, PEM)")))
    return problems


def _spark(p: Platform) -> list[Problem]:
    s = p.spark
    if not s.enabled:
        return []
    problems = []
    major = int(s.version.split(".")[0])
    if s.mode == "mesos" and major >= 4:
        problems.append(Problem("platform.spark.version", (
            f"Spark {s.version} has no Mesos support (removed in Spark 4.0); "
            "use a 3.5.x version with mode 'mesos', or mode 'standalone' or 'yarn'")))
    if s.mode == "mesos" and not p.marathon.enabled and s.deploy_mode == "cluster":
        problems.append(Problem("platform.spark.deploy_mode", (
            "cluster mode on Mesos runs the MesosClusterDispatcher as a Marathon app; "
            "enable platform.marathon or use deploy_mode 'client'")))
    if s.mode == "mesos" and s.deploy_mode == "cluster" and p.mesos.authenticate_frameworks:
        problems.append(Problem("platform.spark.deploy_mode", (
            "Mesos accepts only frameworks with a credential, and the cluster-mode dispatcher and the "
            "drivers it launches could get one only through Marathon's app env, readable by anyone who "
            "can read /v2/apps (Marathon 1.7 has no secrets without DC/OS); use deploy_mode 'client', "
            "or accept unauthenticated frameworks with platform.mesos.authenticate_frameworks: false")))
    if s.mode == "yarn" and s.yarn is None:
        problems.append(Problem("platform.spark.yarn", (
            "mode 'yarn' needs the ResourceManager of an existing Hadoop cluster: "
            "set platform.spark.yarn.resource_manager")))
    if s.mode == "local" and s.deploy_mode == "cluster":
        problems.append(Problem("platform.spark.deploy_mode", "mode 'local' runs the driver in-process; use 'client'"))
    if s.mode == "standalone" and s.masters.count > 1 and s.recovery != "zookeeper":
        problems.append(Problem("platform.spark.recovery", (
            f"{s.masters.count} masters need ZooKeeper recovery to elect the active one; "
            "set it to 'zookeeper' or use one master")))
    if s.event_log_dir.startswith("s3a://") and p.target != "aws":
        problems.append(Problem("platform.spark.event_log_dir", (
            "an s3a:// event log needs the aws target; use file:/spark-events (a shared volume)")))
    return problems


def _aws(p: Platform) -> list[Problem]:
    if p.target != "aws":
        return []
    a, problems = p.aws, []
    zones = a.zone_count
    if a.network and len(a.network.public_subnet_ids) != len(a.network.private_subnet_ids):
        problems.append(Problem("platform.aws.network", (
            "list one public and one private subnet per zone, in the same zone order")))
    for i, h in enumerate(p.hosts):
        if h.zone is not None and h.zone >= zones:
            problems.append(Problem(f"platform.hosts[{i}].zone", f"zone {h.zone} does not exist: there are {zones} (0-{zones - 1})"))
    if a.network is None:
        problems += _vpc_cidr(a.vpc_cidr)
    for i, cidr in enumerate(a.admin_cidrs):
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError as e:
            problems.append(Problem(f"platform.aws.admin_cidrs[{i}]", f"{cidr!r} is not a network: {e}"))
            continue
        if net.prefixlen < 8:  # 0.0.0.0/0, or halves and quarters that add up to it
            problems.append(Problem(f"platform.aws.admin_cidrs[{i}]", (
                f"{cidr} would open the UIs (and SSH) to {'the whole internet' if net.prefixlen == 0 else 'a large part of the internet'}; "
                "list your office or VPN ranges (a /8 or narrower), or none and use SSM Session Manager port forwarding")))
    for i, pool in enumerate(p.mesos.agent_pools):
        key = f"platform.mesos.agent_pools[{i}]"
        low = pool.min_count if pool.min_count is not None else pool.count
        high = pool.max_count if pool.max_count is not None else pool.count
        if not low <= pool.count <= high:
            problems.append(Problem(f"{key}.count", (
                f"the desired count {pool.count} must lie between min_count {low} and max_count {high}")))
        if pool.load_balancer and not pool.public:
            problems.append(Problem(f"{key}.load_balancer", "only a public pool sits behind the load balancer; set public: true"))
    return problems


def _vpc_cidr(cidr: str) -> list[Problem]:
    """A private /16: the subnets are its /20s (components/aws/network.py), and AWS allows no larger VPC."""
    key = "platform.aws.vpc_cidr"
    try:
        net = ipaddress.ip_network(cidr)
    except ValueError as e:
        return [Problem(key, f"{cidr!r} is not a network ({e}); write e.g. 10.40.0.0/16")]
    if net.prefixlen != 16:
        return [Problem(key, f"{cidr} is a /{net.prefixlen}; the VPC must be a /16 (its subnets are /20s), e.g. 10.40.0.0/16")]
    if not net.is_private:
        return [Problem(key, f"{cidr} is not a private range; use one of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")]
    return []


def resources(p: Platform) -> list[Problem]:
    """Agent resources as Mesos reads them: positive amounts, port ranges inside 1-65535."""
    problems = []
    for i, pool in enumerate(p.mesos.agent_pools):
        for name, value in pool.resources.items():
            key = f"platform.mesos.agent_pools[{i}].resources.{name}"
            if name == "ports":
                continue  # offers.py parses and checks ranges
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                problems.append(Problem(key, f"expected an amount above 0 (cpus, MB of mem or disk), got {value!r}"))
    return problems


# Roles that bind the host's address as Mesos' --ip (MESOS_IP), which takes an IP address only
# ("IP address to listen on", Mesos' configuration/master-and-agent.md); a DNS name stops them at start.
BINDS_AN_IP = ("mesos-master", "mesos-agent")


def mesos_addresses(p: Platform, instances: Sequence[Instance]) -> list[Problem]:
    """Hosts addressed by DNS name are fine for SSH and ZooKeeper, not for Mesos' --ip."""
    on_host: dict[str, set[str]] = {}
    for n in instances:
        if n.role in BINDS_AN_IP and n.host:
            on_host.setdefault(n.host, set()).add(n.role)
    return [Problem(f"platform.hosts[{i}].address", (
        f"{h.address!r} is a DNS name, but the {' and the '.join(sorted(on_host[h.name]))} on host '{h.name}' "
        f"{'listen' if len(on_host[h.name]) > 1 else 'listens'} on it as Mesos' --ip, which takes an IP "
        "address only; give the host's IP address"))
        for i, h in enumerate(p.hosts) if h.name in on_host and h.address and not _is_ip(h.address)]


def aws_placement(p: Platform, instances: Sequence[Instance]) -> list[Problem]:
    """aws rules about where instances landed (run once placement is valid): every host runs
    something, and no zone holds a majority of a quorum role."""
    if p.target != "aws":
        return []
    placed = {i.host for i in instances}
    problems = [Problem(f"platform.hosts[{i}]", (
        f"host '{h.name}' would be an EC2 instance running nothing; name it in a role's `hosts` or remove it "
        "(agents are auto scaling groups, not hosts)")) for i, h in enumerate(p.hosts) if h.name not in placed]
    if p.aws.zone_count < 2:
        return problems
    for role, key in (("zookeeper", "platform.zookeeper"), ("mesos-master", "platform.mesos.masters")):
        nodes = [n for n in instances if n.role == role]
        if len(nodes) < 3:
            continue
        per_zone = Counter(zone_of(p, n.host) for n in nodes)
        zone, most = per_zone.most_common(1)[0]
        if most > len(nodes) // 2:
            problems.append(Problem(f"{key}.hosts", (
                f"zone {zone} holds {most} of the {len(nodes)} {role} nodes: losing that zone loses the quorum; "
                "place them on hosts in different zones (platform.hosts[].zone)")))
    return problems
