"""VPC with a public and a private subnet per zone, internet gateway, NAT, route tables; or an
existing VPC's subnets."""
from __future__ import annotations

import ipaddress
from typing import Optional

import pulumi
import pulumi_aws as aws

from ..spec.model import Aws

SUBNET_PREFIX = 20  # /16 VPC: 16 subnets of 4091 addresses
PRIVATE_OFFSET = 8  # private subnets start at the 9th /20, public ones at the 1st
FIRST_HOST = 10  # fixed host addresses start here (AWS reserves the first 4 of a subnet)


def subnet_cidrs(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(public, private) CIDRs, one of each per zone."""
    blocks = list(ipaddress.ip_network(vpc_cidr).subnets(new_prefix=SUBNET_PREFIX))
    return [str(b) for b in blocks[:zones]], [str(b) for b in blocks[PRIVATE_OFFSET:PRIVATE_OFFSET + zones]]


def host_address(private_cidr: str, index: int) -> str:
    """The fixed private address of the index-th host in a zone."""
    return str(ipaddress.ip_network(private_cidr).network_address + FIRST_HOST + index)


class AwsNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    private_cidrs: list[pulumi.Input[str]]
    private_zones: list[pulumi.Input[str]]  # each private subnet's availability zone
    cidr: pulumi.Input[str]

    def __init__(self, name: str, spec: Aws, provider: aws.Provider,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("container-platform:aws:Network", name, None, opts)
        self._provider = provider
        if spec.network:
            self._existing(spec)
        else:
            self._create(name, spec)
        self.register_outputs({"vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids})

    def _opts(self, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._provider, **extra)

    def _existing(self, spec: Aws) -> None:
        n = spec.network
        self.vpc_id = pulumi.Output.from_input(n.vpc_id)
        self.public_subnet_ids = [pulumi.Output.from_input(i) for i in n.public_subnet_ids]
        self.private_subnet_ids = [pulumi.Output.from_input(i) for i in n.private_subnet_ids]
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self._provider)
        subnets = [aws.ec2.get_subnet_output(id=i, opts=invoke) for i in n.private_subnet_ids]
        self.private_cidrs = [s.cidr_block for s in subnets]
        self.private_zones = [s.availability_zone for s in subnets]
        self.cidr = aws.ec2.get_vpc_output(id=n.vpc_id, opts=invoke).cidr_block

    def _create(self, name: str, spec: Aws) -> None:
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self, provider=self._provider)).names
        public_cidrs, private_cidrs = subnet_cidrs(spec.vpc_cidr, spec.zones)
        self.cidr, self.private_cidrs = spec.vpc_cidr, list(private_cidrs)
        self.private_zones = [zones.apply(lambda names, z=z: names[z]) for z in range(spec.zones)]
        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=spec.vpc_cidr, enable_dns_hostnames=True, enable_dns_support=True,
                          tags={"Name": name}, opts=self._opts())
        self.vpc_id = vpc.id
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": name}, opts=self._opts())
        public_rt = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc.id, tags={"Name": f"{name}-public"},
                                       routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
                                       opts=self._opts())
        self.public_subnet_ids, self.private_subnet_ids = [], []
        nats: list[aws.ec2.NatGateway] = []
        for z in range(spec.zones):
            az = zones.apply(lambda names, z=z: names[z])
            public = aws.ec2.Subnet(f"{name}-public-{z}", vpc_id=vpc.id, cidr_block=public_cidrs[z], availability_zone=az,
                                    tags={"Name": f"{name}-public-{z}", "tier": "public"}, opts=self._opts())
            aws.ec2.RouteTableAssociation(f"{name}-public-{z}", subnet_id=public.id, route_table_id=public_rt.id, opts=self._opts())
            self.public_subnet_ids.append(public.id)
            if z == 0 or spec.nat_gateways == "per_zone":
                eip = aws.ec2.Eip(f"{name}-nat-{z}", domain="vpc", tags={"Name": f"{name}-nat-{z}"}, opts=self._opts())
                nats.append(aws.ec2.NatGateway(f"{name}-nat-{z}", allocation_id=eip.id, subnet_id=public.id,
                                               tags={"Name": f"{name}-nat-{z}"}, opts=self._opts(depends_on=[igw])))
            private = aws.ec2.Subnet(f"{name}-private-{z}", vpc_id=vpc.id, cidr_block=private_cidrs[z], availability_zone=az,
                                     tags={"Name": f"{name}-private-{z}", "tier": "private"}, opts=self._opts())
            # Private hosts reach the internet (image pulls, packages, SSM) through a NAT gateway:
            # their zone's, or the single shared one.
            private_rt = aws.ec2.RouteTable(
                f"{name}-private-{z}", vpc_id=vpc.id, tags={"Name": f"{name}-private-{z}"},
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nats[-1].id)],
                opts=self._opts())
            aws.ec2.RouteTableAssociation(f"{name}-private-{z}", subnet_id=private.id, route_table_id=private_rt.id,
                                          opts=self._opts())
            self.private_subnet_ids.append(private.id)
