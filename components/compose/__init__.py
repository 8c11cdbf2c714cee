"""Service stacks written as ordinary Compose files.

``load_stack`` reads one file as docker compose reads it (variables, ``.env``, ``env_file``,
include/extends/profiles), validates it against the Compose Specification schema and judges
every key by its scheduler's rule (keys.py), and returns a typed ``Stack`` whose services are in
dependency order and whose environment and command values are templates with references to other
services' addresses (``${db.host}:${db.port}``). Every problem is reported with its key path
before any resource exists; keys without effect come back as the stack's warnings.
"""
from .model import Mount, Port, Ref, RestartPolicy, Secret, Service, Stack, Template, UpdatePolicy
from .load import SCHEDULERS, load_stack

__all__ = ["Mount", "Port", "Ref", "RestartPolicy", "SCHEDULERS", "Secret", "Service", "Stack",
           "Template", "UpdatePolicy", "load_stack"]
