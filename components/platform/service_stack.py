"""ServiceStack: a Compose file deployed on its scheduler, dependencies first.

Each service's environment and command are rendered with the addresses of the services it
refers to; those values are outputs of the referenced services' resources, and each service's
resources also depend on everything in its `depends_on`, so Pulumi creates them in order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import pulumi

from ..compose import Stack
from ..outputs import concat
from ..services.addresses import Address, render
from .schedulers import Scheduler


@dataclass(frozen=True)
class ServiceStackArgs:
    stack: Stack  # the Compose file, loaded and checked (compose/)
    scheduler: Callable[[pulumi.Resource], Scheduler]  # made with the stack's component as parent (schedulers.py)
    secret: Callable[[str], pulumi.Output[str]]  # a Pulumi secret by name (`${secret.<name>}`)


class ServiceStack(pulumi.ComponentResource):
    addresses: dict[str, pulumi.Output[str]]  # "host:port" of each service's first port
    published: dict[str, list[pulumi.Input[str]]]  # "host:port" of each port a service publishes

    def __init__(self, args: ServiceStackArgs, opts: Optional[pulumi.ResourceOptions] = None):
        stack, secret = args.stack, args.secret
        super().__init__("container-platform:stacks:ServiceStack", stack.name, None, opts)
        on = args.scheduler(self)
        self.resources: dict[str, list[pulumi.Resource]] = {}
        found: dict[str, Address] = {}
        self.addresses = {}
        self.published = {}
        for s in stack.services:  # dependencies first
            env = {k: render(v, found, secret) for k, v in s.environment.items()}
            args = [render(v, found, secret) for v in (s.command or ())]
            needs = [r for n in sorted(s.needs()) for r in self.resources[n]]
            self.resources[s.name], found[s.name] = on.deploy(s, env, args, parent=self, depends_on=needs)
            if s.ports:
                self.addresses[s.name] = concat(found[s.name].host, ":", str(found[s.name].port()))
            if on.published(s):
                self.published[s.name] = on.published(s)
        self.register_outputs({"addresses": self.addresses, "published": self.published})
