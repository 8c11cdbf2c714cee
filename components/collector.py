"""The garbage collector, set for an evaluation: a heap that only grows until the deployment ends.

Every resource the program registers keeps its inputs, Outputs, futures and tasks alive until
the engine is done, so nearly everything allocated survives, and CPython's default thresholds
(700, 10, 10) make it walk that growing heap again and again: with 1,000 services, six full
collections of about 0.8 s each and 2,900 young ones were half the evaluation's time
(benchmarks/floor.py, measured with gc.callbacks). Young collections every 50,000 allocations
and full ones a hundred times rarer still free the short-lived cycles the SDK makes (a
closure per `contains_unknowns` call, pulumi/runtime/rpc.py) long before they add up, while
the long-lived heap is walked a few times rather than dozens.

The program runs in a process of its own (the language host starts one per `pulumi up` or
`preview`), so this touches nothing else; ops/mock_runtime.py restores the interpreter's
settings after each evaluation it runs in a shared process.
"""
from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def set_for_evaluation() -> None:
    gc.set_threshold(*THRESHOLDS)
