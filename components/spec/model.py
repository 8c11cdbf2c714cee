"""The typed environment model: what `container-platform:platform` in a stack file may say.

Every model forbids unknown keys, so a typo fails loudly instead of silently falling back to a
default. Structural rules (types, ranges, names) live here; rules that relate several parts of
the config (placement, quorums, port clashes) live in ``checks.py`` and ``placement.py``.
"""
from __future__ import annotations

import functools
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ..compose.host_access import GRANTS as HOST_GRANTS
from ..roles import images

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
# Strict: YAML's `true` is not a count of 1, nor a port.
Port = Annotated[int, Field(ge=1, le=65535, strict=True)]
Count = Annotated[int, Field(ge=0, le=100_000, strict=True)]
PositiveCount = Annotated[int, Field(ge=1, le=100_000, strict=True)]
# Mesos attribute and label text: `;` separates attributes and `:` name from value in
# MESOS_ATTRIBUTES, so neither may appear inside one (nor whitespace, nor a newline).
AttributeText = Annotated[str, Field(pattern=r"^[A-Za-z0-9_./-]{1,128}$")]
Target = Literal["local", "aws", "physical"]


class Model(BaseModel):
    # A field's docstring is its description: in the JSON schema editors show, and in the
    # config reference (ops/schema.py renders both).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Host(Model):
    """A machine that runs containers. On `local` every host is this machine's Docker engine."""

    name: Name
    """What roles' `hosts` lists name it by (lower-case letters, digits, '-')."""
    address: Optional[str] = None
    """local: 127.0.0.1; physical: required, an IP address or a DNS name (an IP address where a
    Mesos master or agent runs: Mesos listens on it as `--ip`); aws: assigned"""
    ssh_user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")] = "root"
    """physical: the user the bootstrap and the Docker provider log in as (a POSIX user name)"""
    ssh_port: Port = 22
    """physical: sshd's port; no role may bind it."""
    host_key: Optional[Annotated[str, Field(pattern=r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$")]] = None
    """physical: the host's SSH public key as `ssh-keyscan` prints it (type and base64, no host
    name), required: every connection checks it, so no first connection trusts whoever answers.
    """
    labels: dict[AttributeText, AttributeText] = {}
    """Attributes its agents advertise to Mesos and node labels its Swarm node carries (placement constraints)."""
    zone: Optional[Annotated[int, Field(ge=0, strict=True)]] = None
    """aws: index into the zones; default round-robin"""
    instance_type: Optional[str] = None
    """aws: default platform.aws.instance_type"""


class ZooKeeper(Model):
    count: PositiveCount = 1
    """Nodes in the ensemble: 1, 3, 5 or 7; a change of count is made in place (dynamic reconfiguration)."""
    hosts: Optional[list[Name]] = None
    """placement, round-robin; default: every host"""
    client_port: Port = 2181
    """Where clients connect; nodes sharing a machine take consecutive ports from here."""
    peer_port: Port = 2888
    """Followers to the leader (quorum traffic)."""
    election_port: Port = 3888
    """Leader election."""
    admin_port: Optional[Port] = None
    """The AdminServer (Jetty) defaults to 8080, the same port as Marathon and the Spark master UI,
    so it is off unless a port is given here.
    """
    tick_time_ms: Annotated[int, Field(ge=100, le=60000, strict=True)] = 2000
    """ZooKeeper's tick; sessions expire within 10 ticks."""
    image: str = images.ZOOKEEPER
    """The ZooKeeper image (the official one; see the version matrix)."""
    protect: bool = False
    """stateful: production stacks set it so `pulumi destroy` refuses"""


class MesosMasters(Model):
    count: PositiveCount = 1
    """Masters: 1, 3 or 5; changed only in the steps Mesos allows (up one quorum per run, down in two runs)."""
    hosts: Optional[list[Name]] = None
    """Placement, round-robin; default: every host."""
    port: Port = 5050
    """The masters' HTTP and libprocess port (UI, API, agents, frameworks)."""
    quorum: Optional[PositiveCount] = None
    """default: floor(count / 2) + 1"""
    protect: bool = False
    """the replicated log lives in the work dir"""
    log_generation: PositiveCount = 1
    """A new number starts the replicated log afresh (new, empty work volumes): the registry of
    agents, maintenance and quotas is lost and agents register again. Needed to grow from a
    single master (platform/masters_quorum.py); count and quorum change freely with it.
    """


class AgentPool(Model):
    name: Name
    """The pool's name: its agents' `pool` attribute and, on AWS, its auto scaling group."""
    count: Count = 1
    """Agents in the pool (on AWS the group's desired capacity)."""
    hosts: Optional[list[Name]] = None
    """Placement, round-robin; default: every host (physical and local only)."""
    port: Port = 5051
    """The agents' HTTP and libprocess port."""
    public: bool = False
    """public agents offer their resources to the `slave_public` role"""
    resources: dict[str, int | float | str] = {}
    """Mesos resources the agents offer (cpus, mem, disk, ports); default: what Mesos detects."""
    attributes: dict[AttributeText, AttributeText] = {}
    """Mesos attributes of the pool's agents (beside their hosts' labels and `pool`)."""
    min_count: Optional[Count] = None
    """aws: the pool is an auto scaling group; `count` is its desired capacity. default: count"""
    max_count: Optional[Count] = None
    """default: count"""
    instance_type: Optional[str] = None
    """default: platform.aws.agent_instance_type"""
    load_balancer: bool = False
    """aws, public pools: a network load balancer on the public ports"""


class Mesos(Model):
    cluster_name: Name = "platform"
    """The Mesos cluster's name (shown in its UI)."""
    image_master: str = images.MESOS_MASTER
    """The Mesos master image."""
    image_agent: str = images.MESOS_AGENT
    """The Mesos agent image (also the Docker executor's)."""
    masters: MesosMasters = MesosMasters()
    """The masters and their replicated log."""
    agent_pools: list[AgentPool] = [AgentPool(name="private")]
    """Groups of agents, private or public."""
    executor_registration_timeout: Annotated[str, Field(pattern=r"^\d+(ms|secs|mins|hrs)$")] = "5mins"
    """How long an executor may take to register (an image pull counts)."""
    authenticate_frameworks: bool = True
    """Only frameworks with a credential may register (Marathon, Spark in client mode). Turning it
    off is for a framework that cannot be given one (Spark's cluster-mode dispatcher).
    """


class MarathonAuth(Model):
    """HTTP basic auth, always on. The password is the secret `container-platform:marathonPassword`
    where set, else generated (pulumi-random) and kept in the stack's state as a secret."""

    username: Name = "admin"
    """The REST API's and UI's user name."""


class Marathon(Model):
    enabled: bool = True
    """Run Marathon (and marathon-lb)."""
    count: Optional[PositiveCount] = None
    """One instance per master by default: every instance joins the same leader election in
    ZooKeeper, so losing a master host never loses the scheduler.
    """
    hosts: Optional[list[Name]] = None
    """Placement; default: the masters' hosts."""
    port: Port = 8080
    """The REST API's and UI's port (HTTPS where TLS is on)."""
    image: str = images.MARATHON
    """The Marathon image."""
    auth: MarathonAuth = MarathonAuth()
    """HTTP basic auth on the REST API, always on."""


# marathon-lb's built-in HAProxy template binds its stats and health-check endpoint here.
MARATHON_LB_STATS_PORT = 9090


class Discovery(Model):
    """marathon-lb: HAProxy kept current from Marathon's event stream.

    Every Marathon app gets a fixed service port, so a service's address (`<lb host>:<service
    port>`) is known when the program runs and can be wired into its consumers.
    """

    enabled: bool = True
    """Run marathon-lb."""
    count: Optional[PositiveCount] = None
    """default: one per master host"""
    hosts: Optional[list[Name]] = None
    """Placement; default: the masters' hosts."""
    stats_port: Port = MARATHON_LB_STATS_PORT
    """fixed by the image; kept so a change is refused, not ignored"""
    service_port_min: Port = 10000
    """The first service port a Marathon app may get."""
    service_port_max: Port = 10100
    """The last service port a Marathon app may get."""
    group: Name = "internal"
    """the HAPROXY_GROUP label this load balancer serves"""
    image: str = images.MARATHON_LB
    """The marathon-lb image."""


SparkMode = Literal["local", "standalone", "mesos", "yarn"]
HostGrant = Literal[tuple(HOST_GRANTS)]  # type: ignore[valid-type]
Memory = Annotated[str, Field(pattern=r"^\d+[kmgt]?$")]


class SparkMasters(Model):
    count: PositiveCount = 1
    """more than one needs recovery: zookeeper (standby masters)"""
    hosts: Optional[list[Name]] = None
    """Placement, round-robin; default: every host."""
    port: Port = 7077
    """The master's RPC port (spark://)."""
    web_ui_port: Port = 8080
    """The master's web UI."""
    rest_port: Port = 6066
    """The master's REST submission port (cluster deploy mode)."""


class SparkWorkers(Model):
    count: Count = 1
    """Standalone workers."""
    hosts: Optional[list[Name]] = None
    """Placement, round-robin; default: every host."""
    cores: PositiveCount = 2
    """Cores each worker offers."""
    memory: Memory = "2g"
    """Memory each worker offers (e.g. 2g)."""
    port: Port = 7078
    """The worker's RPC port."""
    web_ui_port: Port = 8081
    """The worker's web UI."""


class SparkHistory(Model):
    enabled: bool = True
    """Run the history server (and have applications log events for it)."""
    hosts: Optional[list[Name]] = None
    """Placement; default: the first host."""
    port: Port = 18080
    """The history server's UI."""


class SparkMesos(Model):
    executor_image: str = images.SPARK
    """the image Mesos runs executors in"""
    dispatcher_port: Port = 7077
    """MesosClusterDispatcher (cluster mode), run as a Marathon app"""
    dispatcher_web_ui_port: Port = 8081
    """The dispatcher's web UI (cluster mode)."""


class SparkYarn(Model):
    """An existing Hadoop cluster's ResourceManager: Spark submits to it, nothing is deployed."""

    resource_manager: str
    """host (the ResourceManager's address); ports are Hadoop's defaults"""
    default_fs: str = "hdfs://namenode:8020"
    """The Hadoop cluster's default file system."""
    queue: str = "default"
    """The YARN queue applications are submitted to."""


class Spark(Model):
    enabled: bool = False
    """Run Spark, or render its client files only."""
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")] = images.SPARK_VERSION
    """The Spark version clients and images use (Mesos needs 3.5 or older)."""
    image: str = images.SPARK
    """The Spark image of masters, workers and the history server."""
    mode: SparkMode = "standalone"
    """local[n], standalone, mesos or yarn."""
    deploy_mode: Literal["client", "cluster"] = "client"
    """Where drivers run: with the client, or on the cluster."""
    local_threads: PositiveCount = 2
    """mode local: local[n]"""
    recovery: Literal["none", "zookeeper"] = "zookeeper"
    """Standalone masters' recovery: zookeeper (standby masters) or none."""
    zookeeper_dir: Annotated[str, Field(pattern=r"^/[A-Za-z0-9_/-]+$")] = "/spark"
    """The ZooKeeper path of Spark's recovery state."""
    event_log_dir: Annotated[str, Field(pattern=r"^[A-Za-z0-9+.-]+:[^\s]+$")] = "file:/spark-events"
    """Event logs for the history server: a shared volume on local and physical hosts, an s3a://
    URL on AWS.
    """
    masters: SparkMasters = SparkMasters()
    """Standalone masters."""
    workers: SparkWorkers = SparkWorkers()
    """Standalone workers."""
    history: SparkHistory = SparkHistory()
    """The history server."""
    mesos: SparkMesos = SparkMesos()
    """Spark on Mesos."""
    yarn: Optional[SparkYarn] = None
    """Spark on an existing Hadoop YARN cluster (mode yarn)."""


class AwsAmi(Model):
    """A pinned AMI id, or the newest image matching a name filter from the given owners."""

    id: Optional[Annotated[str, Field(pattern=r"^ami-[0-9a-f]{8,17}$")]] = None
    """A pinned AMI id; default: the newest image matching `name`."""
    owners: list[str] = ["136693071363"]
    """Debian's AWS account"""
    name: str = "debian-12-amd64-*"
    """The AMI name filter."""


class AwsNetwork(Model):
    """An existing VPC instead of a new one: subnets in the same zone order."""

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]+$")]
    """The existing VPC."""
    public_subnet_ids: Annotated[list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]+$")]], Field(min_length=1)]
    """One public subnet per zone."""
    private_subnet_ids: Annotated[list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]+$")]], Field(min_length=1)]
    """One private subnet per zone, in the same zone order."""


Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]


class Aws(Model):
    region: str = "us-east-1"
    """The AWS region."""
    zones: Annotated[int, Field(ge=1, le=6, strict=True)] = 3
    """how many of the region's zones to span"""
    vpc_cidr: Cidr = "10.40.0.0/16"
    """A private /16 for a new VPC; its /20s are the subnets."""
    network: Optional[AwsNetwork] = None
    """default: a new VPC"""
    nat_gateways: Literal["one", "per_zone"] = "one"
    """per_zone: no zone depends on another's NAT"""
    admin_cidrs: list[Cidr] = []
    """who may open the UIs (and SSH, when a key is set)"""
    ssh_key_name: Optional[str] = None
    """none: no SSH at all, SSM Session Manager only"""
    ami: AwsAmi = AwsAmi()
    """The hosts' and agents' AMI."""
    instance_type: str = "t3.medium"
    """ZooKeeper and master hosts"""
    agent_instance_type: str = "m5.large"
    """Agents' instance type, unless their pool names one."""
    root_volume_gb: Annotated[int, Field(ge=8, strict=True)] = 30
    """Root disk size of hosts and agents."""
    data_volume_gb: Annotated[int, Field(ge=8, strict=True)] = 50
    """/var/lib/docker: images and containers"""
    state_volume_gb: Annotated[int, Field(ge=1, le=16384, strict=True)] = 20
    """ZooKeeper's data and the masters' replicated log: an EBS volume of its own per host, kept
    and re-attached when the host is replaced.
    """
    kms_key_id: Optional[str] = None
    """default: the account's EBS key"""
    termination_protection: bool = False
    """on master hosts"""

    @property
    def zone_count(self) -> int:
        """How many zones the environment spans: an existing network's, else `zones`."""
        return len(self.network.private_subnet_ids) if self.network else self.zones


Scheduler = Literal["marathon", "swarm", "local"]


class StackService(Model):
    instances: Optional[Count] = None
    """overrides the file's deploy.replicas"""


class SecretVariable(Model):
    """A variable whose value is the Pulumi secret `container-platform:<secret>`."""

    secret: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
    """The name of the Pulumi secret (`pulumi config set --secret <name>`)."""


class ServiceStack(Model):
    """A Compose file deployed as one stack (see examples/compose/)."""

    name: Name
    """The stack's name: part of every resource and Marathon app id it makes."""
    file: str
    """relative to the project root"""
    scheduler: Optional[Scheduler] = None
    """default: the file's x-platform.scheduler"""
    services: dict[str, StackService] = {}
    """per-service overrides, by Compose service name"""
    variables: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Union[str, SecretVariable]] = {}
    """Compose interpolation: `${NAME}` in the file takes these first, then the `.env` beside it. A
    secret variable may appear only in environment and command values.
    """
    profiles: list[str] = []
    """Compose profiles to activate (default: COMPOSE_PROFILES, else none)"""
    allow: list[HostGrant] = []
    """What services may take from their host (compose/host_access.py): refused unless listed."""


class TlsAuthority(Model):
    """A CA of your own instead of the one the program makes: its certificate (PEM) and the name
    of the Pulumi secret that holds its private key (`pulumi config set --secret <name> < ca.key`)."""

    certificate: str
    """The CA's certificate (PEM)."""
    private_key_secret: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
    """The Pulumi secret holding the CA's private key (PEM)."""


# A certificate lives past the 30 days before expiry in which `pulumi up` re-issues it
# (platform/tls.py, EARLY_RENEWAL_HOURS).
MIN_VALIDITY_DAYS = 31


class Tls(Model):
    """TLS for the control plane (components/platform/tls.py): Mesos (libprocess SSL between
    masters, agents and frameworks, HTTPS endpoints), Marathon's REST API (HTTPS only) and
    marathon-lb's stats endpoint, with certificates from a CA the program creates (pulumi-tls)
    or from `authority`."""

    enabled: Optional[bool] = None
    """default: on, except on the local target"""
    authority: Optional[TlsAuthority] = None
    """A CA of your own; default: one the program makes."""
    validity_days: Annotated[int, Field(ge=MIN_VALIDITY_DAYS, le=3650, strict=True)] = 397
    """Certificates are re-issued by `pulumi up` once they are within 30 days of expiring."""


SWARM_PORT = 2377  # cluster management (Swarm's default)


class Swarm(Model):
    """Docker Swarm mode for stacks with `scheduler: swarm`: managers keep the Raft log."""

    managers: Optional[list[Name]] = None
    """default: the first host"""
    workers: list[Name] = []
    """Swarm workers (hosts)."""
    port: Port = SWARM_PORT
    """Swarm's cluster management port."""


class Platform(Model):
    name: Name = "platform"
    """Names containers, volumes and apps, so platforms can share hosts."""
    target: Target = "local"
    """Where it runs: this machine's engine (local), existing hosts over SSH (physical), or AWS."""
    hosts: Annotated[list[Host], Field(min_length=1)] = [Host(name="local")]
    """The machines roles run on (on AWS, EC2 instances; agents are groups instead)."""
    zookeeper: ZooKeeper = ZooKeeper()
    """The ZooKeeper ensemble."""
    mesos: Mesos = Mesos()
    """Mesos masters and agent pools."""
    marathon: Marathon = Marathon()
    """Marathon, for long-running services."""
    discovery: Discovery = Discovery()
    """marathon-lb, the service discovery of Marathon apps."""
    spark: Spark = Spark()
    """Spark, in any run mode."""
    swarm: Swarm = Swarm()
    """Docker Swarm mode, for stacks with scheduler swarm."""
    stacks: list[ServiceStack] = []
    """Compose files deployed as stacks."""
    aws: Aws = Aws()
    """The aws target's settings."""
    tls: Tls = Tls()
    """TLS for the control plane."""

    @property
    def tls_enabled(self) -> bool:
        """TLS is on unless turned off, except on the local target (this machine's loopback)."""
        return self.tls.enabled if self.tls.enabled is not None else self.target != "local"

    @functools.cached_property
    def hosts_by_name(self) -> dict[str, Host]:
        """Every host by name, indexed once: lookups stay constant-time with thousands of hosts."""
        return {h.name: h for h in self.hosts}

    def host(self, name: str) -> Host:
        return self.hosts_by_name[name]

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {h.name: i for i, h in enumerate(self.hosts)}

    def host_position(self, name: str) -> int:
        """Where the host is in platform.hosts (aws spreads hosts over zones in this order)."""
        return self._positions[name]


def swarm_managers(p: Platform) -> list[str]:
    """The Swarm managers: those listed, else the first host."""
    return p.swarm.managers or [p.hosts[0].name]


def quorum(masters: MesosMasters) -> int:
    """A strict majority: the replicated log needs it to write, so two halves never both lead."""
    return masters.quorum if masters.quorum is not None else masters.count // 2 + 1
