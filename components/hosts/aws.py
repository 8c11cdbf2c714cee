"""AwsHost: an EC2 instance with a fixed private address that runs its ContainerSpecs from
cloud-init.

The instance is created up front (so the roles placed on it can depend on it), with user data
that is completed once every container is placed (`finish`). Secret environment variables go
to SSM Parameter Store as SecureStrings, never into the user data.
"""
from __future__ import annotations

import base64
import dataclasses
import gzip
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..aws.host_healthy import HostHealthy
from ..aws.iam import secrets_path
from ..outputs import Deferred
from ..roles.container import ContainerSpec, slug
from . import cloud_init, health_gate

# One hop: the host's own units (the secrets scripts) and host-networked containers (every
# platform role) reach the metadata service; a task in a bridge network is a hop further and
# gets no instance credentials.
IMDS_V2 = aws.ec2.InstanceMetadataOptionsArgs(http_endpoint="enabled", http_tokens="required",
                                              http_put_response_hop_limit=1)


# A new host boots, installs Docker and pulls its images before its first health check.
BOOT_S = 900

DATA_DEVICE = "/dev/sdf"  # becomes /var/lib/docker (cloud_init.DATA_VOLUME)
STATE_DEVICE = "/dev/sdg"  # the state volume: Docker's named volumes (cloud_init.state_volume_script)


def encrypted_volume(kms_key_id: Optional[str]) -> dict:
    """EBS settings shared by hosts and agent launch templates: encrypted, gp3, gone with the
    instance (what must outlive it is on the host's state volume, see AwsHost.run)."""
    return dict(encrypted=True, kms_key_id=kms_key_id, volume_type="gp3", delete_on_termination=True)


def resolved(spec: ContainerSpec) -> pulumi.Output[ContainerSpec]:
    """The spec with every input a plain string. Secret values are left out (their keys stay,
    so the unit knows to fetch them)."""
    env_keys, file_keys = list(spec.env), list(spec.files)
    return pulumi.Output.all(list(spec.args), [spec.env[k] for k in env_keys], [spec.files[k] for k in file_keys]).apply(
        lambda v: dataclasses.replace(spec, args=tuple(v[0]), env=dict(zip(env_keys, v[1])),
                                      files=dict(zip(file_keys, v[2])), secret_env={k: "" for k in spec.secret_env},
                                      secret_files={k: "" for k in spec.secret_files},
                                      secret_files_base64={k: "" for k in spec.secret_files_base64}))


def secret_parameters(spec: ContainerSpec, stack: str, parent: pulumi.Resource,
                      provider: aws.Provider) -> dict[str, str]:
    """Each secret of `spec` as an SSM SecureString; {key: parameter name}, as
    cloud_init.secrets_script reads them. Env vars by name, files by their absolute path."""
    names = {}
    for key, value in [*spec.secret_env.items(), *spec.secret_files.items(), *spec.secret_files_base64.items()]:
        names[key] = f"{secrets_path(stack)}/{spec.name}/{slug(key) if key.startswith('/') else key}"
        aws.ssm.Parameter(f"{spec.name}-{slug(key)}", name=names[key], type="SecureString",
                          value=value, opts=pulumi.ResourceOptions(parent=parent, provider=provider))
    return names


def packed(text: str) -> str:
    """gzip + base64: cloud-init unpacks it, and EC2's 16 KB user-data limit goes further."""
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


def unpacked(value: str) -> str:
    """The user data `packed` made, as cloud-init reads it."""
    return gzip.decompress(base64.b64decode(value)).decode()


class AwsHost(pulumi.ComponentResource):
    def __init__(self, name: str, platform_name: str, stack: str, address: pulumi.Input[str],
                 subnet_id: pulumi.Input[str], security_group_ids: Sequence[pulumi.Input[str]],
                 instance_profile: pulumi.Input[str], ami_id: pulumi.Input[str], instance_type: str,
                 region: str, root_gb: int, data_gb: int, kms_key_id: Optional[str], key_name: Optional[str],
                 protect: bool, termination_protection: bool, roles: Sequence[str], provider: aws.Provider,
                 zone: pulumi.Input[str], state_gb: int, rolling: bool = False,
                 after: Optional[pulumi.Resource] = None, opts: Optional[pulumi.ResourceOptions] = None):
        """`zone` is the subnet's availability zone, where the host's state volume is made. A
        `rolling` host (one with a member of a quorum role) gets a health gate, `ready`; it is
        replaced only after `after` (the previous rolling host's gate) has passed."""
        super().__init__("container-platform:hosts:AwsHost", name, None, opts)
        self.name, self.stack, self.region = name, stack, region
        self._platform_name, self._zone, self._state_gb, self._kms_key_id = platform_name, zone, state_gb, kms_key_id
        # Not `_protect`: that is the SDK's own attribute, which every child would inherit.
        self._protect_state = protect
        self.state_volume: Optional[aws.ebs.Volume] = None
        self.address = pulumi.Output.from_input(address)
        self._provider = provider
        self._specs: list[ContainerSpec] = []
        self._parameters: dict[str, dict[str, str]] = {}
        self._user_data = Deferred()
        self._gate_script, self._gate_timeout = Deferred(), Deferred()  # once every container is placed
        self.user_data: Optional[pulumi.Output[str]] = None  # the rendered text, after finish()
        volume = encrypted_volume(kms_key_id)
        self.instance = aws.ec2.Instance(
            name,
            ami=ami_id,
            instance_type=instance_type,
            subnet_id=subnet_id,
            private_ip=address,  # fixed: connect strings and server lists never churn
            vpc_security_group_ids=list(security_group_ids),
            iam_instance_profile=instance_profile,
            key_name=key_name,
            metadata_options=IMDS_V2,
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(volume_size=root_gb, **volume),
            ebs_block_devices=[aws.ec2.InstanceEbsBlockDeviceArgs(device_name=DATA_DEVICE, volume_size=data_gb, **volume)],
            user_data_base64=self._user_data.output,
            # Containers are defined by the user data: a change replaces the host (the old one
            # goes first, as the new one takes the same address).
            user_data_replace_on_change=True,
            # Termination protection guards against a terminate from the console or the CLI; the
            # provider refuses to destroy such an instance unless force_destroy (aws 7.x), and a
            # change rolls hosts by replacing them, one at a time (health_gate.py).
            disable_api_termination=termination_protection or None,
            force_destroy=termination_protection or None,
            tags={"Name": f"{platform_name}-{name}", "container-platform:roles": ",".join(roles)},
            volume_tags={"Name": f"{platform_name}-{name}"},
            # Not `protect`ed: what must survive is on the state volume (protected, retained), and
            # a protected instance could never be replaced, so no change could roll.
            opts=pulumi.ResourceOptions(parent=self, provider=provider, delete_before_replace=True,
                                        depends_on=[after] if after is not None else None),
        )
        self.ready: Optional[HostHealthy] = HostHealthy(
            f"{name}{health_gate.GATE_SUFFIX}", self.instance.id, self._gate_script.output, region,
            self._gate_timeout.output, opts=pulumi.ResourceOptions(parent=self)) if rolling else None

    def run(self, spec: ContainerSpec, parent: pulumi.Resource, protect: bool = False,
            depends_on: Sequence[pulumi.Resource] = ()) -> aws.ec2.Instance:
        self._specs.append(spec)
        self._parameters[spec.name] = secret_parameters(spec, self.stack, parent, self._provider)
        if any(v.persistent for v in spec.volumes) and self.state_volume is None:
            self._keep_state()
        return self.instance

    def _keep_state(self) -> None:
        """ZooKeeper's data and the masters' replicated log outlive the instance: Docker's named
        volumes live on an EBS volume of their own, kept when the host is destroyed or replaced
        (retain_on_delete; protected with the host) and attached to each instance that takes the
        host's place, in the same zone. Detaching stops the instance first, so the file system
        is unmounted cleanly."""
        self.state_volume = aws.ebs.Volume(
            f"{self.name}-state", availability_zone=self._zone, size=self._state_gb, type="gp3", encrypted=True,
            kms_key_id=self._kms_key_id, tags={"Name": f"{self._platform_name}-{self.name}-state"},
            opts=pulumi.ResourceOptions(parent=self, provider=self._provider, protect=self._protect_state,
                                        retain_on_delete=True))
        aws.ec2.VolumeAttachment(
            f"{self.name}-state", device_name=STATE_DEVICE, volume_id=self.state_volume.id,
            instance_id=self.instance.id, stop_instance_before_detaching=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self._provider))

    @property
    def secret_paths(self) -> set[str]:
        """The SSM path of each container here that has secrets (its parameters are under it)."""
        return {f"{secrets_path(self.stack)}/{name}" for name, params in self._parameters.items() if params}

    def shell(self, *_args, **_kwargs):
        raise NotImplementedError("EC2 hosts run containers from cloud-init; nothing else runs on them")

    def gate(self, name: str, member: pulumi.Resource, specs: Sequence[ContainerSpec],
             parent: pulumi.Resource) -> pulumi.Resource:
        """A change replaces the whole host, so the gate is the host's own (AwsTarget chains
        the rolling hosts)."""
        return self.ready if self.ready is not None else self.instance

    def when_changed(self, name: str, script: pulumi.Input[str], timeout_s: int, parent: pulumi.Resource,
                     depends_on: Sequence[pulumi.Resource] = (), *, purpose: str) -> pulumi.Resource:
        """Through SSM Run Command, as the host's gate is (HostHealthy: nothing on create, the
        script on every change, its own words on failure); a host that boots first is waited for."""
        return HostHealthy(name, self.instance.id, script, self.region, timeout_s + BOOT_S, purpose,
                           opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))

    def finish(self) -> None:
        state = self.state_volume.id if self.state_volume is not None else None
        self.user_data = pulumi.Output.all(state, *[resolved(s) for s in self._specs]).apply(
            lambda v: cloud_init.user_data(v[1:], self._parameters, self.region, v[0]))
        self._user_data.supply(self.user_data.apply(packed))
        # The boot (packages, image pulls) comes before the first health check.
        timeout = health_gate.budget_s(self._specs, boot_s=BOOT_S)
        self._gate_script.supply(health_gate.wait_script(health_gate.gated(self._specs), timeout))
        self._gate_timeout.supply(timeout)
        self.register_outputs({"address": self.address, "instance_id": self.instance.id})
