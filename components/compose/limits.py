"""What each scheduler cannot honour, said before anything is deployed."""
from __future__ import annotations

from . import constraints
from .model import Stack
from .problems import Problems


def scheduler_limits(stack: Stack, out: Problems) -> None:
    for s in stack.services:
        if stack.scheduler == "marathon":
            if s.restart.condition != "any":
                out.add(f"{s.key}.restart", (
                    f"Marathon relaunches every task that ends (condition {s.restart.condition!r} cannot be "
                    "honoured); run one-shot jobs with scheduler swarm or local, or use condition any"))
            for i, c in enumerate(s.constraints):
                _, error = constraints.to_marathon(c)
                if error:
                    out.add(f"{s.key}.deploy.placement.constraints[{i}]", error)
        if stack.scheduler == "swarm" and s.endpoint_mode == "dnsrr":
            for i, p in enumerate(s.ports):
                if p.published and p.mode != "host":
                    out.add(f"{s.key}.ports[{i}]", (
                        "endpoint_mode dnsrr has no routing mesh, so a published port needs `mode: host` "
                        "(long port syntax), or use endpoint_mode vip"))
        if stack.scheduler == "local" and s.replicas > 1 and any(p.published for p in s.ports):
            out.add(f"{s.key}.ports", (
                f"{s.replicas} replicas on one machine cannot all bind published port "
                f"{next(p.published for p in s.ports if p.published)}; drop `published` (other services reach "
                "it by ${service.host}) or run one replica"))
