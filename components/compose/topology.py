"""The dependency graph of a stack: every edge checked, then services in dependency order."""
from __future__ import annotations

import dataclasses
import graphlib
from typing import Mapping, MutableMapping, Optional

from .model import Ref, Service
from .problems import Problems


def check_references(s: Service, known: Mapping[str, Service], declared: set[str],
                     inactive: Mapping[str, list[str]], out: Problems) -> None:
    """`declared`: every service in the file, including those refused (their own problems are
    reported; a reference to one is not a second problem); `inactive`: those left out by their
    profiles, with the profiles."""
    def absent(name: str) -> str:
        if name in inactive:
            return (f"'{name}' is not deployed: none of its profiles ({', '.join(inactive[name])}) is active; "
                    "activate one under platform.stacks[].profiles")
        return f"no service named '{name}' in this file; services are: {', '.join(sorted(declared))}"

    for dep in s.depends_on:  # one out of its profiles was dropped or refused where it was read
        if dep not in declared:
            out.add(f"{s.key}.depends_on", absent(dep))
    for source in s.engine.volumes_from:
        if source not in declared:
            out.add(f"{s.key}.volumes_from", absent(source))
    for key, other in s.namespaces_shared().items():
        if other == s.name:
            out.add(f"{s.key}.{key}", f"'service:{other}' is the service itself; name another service of the file")
        elif other not in declared:
            out.add(f"{s.key}.{key}", f"'service:{other}': {absent(other)}")
    values = [(f"environment.{k}", v) for k, v in s.environment.items()]
    values += [(f"command[{i}]", v) for i, v in enumerate(s.command or ())]
    for where, template in values:
        for ref in (p for p in template if isinstance(p, Ref)):
            target = known.get(ref.service)
            if ref.service in declared and target is None:
                continue
            if ref.service in inactive:
                out.add(f"{s.key}.{where}", f"{ref}: {absent(ref.service)}")
            elif target is None:
                out.add(f"{s.key}.{where}", f"{ref} refers to an unknown service '{ref.service}'; services are: {', '.join(sorted(declared))}")
            elif ref.service == s.name:
                out.add(f"{s.key}.{where}", f"{ref} refers to the service itself; a service knows its own address")
            elif ref.field == "port" and not target.ports:
                out.add(f"{s.key}.{where}", f"{ref}: '{ref.service}' declares no ports; add `ports` or `expose` to it")
            elif ref.port is not None and ref.port not in [p.target for p in target.ports]:
                out.add(f"{s.key}.{where}", f"{ref}: '{ref.service}' has no container port {ref.port}; "
                                             f"its ports are {', '.join(str(p.target) for p in target.ports)}")


def share_ipc(known: MutableMapping[str, Service], out: Problems) -> None:
    """A service whose IPC namespace another joins (`ipc: service:<it>`) is made `shareable`, as
    the engine lets a container join only a shareable donor's ("non-shareable IPC (hint: use
    IpcMode:shareable for the donor container)", checked on this engine); a donor whose file
    sets another mode is refused."""
    for s in list(known.values()):
        donor = known.get(s.namespaces_shared().get("ipc", ""))
        if donor is None:
            continue
        if donor.engine.ipc is None:
            known[donor.name] = dataclasses.replace(donor, engine=dataclasses.replace(donor.engine, ipc="shareable"))
        elif donor.engine.ipc != "shareable":
            out.add(f"{s.key}.ipc", (f"'service:{donor.name}': {donor.name}'s ipc is {donor.engine.ipc!r}, and the "
                                     "engine lets a container join only a shareable one; drop its ipc or set it "
                                     "to shareable"))


def order(known: Mapping[str, Service], out: Problems) -> Optional[list[str]]:
    """Dependencies first; a cycle is named in full (`a -> b -> a`)."""
    graph = {name: sorted(s.needs()) for name, s in known.items()}
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        cycle = list(reversed(e.args[1]))
        out.add("services", (f"dependency cycle {' -> '.join(cycle)} (through depends_on and ${{...}} "
                             "references); a service cannot start before itself: remove one edge"))
        return None
