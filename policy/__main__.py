"""The platform's rules as a Pulumi CrossGuard policy pack, for any stack of this program (or
another that uses its components):

    pulumi preview --policy-pack policy        # from the project root

The rules themselves are plain functions in platform_rules.py (tested over every stack's
resources under the mock runtime, tests/test_policy.py); this file only hands them to Pulumi.
"""
import os
import sys

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platform_rules  # noqa: E402  (beside this file, which the CLI runs as a script)

PolicyPack(
    name="container-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *[ResourceValidationPolicy(name=name, description=description, validate=platform_rules.on_resource(rule))
          for name, description, rule in platform_rules.RESOURCE_RULES],
        *[StackValidationPolicy(name=name, description=description, validate=platform_rules.on_stack(rule))
          for name, description, rule in platform_rules.STACK_RULES],
    ],
)
