"""Layer 2: pure functions from the spec (and `pulumi.Input` addresses) to ContainerSpecs.

Nothing here registers a Pulumi resource, so every role is unit-tested as plain Python.
"""
