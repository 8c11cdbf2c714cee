"""The platform's rules, as plain functions over what Pulumi hands a policy: a resource's type
and its input properties, named as the engine names them (camelCase). Each rule returns the
violations it finds, worded for the person who has to fix them. No import of the program: a
policy judges the resources, whoever wrote them.
"""
from __future__ import annotations

import base64
import gzip
import ipaddress
import re
from typing import Any, Callable, Iterable, Mapping

import yaml

Props = Mapping[str, Any]
ROLE_LABEL = "container-platform/role"
PLATFORM_ROLES = {"zookeeper", "mesos-master", "mesos-agent", "marathon", "marathon-lb",
                  "spark-master", "spark-worker", "spark-history"}
QUORUM_ROLES = ("zookeeper", "mesos-master")
# Ports that control the platform, never to be reachable from the whole internet: SSH,
# ZooKeeper (client, peer, election, admin), Mesos master and agent, Marathon, marathon-lb's
# stats and signals, Spark's master, UIs and history, Docker's API.
CONTROL_PORTS = {22, 2181, 2888, 3888, 8081, 5050, 5051, 8080, 9090, 7077, 6066, 8090, 18080, 2375, 2376}
RESTARTING = {"always", "unless-stopped", "on-failure"}
# What a master and Marathon must be told for the control plane to authenticate.
MASTER_FLAGS = ("MESOS_AUTHENTICATE_AGENTS=true", "MESOS_AUTHENTICATE_HTTP_READONLY=true",
                "MESOS_AUTHENTICATE_HTTP_READWRITE=true", "MESOS_CREDENTIALS=", "MESOS_ACLS=")
AGENT_FLAGS = ("MESOS_CREDENTIAL=", "MESOS_AUTHENTICATE_HTTP_READWRITE=true", "MESOS_HTTP_CREDENTIALS=")
MARATHON_FLAGS = ("MARATHON_MESOS_AUTHENTICATION_PRINCIPAL=", "MESOSPHERE_HTTP_CREDENTIALS=")
# What they must be told for the control plane to speak TLS only, unless they listen on loopback
# (this machine): masters accept nothing else, Marathon's API is HTTPS only.
TLS_FLAGS = {"mesos-master": ("LIBPROCESS_SSL_ENABLED=true", "LIBPROCESS_SSL_SUPPORT_DOWNGRADE=false"),
             "mesos-agent": ("LIBPROCESS_SSL_ENABLED=true",),
             "marathon": ("LIBPROCESS_SSL_ENABLED=true", "MARATHON_DISABLE_HTTP=", "MESOSPHERE_KEYSTORE_PATH=")}
ADDRESS_FLAGS = ("MESOS_IP=", "MARATHON_HOSTNAME=")


# -- one resource ------------------------------------------------------------------------------

def imdsv2(kind: str, props: Props) -> list[str]:
    if kind in ("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"):
        options = props.get("metadataOptions") or {}
        if options.get("httpTokens") != "required":
            return ["instance metadata must require IMDSv2 session tokens (metadataOptions.httpTokens: required)"]
        if int(options.get("httpPutResponseHopLimit") or 1) > 1:
            return ["the metadata hop limit must be 1, so tasks in bridge networks get no instance credentials"]
    return []


def encrypted_storage(kind: str, props: Props) -> list[str]:
    disks: list[tuple[str, Any]] = []
    if kind == "aws:ec2/instance:Instance":
        disks = [("rootBlockDevice", props.get("rootBlockDevice") or {})]
        disks += [(f"ebsBlockDevices[{i}]", d) for i, d in enumerate(props.get("ebsBlockDevices") or [])]
    elif kind == "aws:ec2/launchTemplate:LaunchTemplate":
        disks = [(f"blockDeviceMappings[{i}].ebs", m.get("ebs") or {})
                 for i, m in enumerate(props.get("blockDeviceMappings") or [])]
    elif kind == "aws:ebs/volume:Volume":
        disks = [("the volume", props)]
    return [f"{where} must be encrypted" for where, disk in disks if disk.get("encrypted") is not True]


def control_ports_not_public(kind: str, props: Props) -> list[str]:
    if kind != "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return []
    source = props.get("cidrIpv4") or props.get("cidrIpv6")
    if not source or ipaddress.ip_network(source, strict=False).num_addresses < 2 ** 31:
        return []  # a bounded source (an admin range, a security group, the VPC)
    low, high = int(props.get("fromPort") or 0), int(props.get("toPort") or 65535)
    if props.get("ipProtocol") in ("-1", "all"):
        low, high = 0, 65535
    exposed = sorted(p for p in CONTROL_PORTS if low <= p <= high)
    return [f"control-plane port(s) {exposed} open to {source}: allow only admin ranges"] if exposed else []


def _image_pinned(ref: str) -> bool:
    if "@sha256:" in ref:
        return True
    name = ref.rsplit("/", 1)[-1]
    return ":" in name and not name.endswith(":latest")


def pinned_images(kind: str, props: Props) -> list[str]:
    refs = []
    if kind == "docker:index/remoteImage:RemoteImage":
        refs = [props.get("name") or ""]
    elif kind == "pulumi-python:dynamic:Resource" and isinstance(props.get("app"), Mapping):
        refs = [((props["app"].get("container") or {}).get("docker") or {}).get("image") or ""]
    return [f"image {r!r} must name a tag other than latest, or a digest" for r in refs if r and not _image_pinned(r)]


def _labels(props: Props) -> dict[str, str]:
    return {x.get("label"): x.get("value") for x in props.get("labels") or [] if isinstance(x, Mapping)}


def restart_policies(kind: str, props: Props) -> list[str]:
    if kind == "docker:index/container:Container" and _labels(props).get(ROLE_LABEL) in PLATFORM_ROLES:
        if props.get("restart") not in RESTARTING:
            return [f"a platform container must restart when it crashes (restart: unless-stopped), not {props.get('restart')!r}"]
    return []


def _missing(role: str, settings: Iterable[str], needed: Iterable[str]) -> list[str]:
    have = [s for s in settings if isinstance(s, str)]
    return [f"{role}: {flag.rstrip('=')} must be set" for flag in needed
            if not any(s == flag or (flag.endswith("=") and s.startswith(flag)) for s in have)]


def _authentication(role: str, settings: list[str]) -> list[str]:
    return _missing(role, settings, {"mesos-master": MASTER_FLAGS, "mesos-agent": AGENT_FLAGS,
                                     "marathon": MARATHON_FLAGS}.get(role, ()))


def _on_loopback(settings: list[str]) -> bool:
    for s in settings:
        if isinstance(s, str) and s.startswith(ADDRESS_FLAGS):
            try:
                return ipaddress.ip_address(s.split("=", 1)[1]).is_loopback
            except ValueError:
                return False  # a name, or the instance's address expanded at boot
    return False


def _tls(role: str, settings: list[str]) -> list[str]:
    return [] if _on_loopback(settings) else _missing(role, settings, TLS_FLAGS.get(role, ()))


def _units(user_data: str) -> list[tuple[str, list[str]]]:
    """Each container unit in EC2 user data (gzip + base64 cloud-config): its run script, and
    the settings it gets, in `--env` or fetched from SSM into its env file by its secrets script."""
    try:
        text = gzip.decompress(base64.b64decode(user_data)).decode()
    except (ValueError, OSError):
        text = user_data
    config = yaml.safe_load(text) if text.startswith("#cloud-config") else {}
    files = {f.get("path", ""): f.get("content", "") for f in (config or {}).get("write_files", [])}
    out = []
    for path, script in files.items():
        if path.endswith("/run.sh"):
            secrets = files.get(path[: -len("run.sh")] + "secrets.sh", "")
            settings = re.findall(r"--env '?([A-Z_]+=[^' ]*)", script)
            settings += [f"{key}=(secret)" for key in re.findall(r"printf '%s=%s\\n' '?([A-Z_]+)", secrets)]
            out.append((script, settings))
    return out


def _each_role(kind: str, props: Props, check: Callable[[str, list[str]], list[str]]) -> list[str]:
    """`check(role, settings)` over a platform container, or each container unit in user data."""
    if kind == "docker:index/container:Container":
        return check(_labels(props).get(ROLE_LABEL, ""), list(props.get("envs") or []))
    user_data = props.get("userDataBase64") or props.get("userData")
    if kind in ("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate") and isinstance(user_data, str):
        out = []
        for script, settings in _units(user_data):
            role = re.search(rf"--label '?{re.escape(ROLE_LABEL)}=([a-z-]+)", script)
            out += check(role.group(1), settings) if role else []
        return out
    return []


def authenticated_control_plane(kind: str, props: Props) -> list[str]:
    return _each_role(kind, props, _authentication)


def encrypted_control_plane(kind: str, props: Props) -> list[str]:
    return _each_role(kind, props, _tls)


RESOURCE_RULES: list[tuple[str, str, Callable[[str, Props], list[str]]]] = [
    ("imdsv2-hop-limit-1", "EC2 hosts and agents require IMDSv2 with a hop limit of 1", imdsv2),
    ("encrypted-storage", "every EBS disk and volume is encrypted", encrypted_storage),
    ("no-control-port-open-to-the-world", "no control-plane port is reachable from the whole internet",
     control_ports_not_public),
    ("pinned-images", "every image names a tag (not latest) or a digest", pinned_images),
    ("platform-containers-restart", "platform containers come back when they crash", restart_policies),
    ("authenticated-control-plane", "Mesos masters, agents and Marathon run with authentication on",
     authenticated_control_plane),
    ("encrypted-control-plane", "off this machine, Mesos speaks TLS only and Marathon's API is HTTPS only",
     encrypted_control_plane),
]


# -- the whole stack ---------------------------------------------------------------------------

def _members(resources: Iterable[tuple[str, Props]], role: str) -> list[Props]:
    out = []
    for kind, props in resources:
        if kind == "docker:index/container:Container" and _labels(props).get(ROLE_LABEL) == role:
            out.append(props)
        elif kind == "aws:ec2/instance:Instance":
            roles = ((props.get("tags") or {}).get("container-platform:roles") or "").split(",")
            if role in roles:
                out.append(props)
    return out


def odd_quorums_over_zones(resources: list[tuple[str, Props]]) -> list[str]:
    """ZooKeeper and the masters: an odd number of members (an even one tolerates no more
    failures than one fewer); on AWS, spread over as many subnets (one per zone) as they can."""
    out = []
    subnets = {p.get("subnetId") for k, p in resources if k == "aws:ec2/instance:Instance"}
    for role in QUORUM_ROLES:
        members = _members(resources, role)
        if members and len(members) % 2 == 0:
            out.append(f"{len(members)} {role} members: use an odd number (3 or 5)")
        on_ec2 = [m.get("subnetId") for m in members if "subnetId" in m]
        if on_ec2 and len(set(on_ec2)) < min(len(on_ec2), len(subnets)):
            out.append(f"the {len(on_ec2)} {role} hosts share {len(set(on_ec2))} subnet(s): spread them over zones, "
                       "so that losing one zone loses no majority")
    return out


STACK_RULES: list[tuple[str, str, Callable[[list[tuple[str, Props]]], list[str]]]] = [
    ("odd-quorums-over-zones", "ZooKeeper and the masters have odd quorums spread over zones", odd_quorums_over_zones),
]


# -- what Pulumi calls -----------------------------------------------------------------------

def on_resource(rule: Callable[[str, Props], list[str]]) -> Callable[[Any, Callable], None]:
    """A ResourceValidationPolicy's `validate`: args.resource_type, args.props."""
    def validate(args: Any, report_violation: Callable) -> None:
        for message in rule(args.resource_type, args.props):
            report_violation(message, None)
    return validate


def on_stack(rule: Callable[[list[tuple[str, Props]]], list[str]]) -> Callable[[Any, Callable], None]:
    """A StackValidationPolicy's `validate`: args.resources, each with resource_type and props."""
    def validate(args: Any, report_violation: Callable) -> None:
        for message in rule([(r.resource_type, r.props) for r in args.resources]):
            report_violation(message, None)
    return validate
