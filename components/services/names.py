"""Docker object names for a stack's services, networks and volumes: prefixed with the
platform and the stack, so two platforms or stacks can share one engine (as the platform's own
containers are named by `roles.container.container_name`)."""
from __future__ import annotations

from ..roles.container import container_name


def stack_object(platform_name: str, stack: str, *parts: str) -> str:
    """`<platform>-<stack>[-<part>...]`: the stack's network, or one of its services or volumes."""
    return container_name(platform_name, "-".join((stack, *parts)))
