"""Agent pools on AWS: a launch template and an auto scaling group per pool, over the private
subnets, replacing any instance that dies; a public pool may sit behind a network load
balancer on the public service ports."""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..hosts.aws import DATA_DEVICE, IMDS_V2, encrypted_volume, packed, resolved, secret_parameters
from ..hosts.cloud_init import INSTANCE_IP, user_data
from ..roles import mesos as role
from ..spec import Environment
from ..spec.model import AgentPool
from ..spec.placement import Instance, PortUse
from . import agent_watch
from .iam import secrets_path


def agent_spec(env: Environment, index: int, pool: AgentPool, zk_connect: pulumi.Input[str], auth: role.AgentAuth):
    """The agent's ContainerSpec: the same role as on other targets, addressed by the
    instance's own IP, which it learns at boot."""
    p = env.platform
    node = Instance("mesos-agent", f"agent-{pool.name}", 0, f"asg-{pool.name}",
                    (PortUse("http", pool.port, f"platform.mesos.agent_pools[{index}].port"),))
    return role.mesos_agent(node, pool, INSTANCE_IP, zk_connect, p.mesos, p.name, public_ports=env.public_ports,
                            auth=auth)


class AgentGroup(pulumi.ComponentResource):
    def __init__(self, name: str, env: Environment, index: int, zk_connect: pulumi.Input[str], auth: role.AgentAuth,
                 subnet_ids: Sequence[pulumi.Input[str]], public_subnet_ids: Sequence[pulumi.Input[str]],
                 vpc_id: pulumi.Input[str], security_group_id: pulumi.Input[str], instance_profile: pulumi.Input[str],
                 ami_id: pulumi.Input[str], public_ports: Sequence[int], provider: aws.Provider,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:aws:AgentGroup", name, None, opts)
        p = env.platform
        pool, a = p.mesos.agent_pools[index], p.aws
        self.pool = pool.name
        self.load_balancer_dns: Optional[pulumi.Output[str]] = None
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        spec = agent_spec(env, index, pool, zk_connect, auth)
        # The agent's credentials: SecureStrings its instances fetch at boot, never user data.
        parameters = {spec.name: secret_parameters(spec, pulumi.get_stack(), self, provider)}
        self.secret_paths = {f"{secrets_path(pulumi.get_stack())}/{spec.name}"} if parameters[spec.name] else set()
        watch = {agent_watch.NAME: agent_watch.script(spec.name, a.region)}
        self.user_data = resolved(spec).apply(lambda plain: user_data([plain], parameters, a.region, host_services=watch))
        # Instances an auto scaling group launches do not get the provider's default tags: the
        # group propagates these, so every agent is found by its stack (ops/aws.py verify).
        stack_tags = {"Name": f"{p.name}-{name}", "container-platform:pool": pool.name,
                      "container-platform:stack": pulumi.get_stack(), "container-platform:platform": p.name}
        ebs = encrypted_volume(a.kms_key_id)
        template = aws.ec2.LaunchTemplate(
            name,
            image_id=ami_id,
            instance_type=pool.instance_type or a.agent_instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(name=instance_profile),
            vpc_security_group_ids=[security_group_id],
            key_name=a.ssh_key_name,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint=IMDS_V2.http_endpoint, http_tokens=IMDS_V2.http_tokens,
                http_put_response_hop_limit=IMDS_V2.http_put_response_hop_limit),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda", ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=a.root_volume_gb, **ebs)),
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=DATA_DEVICE, ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=a.data_volume_gb, **ebs)),
            ],
            user_data=self.user_data.apply(packed),
            update_default_version=True,
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=stack_tags)
                                for kind in ("instance", "volume")],
            opts=child,
        )
        target_groups = []
        if pool.load_balancer and public_ports:
            nlb = aws.lb.LoadBalancer(f"{name}-nlb", load_balancer_type="network", internal=False,
                                      subnets=list(public_subnet_ids), opts=child)
            for port in public_ports:
                tg = aws.lb.TargetGroup(f"{name}-{port}", port=port, protocol="TCP", vpc_id=vpc_id, target_type="instance",
                                        health_check=aws.lb.TargetGroupHealthCheckArgs(protocol="TCP"), opts=child)
                aws.lb.Listener(f"{name}-{port}", load_balancer_arn=nlb.arn, port=port, protocol="TCP",
                                default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)],
                                opts=child)
                target_groups.append(tg.arn)
            self.load_balancer_dns = nlb.dns_name
        self.group = aws.autoscaling.Group(
            name,
            min_size=pool.min_count if pool.min_count is not None else pool.count,
            max_size=pool.max_count if pool.max_count is not None else pool.count,
            desired_capacity=pool.count,
            vpc_zone_identifiers=list(subnet_ids),
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
            # An instance that fails its EC2 checks is terminated and replaced. Not the load
            # balancer's: its target groups check the service ports, which only the agents
            # Marathon placed a public task on answer, so ELB checks would terminate the rest.
            # An instance whose agent died is reported by its agent watch (agent_watch.py).
            health_check_type="EC2",
            health_check_grace_period=600,
            target_group_arns=target_groups or None,
            # Every termination waits for the agent watch to drain the agent.
            initial_lifecycle_hooks=[aws.autoscaling.GroupInitialLifecycleHookArgs(
                name=agent_watch.LIFECYCLE_HOOK, lifecycle_transition="autoscaling:EC2_INSTANCE_TERMINATING",
                heartbeat_timeout=agent_watch.HOOK_TIMEOUT_S, default_result="CONTINUE")],
            # A refresh launches new agents before it drains old ones: capacity never drops
            # below the desired count (at most half again as many run meanwhile).
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling", preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=100, max_healthy_percentage=150)),
            tags=[aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True) for k, v in stack_tags.items()],
            opts=child,
        )
        self.register_outputs({"group": self.group.name})

