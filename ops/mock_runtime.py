"""Run the program under Pulumi's mock runtime and record every resource it registers.

Used by the tests and by the offline review of pull requests (ops/review.py): no Pulumi CLI,
no provider plugins, no cloud credentials.

Each registration is kept with what the engine would see: type, name, parent, provider,
dependencies (overall and per property), options (protect, retain_on_delete, delete_before_replace), the inputs and
which of them are secret. Stack outputs are resolved after the program finishes.
"""
from __future__ import annotations

import asyncio
import base64
import fnmatch
import gc
import hashlib
import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import dill
import pulumi
import pulumi.runtime.config as runtime_config
import pulumi.runtime.settings as runtime_settings
import yaml
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks, _sync_await, set_mocks
from pulumi.runtime.stack import run_pulumi_func

from . import mock_tls

ROOT = Path(__file__).resolve().parent.parent  # this checkout; `root=` arguments name another
PROJECT = "container-platform"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
MOCK_SECRET = "mock-secret-value"


def stack_names(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (root / "stacks").glob("Pulumi.*.yaml"))


def stack_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    return yaml.safe_load((root / "stacks" / f"Pulumi.{stack}.yaml").read_text()).get("config", {})


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    parent: str
    provider: str  # "<provider urn>::<id>" or "" for the default provider
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    secret_inputs: set[str]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    additional_secret_outputs: list[str]
    custom: bool

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0]


@dataclass
class Deployment:
    resources: list[Registered]
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    error: Optional[BaseException] = None
    # What each component registered as its outputs (`register_outputs`), by URN.
    component_outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self, urn: str) -> Registered:
        (found,) = [r for r in self.resources if r.urn == urn]
        return found

    def containers(self) -> list[Registered]:
        return self.of_type("docker:index/container:Container")

    def marathon_apps(self) -> list[Registered]:
        """The MarathonApp dynamic resources (the other dynamic resources have no `app`)."""
        return [r for r in self.of_type("pulumi-python:dynamic:Resource") if "app" in r.inputs]


def _contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SECRET_SIG) == rpc._special_secret_sig or any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def _unwrap(value: Any) -> Any:
    """Secret values as plain ones (which inputs were secret is kept in `secret_inputs`)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == rpc._special_secret_sig:
            return _unwrap(value["value"])
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.records: list[Registered] = []
        self.component_outputs: dict[str, Any] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            self.records.append(Registered(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                provider=request.provider,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                inputs=_unwrap(rpc.deserialize_properties(request.object)),
                secret_inputs={k for k, v in raw.items() if _contains_secret(v)},
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                custom=request.custom,
            ))
        return response

    def RegisterResourceOutputs(self, request):
        self.component_outputs[request.urn] = _unwrap(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)


def _provider_kind(serialized: str) -> str:
    """The class name of the dynamic provider pickled in `serialized` (one unpickling per kind)."""
    if serialized not in _providers:
        _providers[serialized] = type(dill.loads(base64.b64decode(serialized))).__name__
    return _providers[serialized]


_providers: dict[str, str] = {}


def _keystore_stand_in(props: dict[str, Any]) -> dict[str, Any]:
    """Pkcs12Keystore's output, as a stand-in: a real keystore is salted at random, which would
    make two evaluations differ (the offline review compares two). Tests build the real one
    from the same inputs with the provider itself (tests/test_real_tls.py)."""
    digest = hashlib.sha256(json.dumps(props, sort_keys=True).encode()).hexdigest()
    return {"keystore": base64.b64encode(f"stand-in PKCS#12 keystore {digest}".encode()).decode()}


class PlatformMocks(Mocks):
    """Providers answer with their inputs plus the computed outputs the program reads."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ in mock_tls.OUTPUTS:  # real keys and certificates, as pulumi-tls makes them
            state.update(mock_tls.OUTPUTS[args.typ](args.name, _unwrap(state)))
        if args.typ == "pulumi-python:dynamic:Resource" and _provider_kind(_unwrap(state["__provider"])) == "Pkcs12KeystoreProvider":
            state.update(_keystore_stand_in(_unwrap({k: v for k, v in state.items() if k != "__provider"})))
        if args.typ == "docker:index/remoteImage:RemoteImage":
            # Stable across processes (the offline review compares two runs).
            state["imageId"] = "sha256:" + hashlib.sha256(args.inputs["name"].encode()).hexdigest()
        if args.typ == "random:index/randomPassword:RandomPassword":
            # As the provider would: `length` letters and digits (special=False), here stable
            # across runs so the offline review compares like with like.
            digest = hashlib.sha256(args.name.encode()).hexdigest()
            state["result"] = (digest * 2)[: int(args.inputs["length"])]
        if args.typ.startswith("command:"):
            state.setdefault("stdout", f"{args.name}-stdout")  # what the command printed
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        if args.typ == "aws:lb/loadBalancer:LoadBalancer":
            state["dnsName"] = f"{args.name}.elb.example"
        if args.typ.startswith("aws:"):
            state.setdefault("arn", f"arn:aws:mock:::{args.name}")
            if state.get("name") is None:  # auto-naming (the real one adds a random suffix)
                state["name"] = args.name
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token.startswith("aws:") and not args.provider:
            # The default provider takes its region from the environment of `pulumi up`, not
            # platform.aws.region: a lookup through it would answer for another region.
            raise Exception(f"{args.token} through the default aws provider: pass the stack's own provider")
        if args.token == "aws:ec2/getSubnet:getSubnet":  # an existing subnet: a /20 per id
            n = int(args.args["id"][-1], 16)
            return {"id": args.args["id"], "cidrBlock": f"10.9.{16 * (n % 16)}.0/20",
                    "availabilityZone": [z for z, _, state in REGION_ZONES if state == "available"][n % 4]}
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            # DescribeAvailabilityZones answers every zone of the region, by name, whatever its
            # state, unless asked for one: here us-east-1a is impaired.
            zones = [z for z in REGION_ZONES if args.args.get("state") in (None, z[2])]
            return {"names": [n for n, _, _ in zones], "zoneIds": [i for _, i, _ in zones], "id": "us-east-1"}
        if args.token == "aws:ec2/getAmi:getAmi":
            return _describe_images(args.args)
        return AWS_INVOKES.get(args.token, {})


# The account's view of public images: (id, name, owner, architecture, creation date). Debian's
# account (136693071363) publishes amd64 and arm64 builds; anyone may publish an image whose
# name looks like Debian's, as the last does (newer than all): only `owners` keeps it out.
IMAGES = [
    ("ami-0abcdef1234567890", "debian-12-amd64-20261101-1000", "136693071363", "x86_64", "2026-11-01T10:00:00.000Z"),
    ("ami-0a1a1a1a1a1a1a1a1", "debian-12-amd64-20261001-0900", "136693071363", "x86_64", "2026-10-01T09:00:00.000Z"),
    ("ami-0b2b2b2b2b2b2b2b2", "debian-12-arm64-20261105-1000", "136693071363", "arm64", "2026-11-05T10:00:00.000Z"),
    ("ami-0c3c3c3c3c3c3c3c3", "debian-12-amd64-20261130-0000", "444455556666", "x86_64", "2026-11-30T00:00:00.000Z"),
]


def _describe_images(args: dict) -> dict:
    """aws.ec2.get_ami as EC2's DescribeImages answers it: filters on name (with `*` and `?`)
    and architecture, values case-sensitive as EC2 documents; owners when given; the newest with
    most_recent, else exactly one match; no match is the provider's error."""
    by_filter = {"name": 1, "architecture": 3}
    found = [i for i in IMAGES if (not args.get("owners") or i[2] in args["owners"])
             and all(any(fnmatch.fnmatchcase(i[by_filter[f["name"]]], v) for v in f["values"])
                     for f in args.get("filters") or [])]
    if not found:
        raise Exception("Your query returned no results. Please change your search criteria and try again.")
    if len(found) > 1 and not args.get("mostRecent"):
        raise Exception("Your query returned more than one result. Please try a more specific search criteria, "
                        "or set `most_recent` attribute to true.")
    image = max(found, key=lambda i: i[4])
    return {"id": image[0], "name": image[1], "ownerId": image[2], "architecture": image[3], "creationDate": image[4]}


# The region's zones: (name, zone id, state).
REGION_ZONES = [("us-east-1a", "use1-az6", "impaired"), ("us-east-1b", "use1-az1", "available"),
                ("us-east-1c", "use1-az2", "available"), ("us-east-1d", "use1-az4", "available"),
                ("us-east-1e", "use1-az3", "available")]

# What the AWS API answers the program's lookups with, as a real account would.
AWS_INVOKES = {
    "aws:ec2/getVpc:getVpc": {"cidrBlock": "10.9.0.0/16", "id": "vpc-0"},
}


def _fresh_process() -> None:
    """What a `pulumi up` starts from, being a fresh process: a usable event loop and nothing
    left of another program. The SDK's mock runtime runs on the thread's current loop, which an
    `asyncio.run` elsewhere in this process unsets or a test may close; and the SDK keeps every
    output that failed in `SETTINGS.outputs` to await at exit, so one left by another run (on
    its own, closed loop) would fail this one with "event loop is closed". Clearing them is what
    the SDK's own `pulumi.runtime.test` does before each test."""
    try:
        usable = not asyncio.get_event_loop_policy().get_event_loop().is_closed()
    except RuntimeError:
        usable = False
    if not usable:
        asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()


def evaluate(stack: str, config: Optional[dict[str, Any]] = None, secrets: Optional[dict[str, str]] = None,
             root: Path = ROOT, program: Optional[Callable[[], Any]] = None) -> Deployment:
    """Run the program in `root` for `stack` (its stack file, or `config` instead) and record it.

    `secrets` adds secret config values; `secure:` values in a stack file (which need the
    stack's passphrase to decrypt) are replaced by a placeholder secret. The program's own
    package must be importable from `root` (first on sys.path). `program` runs instead of
    `__main__.py` (the benchmarks' bare SDK program).
    """
    values = dict(stack_config(stack, root) if config is None else config)
    secret_keys = [k for k, v in values.items() if isinstance(v, dict) and "secure" in v]
    values.update({k: MOCK_SECRET for k in secret_keys})
    for k, v in (secrets or {}).items():
        full = k if ":" in k else f"{PROJECT}:{k}"
        values[full] = v
        secret_keys.append(full)

    runtime_config.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}, secret_keys)
    runtime_settings.ROOT.set(None)
    _fresh_process()
    monitor = RecordingMonitor(PlatformMocks())
    set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)

    error = None
    # The program sets the collector for its own process (components/collector.py); each
    # evaluation here starts from this process's settings again, as a fresh `pulumi up` would.
    thresholds = gc.get_threshold()
    try:
        _sync_await(run_pulumi_func(program or (lambda: runpy.run_path(str(root / "__main__.py"), run_name="__main__"))))
    except Exception as e:  # the program's own error is part of what tests assert
        error = e
    finally:
        gc.set_threshold(*thresholds)
    deployment = Deployment(monitor.records, error=error, component_outputs=monitor.component_outputs)
    if error is None:
        root = runtime_settings.get_root_resource()
        for key, value in root.outputs.items():
            out = pulumi.Output.from_input(value)
            deployment.outputs[key] = _sync_await(out.future())
            if _sync_await(out.is_secret()):
                deployment.secret_outputs.add(key)
    return deployment


