"""What every Pulumi dynamic resource of this program needs (MarathonApp, HostHealthy).

Their providers are pickled into the state and run in Pulumi's provider host, without this
project on the path: each provider class keeps its helpers as methods and is pickled by value.
"""
from __future__ import annotations

import contextlib
import pickle
from typing import Iterator

import pulumi.dynamic as dynamic
import pulumi.dynamic.dynamic as dynamic_module

_serialized: dict[type, str] = {}
_sdk_serialize_provider = dynamic_module.serialize_provider


def pickled_by_value(cls: type) -> type:
    """Make dill store the class and its methods by value, not as `components....` references:
    Pulumi's provider host unpickles them without this project on its path (pulumi/pulumi#7453).
    dill pickles by value what it cannot find by module and name."""
    cls.__module__ = "__main__"
    for member in vars(cls).values():
        if callable(member) and hasattr(member, "__module__"):
            member.__module__ = "__main__"
    return cls


def _serialize_once(provider: dynamic.ResourceProvider) -> str:
    """The SDK's `serialize_provider`, once per provider class (every resource of a kind carries
    the same stateless provider, so the same bytes), undoing what it leaves behind.

    pulumi 3.272's serialize_provider swaps `pickle.Pickler` for `pickle._Pickler`, wraps that
    class's `_batch_setitems` and `save_dict`, and restores only `pickle.Pickler`: every call
    wraps the previous wrapper, so each dynamic resource pickles slower than the last and a few
    hundred of them end in RecursionError (compare pulumi/pulumi#17803;
    tests/test_marathon_app.py keeps a minimal reproduction)."""
    if type(provider) not in _serialized:
        batch_setitems, save_dict = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict  # type: ignore[attr-defined]
        try:
            _serialized[type(provider)] = _sdk_serialize_provider(provider)
        finally:
            pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = batch_setitems, save_dict  # type: ignore[attr-defined]
    return _serialized[type(provider)]


@contextlib.contextmanager
def serialized_once() -> Iterator[None]:
    """Around `dynamic.Resource.__init__`, which reads `serialize_provider` by name."""
    dynamic_module.serialize_provider = _serialize_once
    try:
        yield
    finally:
        dynamic_module.serialize_provider = _sdk_serialize_provider
