"""Helpers for outputs that carry their dependencies."""
from __future__ import annotations

import asyncio
from typing import Iterable

import pulumi


def depending_on(value: pulumi.Input, resources: Iterable[pulumi.Resource]) -> pulumi.Output:
    """`value` as an Output that also depends on `resources`.

    Unlike deriving the value from the resources' ids, the value stays known during preview
    (a plan shows the real connect string), while every resource that takes it as an input
    still gets a dependency edge on `resources`.
    """
    out = pulumi.Output.from_input(value)
    extra = set(resources)

    async def all_resources() -> set:
        return set(await out.resources()) | extra

    return pulumi.Output(asyncio.ensure_future(all_resources()), out.future(), out.is_known(), out.is_secret())
