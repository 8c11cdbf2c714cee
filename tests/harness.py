"""Run `__main__.py` under Pulumi's mock runtime and record every resource it registers.

Each registration is kept with what the engine would see: type, name, parent, provider,
dependencies (overall and per property), options (protect, retain_on_delete), the inputs and
which of them are secret. Stack outputs are resolved after the program finishes.
"""
from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi.runtime.config as runtime_config
import pulumi.runtime.settings as runtime_settings
import yaml
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks, _sync_await, set_mocks
from pulumi.runtime.stack import run_pulumi_func

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"
PROJECT = "container-platform"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
MOCK_SECRET = "mock-secret-value"


def stack_names() -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in STACKS.glob("Pulumi.*.yaml"))


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text()).get("config", {})


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

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self, urn: str) -> Registered:
        (found,) = [r for r in self.resources if r.urn == urn]
        return found

    def containers(self) -> list[Registered]:
        return self.of_type("docker:index/container:Container")


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
                custom=request.custom,
            ))
        return response


class PlatformMocks(Mocks):
    """Providers answer with their inputs plus the computed outputs the program reads."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == "docker:index/remoteImage:RemoteImage":
            state["imageId"] = f"sha256:{abs(hash(args.inputs['name'])):064x}"[:71]
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def evaluate(stack: str, config: Optional[dict[str, Any]] = None, secrets: Optional[dict[str, str]] = None) -> Deployment:
    """Run the program for `stack` (its stack file, or `config` instead) and record it all.

    `secrets` adds secret config values; `secure:` values in a stack file (which need the
    stack's passphrase to decrypt) are replaced by a placeholder secret.
    """
    values = dict(stack_config(stack) if config is None else config)
    secret_keys = [k for k, v in values.items() if isinstance(v, dict) and "secure" in v]
    values.update({k: MOCK_SECRET for k in secret_keys})
    for k, v in (secrets or {}).items():
        full = k if ":" in k else f"{PROJECT}:{k}"
        values[full] = v
        secret_keys.append(full)

    runtime_config.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}, secret_keys)
    runtime_settings.ROOT.set(None)
    monitor = RecordingMonitor(PlatformMocks())
    set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)

    error = None
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
    except Exception as e:  # the program's own error is part of what tests assert
        error = e
    deployment = Deployment(monitor.records, error=error)
    if error is None:
        root = runtime_settings.get_root_resource()
        for key, value in root.outputs.items():
            out = pulumi.Output.from_input(value)
            deployment.outputs[key] = _sync_await(out.future())
            if _sync_await(out.is_secret()):
                deployment.secret_outputs.add(key)
    return deployment


def env_of(container: Registered) -> dict[str, str]:
    return dict(e.split("=", 1) for e in container.inputs.get("envs", []))


def labels_of(container: Registered) -> dict[str, str]:
    return {label["label"]: label["value"] for label in container.inputs.get("labels", [])}


def role_of(container: Registered) -> str:
    return labels_of(container)["container-platform/role"]


def uploads(container: Registered) -> dict[str, str]:
    """The files written into a container before it starts, by path."""
    return {u["file"]: u["content"] for u in container.inputs.get("uploads", [])}
