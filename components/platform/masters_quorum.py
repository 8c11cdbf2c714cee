"""MastersQuorum: the masters' count and quorum change only in the steps Mesos allows.

The masters' replicated log is safe across a change of its size only in the steps of Mesos's
operational guide (docs/operational-guide.md at 1.7.0, "Increasing the quorum size",
"Decreasing the quorum size"):
- up by one quorum (3 -> 5 masters): the masters that run restart with the new quorum, then the
  new ones start with it. A change does exactly that here: members change one at a time in
  their order (rolling.py), and new members come last;
- down by one quorum (5 -> 3) in two runs: first the removed masters go while the others keep
  their quorum (count 3 with `quorum: 3`, which changes no remaining master), then the others
  restart with the smaller quorum (drop the key). In one run the survivors would restart with
  the small quorum while the removed ones still run with the large one: two quorums that need
  not overlap;
- from a single master: the guide wipes its log first (it cannot become a replicated one): a new
  `platform.mesos.masters.log_generation` gives every master a new, empty work volume, and with
  a fresh log any count and quorum may be set.
Pulumi cannot order "remove these, then restart those" within one run, so this resource, which
every master depends on, refuses any other step at preview (its `check` sees the count and
quorum the masters run with), saying which run to make first. The provider keeps every helper
inside the class (dynamic_resources.py).
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi.dynamic as dynamic

from ..dynamic_resources import pickled_by_value, serialized_once


@pickled_by_value
class MastersQuorumProvider(dynamic.ResourceProvider):
    def check(self, olds: dict, news: dict) -> dynamic.CheckResult:
        failures = []
        # An update of a log the masters keep: they run with the old values.
        if olds.get("count") is not None and olds.get("log_generation") == news.get("log_generation"):
            why = self.refusal(int(olds["count"]), int(olds["quorum"]), int(news["count"]), int(news["quorum"]))
            if why:
                failures.append(dynamic.CheckFailure("quorum", why))
        return dynamic.CheckResult(news, failures)

    def create(self, props: dict) -> dynamic.CreateResult:
        return dynamic.CreateResult("mesos-masters", props)

    def diff(self, _id: str, olds: dict, news: dict) -> dynamic.DiffResult:
        changed = any(olds.get(k) != news.get(k) for k in ("count", "quorum", "log_generation"))
        return dynamic.DiffResult(changes=changed)  # an update in place: no replacement

    def update(self, _id: str, _olds: dict, news: dict) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(news)

    def refusal(self, count: int, quorum: int, new_count: int, new_quorum: int) -> Optional[str]:
        """Why going from (count, quorum) to (new_count, new_quorum) in one run could lose the
        replicated log; None if Mesos's guide allows it."""
        key = "platform.mesos.masters"
        if (new_count, new_quorum) == (count, quorum):
            return None
        if count == 1:
            return (f"{key}.count: a single master's log cannot become a replicated one (Mesos operational guide: "
                    "moving out of a single master setup requires wiping the replicated log). To go to "
                    f"{new_count}, raise {key}.log_generation too: every master then starts a new, empty log (the "
                    "registry of agents, maintenance and quotas starts afresh; agents register again)")
        if abs(new_quorum - quorum) > 1:
            return (f"{key}: the quorum may change by one at a time ({quorum} -> {new_quorum} asked); "
                    f"go through {quorum + (1 if new_quorum > quorum else -1)} first, one `pulumi up` each")
        if new_quorum < quorum and new_count != count:
            return (f"{key}: {count} -> {new_count} masters with the quorum {quorum} -> {new_quorum} in one run would "
                    f"restart the remaining masters with quorum {new_quorum} while the removed ones still run with "
                    f"{quorum} (Mesos operational guide, decreasing the quorum size). First set {key}.count: {new_count} "
                    f"with {key}.quorum: {quorum} and run `pulumi up` (the removed masters go, the others are "
                    f"untouched); then remove {key}.quorum and run it again")
        if new_count < count and new_quorum != quorum:
            return f"{key}: masters leave only while the others keep their quorum; keep {key}.quorum: {quorum} for this run"
        return None


class MastersQuorum(dynamic.Resource):
    """Refuses, at preview, a change of the masters' `count` and `quorum` that Mesos does not allow."""

    def __init__(self, name: str, count: int, quorum: int, log_generation: int,
                 opts: Optional[pulumi.ResourceOptions] = None):
        with serialized_once():
            super().__init__(MastersQuorumProvider(), name,
                             {"count": count, "quorum": quorum, "log_generation": log_generation}, opts)
