"""components/outputs.py: `concat` is a drop-in for pulumi's `Output.concat` (value, secrecy,
unknowns, dependencies), with fewer Outputs behind it; `depending_on` adds dependencies and keeps
the rest."""
import asyncio

import pulumi
import pulumi.output
import pytest

from components.outputs import concat, depending_on
from ops.mock_runtime import evaluate

# Each case: the parts, given a resource whose id is an Output carrying a dependency on it.
CASES = {
    "one output": lambda r: ("http://", r.id, ":8080"),
    "an output first and last": lambda r: (r.id, "/", r.id),
    "a secret and an output": lambda r: (pulumi.Output.secret("pw"), "@", r.id),
    "only strings": lambda r: ("a", "b", ""),
    "only an output": lambda r: (r.id,),
}


def _both(parts_of):
    """Evaluate a program that feeds both forms of the same concatenation into a consumer."""
    def program():
        source = pulumi.CustomResource("test:index:Source", "source", {})
        other = pulumi.CustomResource("test:index:Other", "other", {})
        parts = parts_of(source)
        pulumi.CustomResource("test:index:Consumer", "consumer", {
            "sdk": pulumi.Output.concat(*parts), "ours": concat(*parts),
        }, pulumi.ResourceOptions(depends_on=[other]))
        pulumi.export("sdk", pulumi.Output.concat(*parts))
        pulumi.export("ours", concat(*parts))
    d = evaluate("test", {}, program=program)
    assert d.error is None, d.error
    return d


@pytest.mark.parametrize("case", CASES)
def test_concat_matches_the_sdks_value_secrecy_and_dependencies(case):
    d = _both(CASES[case])
    assert d.outputs["ours"] == d.outputs["sdk"]
    assert ("ours" in d.secret_outputs) == ("sdk" in d.secret_outputs)
    (consumer,) = d.of_type("test:index:Consumer")
    assert consumer.inputs["ours"] == consumer.inputs["sdk"]
    assert ("ours" in consumer.secret_inputs) == ("sdk" in consumer.secret_inputs)
    assert sorted(consumer.property_dependencies.get("ours", [])) == \
        sorted(consumer.property_dependencies.get("sdk", []))


def test_concat_keeps_secrets_and_dependencies():
    """Not only equal to the SDK's: the secret stays secret and the source is a dependency."""
    d = _both(CASES["a secret and an output"])
    assert d.outputs["ours"] == "pw@source-id"
    assert "ours" in d.secret_outputs
    (consumer,) = d.of_type("test:index:Consumer")
    (source,) = d.of_type("test:index:Source")
    assert consumer.property_dependencies["ours"] == [source.urn]


def test_an_unknown_part_makes_the_concatenation_unknown():
    """During a preview a part may be unknown (an id not yet created): so is the whole string."""
    async def check():
        loop = asyncio.get_running_loop()

        def done(value):
            f = loop.create_future()
            f.set_result(value)
            return f
        unknown = pulumi.Output(set(), done(None), done(False))
        for parts in ((unknown, ":80"), ("x", unknown, pulumi.Output.from_input("y"))):
            ours, sdk = concat(*parts), pulumi.Output.concat(*parts)
            assert await ours.is_known() is False
            assert await ours.is_known() == await sdk.is_known()
    loop = asyncio.new_event_loop()  # not asyncio.run: it would leave no loop for the mock runtime
    try:
        loop.run_until_complete(check())
    finally:
        loop.close()


def test_concat_makes_fewer_outputs_than_the_sdk():
    """Why it exists: pulumi 3.272's concat lifts each part twice. Counted, not timed."""
    made = []
    track = pulumi.output.Output._track

    def counting(self):
        made.append(self)
        track(self)

    def count(fn):
        made.clear()
        evaluate("test", {}, program=lambda: pulumi.export("x", fn(pulumi.CustomResource("test:index:R", "r", {}))))
        return len(made)

    pulumi.output.Output._track = counting
    try:
        ours = count(lambda r: concat(r.id, ":", "8080"))
        sdk = count(lambda r: pulumi.Output.concat(r.id, ":", "8080"))
    finally:
        pulumi.output.Output._track = track
    assert ours < sdk, (ours, sdk)


def test_a_deferred_output_fails_as_its_source_does():
    """What a consumer of the deferred output awaits ends with the source's own error (a host's
    user data that could not be made says why), not with a wait that never ends."""
    from components.outputs import Deferred

    async def main():
        loop = asyncio.get_running_loop()
        failed, known, secret = loop.create_future(), loop.create_future(), loop.create_future()
        failed.set_exception(ValueError("the source failed"))
        known.set_result(True)
        secret.set_result(False)
        d = Deferred()
        d.supply(pulumi.Output(set(), failed, known, secret))
        with pytest.raises(ValueError, match="the source failed"):
            await asyncio.wait_for(d.output.future(), 5)
    loop = asyncio.new_event_loop()  # not asyncio.run: it would leave no loop for the mock runtime
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_each_evaluation_starts_as_a_fresh_process_would():
    """An `asyncio.run` earlier in the process (it unsets the loop) and an output that failed on
    a loop since closed (the SDK keeps it to await at exit) must not fail the next evaluation:
    CI once lost 458 tests after one test did both."""
    async def leave_a_failed_output():
        loop = asyncio.get_running_loop()
        failed, known, secret = loop.create_future(), loop.create_future(), loop.create_future()
        failed.set_exception(ValueError("left behind"))
        known.set_result(True)
        secret.set_result(False)
        pulumi.Output(set(), failed, known, secret)
    asyncio.run(leave_a_failed_output())
    d = evaluate("test", {}, program=lambda: pulumi.export("x", pulumi.CustomResource("test:index:R", "r", {}).id))
    assert d.error is None, d.error
    assert d.outputs["x"]


def test_depending_on_adds_the_resources_and_keeps_the_value_secret():
    """ZooKeeper's connect string waits on the ensemble's containers this way: a secret given to it
    (a connect string with credentials in it) must reach the consumer as a secret still."""
    def program():
        source = pulumi.CustomResource("test:index:Source", "source", {})
        gate = pulumi.CustomResource("test:index:Gate", "gate", {})
        value = depending_on(pulumi.Output.secret("zk1:2181"), [gate])
        pulumi.CustomResource("test:index:Consumer", "consumer", {"plain": depending_on(source.id, [gate]),
                                                                  "secret": value})
        pulumi.export("secret", value)
    d = evaluate("test", {}, program=program)
    assert d.error is None, d.error
    (consumer,), (gate,), (source,) = d.of_type("test:index:Consumer"), d.of_type("test:index:Gate"), \
        d.of_type("test:index:Source")
    assert consumer.inputs == {"plain": "source-id", "secret": "zk1:2181"}
    assert "secret" in consumer.secret_inputs and "plain" not in consumer.secret_inputs
    assert "secret" in d.secret_outputs
    assert sorted(consumer.property_dependencies["plain"]) == sorted([source.urn, gate.urn])
    assert consumer.property_dependencies["secret"] == [gate.urn]
