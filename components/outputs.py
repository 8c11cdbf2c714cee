"""Helpers for outputs that carry their dependencies."""
from __future__ import annotations

import asyncio
from typing import Iterable

import pulumi


def concat(*parts: pulumi.Input[str]) -> pulumi.Output[str]:
    """`pulumi.Output.concat` for parts that are strings or Outputs, at the cost of one apply.

    pulumi 3.272's `Output.concat` lifts every part twice (`from_input` in `concat`, then again
    in `Output.all`), and lifting an Output is an `apply`: an address `host:port` cost eight
    Outputs and six asyncio tasks where this takes one of each. Secrecy, unknowns and resource
    dependencies carry over as they do through `apply`; tests/test_outputs.py compares both.
    """
    outputs = [p for p in parts if isinstance(p, pulumi.Output)]
    if len(outputs) + sum(isinstance(p, str) for p in parts) != len(parts):  # futures and the like
        return pulumi.Output.concat(*parts)
    if len(outputs) == 1:
        return outputs[0].apply(lambda value: "".join(value if isinstance(p, pulumi.Output) else p for p in parts))

    def join(values: list) -> str:
        found = iter(values)
        return "".join(next(found) if isinstance(p, pulumi.Output) else p for p in parts)

    return pulumi.Output.all(*outputs).apply(join) if outputs else pulumi.Output.from_input("".join(parts))  # type: ignore[arg-type]


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


class Deferred:
    """An Output whose value is supplied later, with `supply(output)`.

    Lets a resource be created now with an input that is complete only once the program has
    placed everything (an EC2 host's user data lists every container it runs). The value
    carries no resource dependencies of its own: that is the point of deferring it.
    """

    def __init__(self) -> None:
        loop = asyncio.get_event_loop()
        self._value, self._known, self._secret = loop.create_future(), loop.create_future(), loop.create_future()
        self.output: pulumi.Output = pulumi.Output(set(), self._value, self._known, self._secret)

    def supply(self, source: pulumi.Input) -> None:
        out = pulumi.Output.from_input(source)

        async def copy() -> None:
            try:
                self._known.set_result(await out.is_known())
                self._secret.set_result(await out.is_secret())
                self._value.set_result(await out.future())
            except Exception as e:  # surface the failure on the deferred output's consumers
                for f in (self._known, self._secret, self._value):
                    if not f.done():
                        f.set_exception(e)

        asyncio.ensure_future(copy())
