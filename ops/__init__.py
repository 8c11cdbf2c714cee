"""Operator commands that talk to cloud APIs directly, outside the Pulumi program."""
