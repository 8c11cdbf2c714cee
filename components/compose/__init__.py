"""Service stacks written as ordinary Compose files.

``load_stack`` reads one file, validates it against the Compose Specification schema and the
platform's own rules, and returns a typed ``Stack`` whose services are in dependency order and
whose environment and command values are templates with references to other services'
addresses (``${db.host}:${db.port}``). Every problem is reported with its key path before any
resource exists.
"""
from .model import Mount, Port, Ref, RestartPolicy, Secret, Service, Stack, Template, UpdatePolicy
from .load import SCHEDULERS, load_stack

__all__ = ["Mount", "Port", "Ref", "RestartPolicy", "SCHEDULERS", "Secret", "Service", "Stack",
           "Template", "UpdatePolicy", "load_stack"]
