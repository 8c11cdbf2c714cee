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
    model_config = ConfigDict(extra="forbid", frozen=True)


class Host(Model):
    """A machine that runs containers. On `local` every host is this machine's Docker engine."""

    name: Name
    address: Optional[str] = None  # local: 127.0.0.1; physical: required; aws: assigned
    # physical: the user the bootstrap and the Docker provider log in as (a POSIX user name)
    ssh_user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")] = "root"
    ssh_port: Port = 22
    # physical: the host's SSH public key as `ssh-keyscan` prints it (type and base64, no host
    # name), required: every connection checks it, so no first connection trusts whoever answers.
    host_key: Optional[Annotated[str, Field(pattern=r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$")]] = None
    labels: dict[AttributeText, AttributeText] = {}
    zone: Optional[Annotated[int, Field(ge=0)]] = None  # aws: index into the zones; default round-robin
    instance_type: Optional[str] = None  # aws: default platform.aws.instance_type


class ZooKeeper(Model):
    count: PositiveCount = 1
    hosts: Optional[list[Name]] = None  # placement, round-robin; default: every host
    client_port: Port = 2181
    peer_port: Port = 2888
    election_port: Port = 3888
    # The AdminServer (Jetty) defaults to 8080, the same port as Marathon and the Spark master
    # UI, so it is off unless a port is given here.
    admin_port: Optional[Port] = None
    tick_time_ms: Annotated[int, Field(ge=100, le=60000)] = 2000
    image: str = images.ZOOKEEPER
    protect: bool = False  # stateful: production stacks set it so `pulumi destroy` refuses


class MesosMasters(Model):
    count: PositiveCount = 1
    hosts: Optional[list[Name]] = None
    port: Port = 5050
    quorum: Optional[PositiveCount] = None  # default: floor(count / 2) + 1
    protect: bool = False  # the replicated log lives in the work dir
    # A new number starts the replicated log afresh (new, empty work volumes): the registry of
    # agents, maintenance and quotas is lost and agents register again. Needed to grow from a
    # single master (platform/masters_quorum.py); count and quorum change freely with it.
    log_generation: PositiveCount = 1


class AgentPool(Model):
    name: Name
    count: Count = 1
    hosts: Optional[list[Name]] = None
    port: Port = 5051
    public: bool = False  # public agents offer their resources to the `slave_public` role
    resources: dict[str, int | float | str] = {}
    attributes: dict[AttributeText, AttributeText] = {}
    # aws: the pool is an auto scaling group; `count` is its desired capacity.
    min_count: Optional[Count] = None  # default: count
    max_count: Optional[Count] = None  # default: count
    instance_type: Optional[str] = None  # default: platform.aws.agent_instance_type
    load_balancer: bool = False  # aws, public pools: a network load balancer on the public ports


class Mesos(Model):
    cluster_name: Name = "platform"
    image_master: str = images.MESOS_MASTER
    image_agent: str = images.MESOS_AGENT
    masters: MesosMasters = MesosMasters()
    agent_pools: list[AgentPool] = [AgentPool(name="private")]
    executor_registration_timeout: Annotated[str, Field(pattern=r"^\d+(ms|secs|mins|hrs)$")] = "5mins"
    # Only frameworks with a credential may register (Marathon, Spark in client mode). Turning it
    # off is for a framework that cannot be given one (Spark's cluster-mode dispatcher).
    authenticate_frameworks: bool = True


class MarathonAuth(Model):
    """HTTP basic auth, always on. The password is the secret `container-platform:marathonPassword`
    where set, else generated (pulumi-random) and kept in the stack's state as a secret."""

    username: Name = "admin"


class Marathon(Model):
    enabled: bool = True
    # One instance per master by default: every instance joins the same leader election in
    # ZooKeeper, so losing a master host never loses the scheduler.
    count: Optional[PositiveCount] = None
    hosts: Optional[list[Name]] = None
    port: Port = 8080
    image: str = images.MARATHON
    auth: MarathonAuth = MarathonAuth()


# marathon-lb's built-in HAProxy template binds its stats and health-check endpoint here.
MARATHON_LB_STATS_PORT = 9090


class Discovery(Model):
    """marathon-lb: HAProxy kept current from Marathon's event stream.

    Every Marathon app gets a fixed service port, so a service's address (`<lb host>:<service
    port>`) is known when the program runs and can be wired into its consumers.
    """

    enabled: bool = True
    count: Optional[PositiveCount] = None  # default: one per master host
    hosts: Optional[list[Name]] = None
    stats_port: Port = MARATHON_LB_STATS_PORT  # fixed by the image; kept so a change is refused, not ignored
    service_port_min: Port = 10000
    service_port_max: Port = 10100
    group: Name = "internal"  # the HAPROXY_GROUP label this load balancer serves
    image: str = images.MARATHON_LB


SparkMode = Literal["local", "standalone", "mesos", "yarn"]
HostGrant = Literal[tuple(HOST_GRANTS)]  # type: ignore[valid-type]
Memory = Annotated[str, Field(pattern=r"^\d+[kmgt]?$")]


class SparkMasters(Model):
    count: PositiveCount = 1  # more than one needs recovery: zookeeper (standby masters)
    hosts: Optional[list[Name]] = None
    port: Port = 7077
    web_ui_port: Port = 8080
    rest_port: Port = 6066


class SparkWorkers(Model):
    count: Count = 1
    hosts: Optional[list[Name]] = None
    cores: PositiveCount = 2
    memory: Memory = "2g"
    port: Port = 7078
    web_ui_port: Port = 8081


class SparkHistory(Model):
    enabled: bool = True
    hosts: Optional[list[Name]] = None
    port: Port = 18080


class SparkMesos(Model):
    executor_image: str = images.SPARK  # the image Mesos runs executors in
    dispatcher_port: Port = 7077  # MesosClusterDispatcher (cluster mode), run as a Marathon app
    dispatcher_web_ui_port: Port = 8081


class SparkYarn(Model):
    """An existing Hadoop cluster's ResourceManager: Spark submits to it, nothing is deployed."""

    resource_manager: str  # host (the ResourceManager's address); ports are Hadoop's defaults
    default_fs: str = "hdfs://namenode:8020"
    queue: str = "default"


class Spark(Model):
    enabled: bool = False
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")] = images.SPARK_VERSION
    image: str = images.SPARK
    mode: SparkMode = "standalone"
    deploy_mode: Literal["client", "cluster"] = "client"
    local_threads: PositiveCount = 2  # mode local: local[n]
    recovery: Literal["none", "zookeeper"] = "zookeeper"
    zookeeper_dir: Annotated[str, Field(pattern=r"^/[A-Za-z0-9_/-]+$")] = "/spark"
    # Event logs for the history server: a shared volume on local and physical hosts,
    # an s3a:// URL on AWS.
    event_log_dir: Annotated[str, Field(pattern=r"^[A-Za-z0-9+.-]+:[^\s]+$")] = "file:/spark-events"
    masters: SparkMasters = SparkMasters()
    workers: SparkWorkers = SparkWorkers()
    history: SparkHistory = SparkHistory()
    mesos: SparkMesos = SparkMesos()
    yarn: Optional[SparkYarn] = None


class AwsAmi(Model):
    """A pinned AMI id, or the newest image matching a name filter from the given owners."""

    id: Optional[Annotated[str, Field(pattern=r"^ami-[0-9a-f]{8,17}$")]] = None
    owners: list[str] = ["136693071363"]  # Debian's AWS account
    name: str = "debian-12-amd64-*"


class AwsNetwork(Model):
    """An existing VPC instead of a new one: subnets in the same zone order."""

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]+$")]
    public_subnet_ids: Annotated[list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]+$")]], Field(min_length=1)]
    private_subnet_ids: Annotated[list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]+$")]], Field(min_length=1)]


Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]


class Aws(Model):
    region: str = "us-east-1"
    zones: Annotated[int, Field(ge=1, le=6)] = 3  # how many of the region's zones to span
    vpc_cidr: Cidr = "10.40.0.0/16"
    network: Optional[AwsNetwork] = None  # default: a new VPC
    nat_gateways: Literal["one", "per_zone"] = "one"  # per_zone: no zone depends on another's NAT
    admin_cidrs: list[Cidr] = []  # who may open the UIs (and SSH, when a key is set)
    ssh_key_name: Optional[str] = None  # none: no SSH at all, SSM Session Manager only
    ami: AwsAmi = AwsAmi()
    instance_type: str = "t3.medium"  # ZooKeeper and master hosts
    agent_instance_type: str = "m5.large"
    root_volume_gb: Annotated[int, Field(ge=8)] = 30
    data_volume_gb: Annotated[int, Field(ge=8)] = 50  # /var/lib/docker: images and containers
    # ZooKeeper's data and the masters' replicated log: an EBS volume of its own per host, kept
    # and re-attached when the host is replaced.
    state_volume_gb: Annotated[int, Field(ge=1, le=16384)] = 20
    kms_key_id: Optional[str] = None  # default: the account's EBS key
    termination_protection: bool = False  # on master hosts

    @property
    def zone_count(self) -> int:
        """How many zones the environment spans: an existing network's, else `zones`."""
        return len(self.network.private_subnet_ids) if self.network else self.zones


Scheduler = Literal["marathon", "swarm", "local"]


class StackService(Model):
    instances: Optional[Count] = None  # overrides the file's deploy.replicas


class SecretVariable(Model):
    """A variable whose value is the Pulumi secret `container-platform:<secret>`."""

    secret: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]


class ServiceStack(Model):
    """A Compose file deployed as one stack (see examples/compose/)."""

    name: Name
    file: str  # relative to the project root
    scheduler: Optional[Scheduler] = None  # default: the file's x-platform.scheduler
    services: dict[str, StackService] = {}  # per-service overrides, by Compose service name
    # Compose interpolation: `${NAME}` in the file takes these first, then the `.env` beside it.
    # A secret variable may appear only in environment and command values.
    variables: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Union[str, SecretVariable]] = {}
    profiles: list[str] = []  # Compose profiles to activate (default: COMPOSE_PROFILES, else none)
    # What services may take from their host (compose/host_access.py): refused unless listed.
    allow: list[HostGrant] = []


class TlsAuthority(Model):
    """A CA of your own instead of the one the program makes: its certificate (PEM) and the name
    of the Pulumi secret that holds its private key (`pulumi config set --secret <name> < ca.key`)."""

    certificate: str
    private_key_secret: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]


class Tls(Model):
    """TLS for the control plane (components/platform/tls.py): Mesos (libprocess SSL between
    masters, agents and frameworks, HTTPS endpoints), Marathon's REST API (HTTPS only) and
    marathon-lb's stats endpoint, with certificates from a CA the program creates (pulumi-tls)
    or from `authority`."""

    enabled: Optional[bool] = None  # default: on, except on the local target
    authority: Optional[TlsAuthority] = None
    # Certificates are re-issued by `pulumi up` once they are within 30 days of expiring.
    validity_days: Annotated[int, Field(ge=31, le=3650, strict=True)] = 397


SWARM_PORT = 2377  # cluster management (Swarm's default)


class Swarm(Model):
    """Docker Swarm mode for stacks with `scheduler: swarm`: managers keep the Raft log."""

    managers: Optional[list[Name]] = None  # default: the first host
    workers: list[Name] = []
    port: Port = SWARM_PORT


class Platform(Model):
    name: Name = "platform"
    target: Target = "local"
    hosts: Annotated[list[Host], Field(min_length=1)] = [Host(name="local")]
    zookeeper: ZooKeeper = ZooKeeper()
    mesos: Mesos = Mesos()
    marathon: Marathon = Marathon()
    discovery: Discovery = Discovery()
    spark: Spark = Spark()
    swarm: Swarm = Swarm()
    stacks: list[ServiceStack] = []
    aws: Aws = Aws()
    tls: Tls = Tls()

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
