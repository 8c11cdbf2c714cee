"""Offline review of a change: what every stack would register before and after it, with no
cloud credentials and no Pulumi CLI (the program runs under the mock runtime).

    python -m ops.review --base origin/main > review.md
    python -m ops.review --base origin/main --changed-aws-stacks stacks.json

Each stack is evaluated at the base revision (a temporary git worktree) and in the working tree,
each in a process of its own. The report lists, per stack, the resources added, removed and
changed (the inputs that changed, as a diff; EC2 user data decoded), and the stack outputs that
changed. Secret inputs are masked and no real secret is ever decrypted: the stack's secrets are
placeholders.
"""
from __future__ import annotations

import argparse
import base64
import difflib
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import yaml

HERE = Path(__file__).resolve().parent.parent
SECRET_REF = re.compile(r"\$\{secret\.([A-Za-z][A-Za-z0-9_-]*)\}")
BUILT_IN_SECRETS = ("sshPrivateKey", "marathonPassword")
MAX_DIFF_LINES = 80
STACK_REMOVED = "the change removes this stack"


# -- one stack at one revision (run in a fresh process: the program's package is imported
#    from `root`, which may be another revision) ----------------------------------------------

def placeholder_secrets(root: Path, config: dict) -> dict[str, str]:
    platform = config.get("container-platform:platform") or {}
    names = set(BUILT_IN_SECRETS)
    for stack in platform.get("stacks") or []:
        path = root / str(stack.get("file", ""))
        if path.is_file():
            names |= set(SECRET_REF.findall(path.read_text()))
    return {n: f"placeholder-{n}" for n in sorted(names)}


def _readable(key: str, value: Any) -> Any:
    """EC2 user data is gzip + base64 (`hosts.aws.packed`, not imported: see _Literal): decode
    it so a diff shows the cloud-config."""
    if key in ("userDataBase64", "userData") and isinstance(value, str):
        try:
            return gzip.decompress(base64.b64decode(value)).decode()
        except (ValueError, OSError):
            return value
    return value


def snapshot(root: Path, stack: str) -> dict:
    # The evaluator is this checkout's (`ops` is already imported from here); the program, its
    # `components` package, comes from `root`, which may be another revision.
    sys.path.insert(0, str(root))
    from ops.mock_runtime import MOCK_SECRET, evaluate, stack_config
    config = stack_config(stack, root)
    secrets = placeholder_secrets(root, config)
    d = evaluate(stack, secrets=secrets, root=root)
    if d.error is not None:
        return {"error": str(d.error)}
    snap = {
        "target": (config.get("container-platform:platform") or {}).get("target", "local"),
        "resources": {r.urn: {"type": r.type, "name": r.name, "dependencies": r.dependencies, "inputs": {
            k: _readable(k, v) for k, v in r.inputs.items() if k != "__provider"}} for r in d.resources},
        "outputs": d.outputs,
    }
    # Every secret is a placeholder; say which one wherever it went, so a diff still shows a
    # change around it (a new variable next to a password) without showing any value.
    text = json.dumps(snap, default=str)
    for name, value in [*secrets.items(), ("secure value", MOCK_SECRET)]:
        text = text.replace(value, f"[secret {name}]")
    return json.loads(text)


def snapshot_in_subprocess(root: Path, stack: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "ops.review", "snapshot", "--root", str(root), "--stack", stack],
                         cwd=HERE, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["evaluation failed"])[-1]}
    return json.loads(run.stdout)


# -- comparing -------------------------------------------------------------------------------

class _Literal(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so a diff shows the lines of a rendered file.
    (cloud_init.py has the same dumper; this module must not import `components`, which the
    snapshot process loads from the revision under review.)"""


_Literal.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def _text(value: Any) -> list[str]:
    return yaml.dump(value, Dumper=_Literal, sort_keys=True, width=1000).splitlines()


def value_diff(key: str, before: Any, after: Any) -> list[str]:
    lines = list(difflib.unified_diff(_text(before), _text(after), f"{key} (base)", f"{key} (change)", lineterm="", n=2))
    return lines[:MAX_DIFF_LINES] + ([f"... {len(lines) - MAX_DIFF_LINES} more lines"] if len(lines) > MAX_DIFF_LINES else [])


def compare(before: dict, after: dict) -> dict:
    b, a = before.get("resources", {}), after.get("resources", {})
    changed = {}
    for urn in sorted(b.keys() & a.keys()):
        keys = sorted(k for k in b[urn]["inputs"].keys() | a[urn]["inputs"].keys()
                      if b[urn]["inputs"].get(k) != a[urn]["inputs"].get(k))
        if keys:
            changed[urn] = {k: value_diff(k, b[urn]["inputs"].get(k), a[urn]["inputs"].get(k)) for k in keys}
    outputs = {k for k in before.get("outputs", {}).keys() | after.get("outputs", {}).keys()
               if before.get("outputs", {}).get(k) != after.get("outputs", {}).get(k)}
    return {"added": sorted(a.keys() - b.keys()), "removed": sorted(b.keys() - a.keys()), "changed": changed,
            "outputs": {k: value_diff(k, before.get("outputs", {}).get(k), after.get("outputs", {}).get(k))
                        for k in sorted(outputs)}}


# Whether a change of these inputs replaces the resource or updates it in place, for the kinds
# the program registers. A container's settings are fixed when Docker creates it: `docker update`
# changes only its restart policy and resource limits, so every other input recreates it. An EC2
# instance keeps its AMI, subnet, address, zone, key pair and attached volumes for life, and its
# user data is set to replace (`user_data_replace_on_change`). pulumi-command 1.x replaces a
# command only for new `triggers` (the only field it marks replaceOnChanges); a new `create` or
# `update` is an update that runs the new script. MarathonApp replaces only for a new app id
# (components/platform/marathon_app.py, `diff`); a health gate never replaces.
UPDATABLE = {"docker:index/container:Container": {"restart", "maxRetryCount", "memory", "memorySwap", "cpuShares", "cpuSet"}}
REPLACING = {
    "aws:ec2/instance:Instance": {"ami", "subnetId", "privateIp", "availabilityZone", "keyName",
                                  "ebsBlockDevices", "userDataBase64", "userData"},
    "docker:index/volume:Volume": {"name", "driver", "driverOpts", "labels"},
    "docker:index/remoteImage:RemoteImage": {"name", "platform"},
    "command:remote:Command": {"triggers"},
    "command:local:Command": {"triggers"},
}
# Roles that keep a quorum (or, for Marathon, a leader): replacing a majority of their members at
# once loses it.
QUORUM_ROLES = ("zookeeper", "mesos-master", "marathon")
# The name ending of the program's health gates (components/hosts/health_gate.py GATE_SUFFIX; a
# test keeps the two equal): a member that depends on another's gate changes only once that
# one is healthy again.
GATE_SUFFIX = "-healthy"


def replaces(before: dict, after: dict, keys: list[str]) -> bool:
    """Whether the change of `keys` from `before` to `after` (one resource) replaces it."""
    kind = after["type"]
    if kind in UPDATABLE:
        return any(k not in UPDATABLE[kind] for k in keys)
    if kind == "pulumi-python:dynamic:Resource":
        return "app" in after["inputs"] and (before["inputs"].get("app") or {}).get("id") != after["inputs"]["app"].get("id")
    return bool(REPLACING.get(kind, set()) & set(keys))


def roles_of(resource: dict) -> set[str]:
    """The platform roles a container or an EC2 host carries."""
    inputs = resource["inputs"]
    if resource["type"] == "docker:index/container:Container":
        return {label["value"] for label in inputs.get("labels") or [] if label.get("label") == "container-platform/role"}
    if resource["type"] == "aws:ec2/instance:Instance":
        return set(((inputs.get("tags") or {}).get("container-platform:roles") or "").split(",")) - {""}
    return set()


def waves(snap: dict, going: list[str]) -> list[list[str]]:
    """`going` (replaced members) in the order Pulumi can replace them: a member waits for
    another when it depends, through a health gate, on it; members of one wave may go at once."""
    resources = snap["resources"]
    memo: dict[str, set[str]] = {}

    def ancestors(urn: str) -> set[str]:
        if urn not in memo:
            memo[urn] = set()
            for dep in (resources.get(urn) or {}).get("dependencies") or []:
                memo[urn] |= {dep} | ancestors(dep)
        return memo[urn]

    gates = {u for u, r in resources.items() if r["name"].endswith(GATE_SUFFIX)}
    waits_for = {m: {o for o in going if o != m and any(o in ancestors(g) for g in ancestors(m) & gates)}
                 for m in going}
    wave: dict[str, int] = {}

    def wave_of(m: str) -> int:
        if m not in wave:
            wave[m] = 1 + max((wave_of(o) for o in waits_for[m]), default=-1)
        return wave[m]

    out: list[list[str]] = []
    for m in going:
        while len(out) <= wave_of(m):
            out.append([])
        out[wave_of(m)].append(m)
    return out


def quorum_warnings(after: dict, replaced: list[str]) -> tuple[list[str], list[str]]:
    """Changes that replace more than a minority of a quorum role's members at once (warnings),
    and the order the others roll in (notes)."""
    warnings, notes = [], []
    for role in QUORUM_ROLES:
        members = [u for u, r in after["resources"].items() if role in roles_of(r)]
        going = [u for u in replaced if role in roles_of(after["resources"][u])]
        if not going:
            continue
        order = waves(after, going)
        widest = max(len(w) for w in order)
        if widest > (len(members) - 1) // 2:
            warnings.append(f"replaces {widest} of {len(members)} `{role}` members at once: a quorum needs "
                            f"{len(members) // 2 + 1}, so it is lost until they are back; change them one at a time")
        elif len(going) > 1:
            names = ", then ".join(" and ".join(f"**{after['resources'][u]['name']}**" for u in w) for w in order)
            notes.append(f"`{role}` rolls: {names}, each healthy again before the next goes")
    return warnings, notes


def _label(snap: dict, urn: str) -> str:
    r = snap["resources"][urn]
    return f"`{r['type']}` **{r['name']}**"


def is_changed(before: dict, after: dict, delta: Optional[dict]) -> bool:
    return ("error" in before) != ("error" in after) or before.get("error") != after.get("error") or bool(
        delta and (delta["added"] or delta["removed"] or delta["changed"] or delta["outputs"]))


def policy_violations(snap: dict) -> list[str]:
    """What the platform's policy pack (policy/platform_rules.py, this checkout's) finds in one
    stack's resources: the same rules `pulumi preview --policy-pack policy` enforces."""
    if str(HERE / "policy") not in sys.path:
        sys.path.insert(0, str(HERE / "policy"))
    import platform_rules as rules
    resources = list(snap["resources"].values())
    found = [f"`{r['name']}` ({name}): {message}" for name, _, rule in rules.RESOURCE_RULES
             for r in resources for message in rule(r["type"], r["inputs"])]
    found += [f"({name}): {message}" for name, _, rule in rules.STACK_RULES
              for message in rule([(r["type"], r["inputs"]) for r in resources])]
    return found


def report(base: str, stacks: dict[str, tuple[dict, dict]]) -> str:
    lines = [f"## Offline review against `{base}`", "",
             "Every stack evaluated under Pulumi's mock runtime at the base and with this change "
             "(no credentials; secrets are placeholders, shown as `[secret <name>]`).", "",
             "| stack | added | removed | replaced | updated in place | outputs changed |",
             "| --- | --- | --- | --- | --- | --- |"]
    details = []
    for stack, (_, after) in sorted(stacks.items()):
        violations = policy_violations(after) if "error" not in after else []
        if violations:
            details += [f"### `{stack}`: breaks the platform's rules (policy/)", "",
                        *[f"- {v}" for v in violations], ""]
    for stack, (before, after) in sorted(stacks.items()):
        if after.get("error") == STACK_REMOVED:
            lines.append(f"| `{stack}` | | the whole stack | | | |")
            continue
        if "error" in after:
            lines.append(f"| `{stack}` | **the change does not evaluate** | | | | |")
            details += [f"### `{stack}`: does not evaluate with this change", "", "```", after["error"], "```", ""]
            continue
        if "error" in before:
            lines.append(f"| `{stack}` | {len(after['resources'])} (new, or the base did not evaluate) | | | | |")
            continue
        delta = compare(before, after)
        replaced = [u for u, diffs in delta["changed"].items()
                    if replaces(before["resources"][u], after["resources"][u], list(diffs))]
        lines.append(f"| `{stack}` | {len(delta['added'])} | {len(delta['removed'])} | {len(replaced)} | "
                     f"{len(delta['changed']) - len(replaced)} | {len(delta['outputs'])} |")
        if not is_changed(before, after, delta):
            continue
        details += [f"### `{stack}`", ""]
        warnings, notes = quorum_warnings(after, replaced)
        details += [f"> **Warning**: {w}" for w in warnings] + [f"> **Rolls**: {n}" for n in notes]
        details += [""] if warnings or notes else []
        details += [f"- added {_label(after, u)}" for u in delta["added"]]
        details += [f"- removed {_label(before, u)}" for u in delta["removed"]]
        for urn, diffs in delta["changed"].items():
            how = "replaced" if urn in replaced else "updated in place"
            details += [f"- {how} {_label(after, urn)}: {', '.join(f'`{k}`' for k in diffs)}", "",
                        "  <details><summary>diff</summary>", "", "  ```diff",
                        *[f"  {line}" for d in diffs.values() for line in d], "  ```", "", "  </details>", ""]
        for key, diff in delta["outputs"].items():
            details += [f"- output `{key}`", "", "  ```diff", *[f"  {line}" for line in diff], "  ```", ""]
        details.append("")
    return "\n".join(lines + [""] + details).rstrip() + "\n"


# -- command line ------------------------------------------------------------------------------

def stack_files(root: Path) -> set[str]:
    return {p.name[len("Pulumi."):-len(".yaml")] for p in (root / "stacks").glob("Pulumi.*.yaml")}


def _snapshot_if_present(root: Path, stack: str, absent: str) -> dict:
    if not (root / "stacks" / f"Pulumi.{stack}.yaml").exists():
        return {"error": absent}
    return snapshot_in_subprocess(root, stack)


def broken(stacks: dict[str, tuple[dict, dict]]) -> list[str]:
    """The stacks that do not evaluate with the change (a removed stack is not broken), or that
    break a rule of the policy pack."""
    return sorted(n for n, (_, after) in stacks.items()
                  if ("error" in after and after["error"] != STACK_REMOVED)
                  or ("error" not in after and policy_violations(after)))


def review(base: str, only: list[str], changed_aws: Optional[Path]) -> tuple[str, list[str]]:
    """The report, and the stacks the change breaks."""
    with tempfile.TemporaryDirectory() as tmp:
        worktree = Path(tmp) / "base"
        added = subprocess.run(["git", "worktree", "add", "--detach", str(worktree), base], cwd=HERE,
                               capture_output=True, text=True)
        if added.returncode != 0:
            raise SystemExit(f"cannot check out the base revision {base!r}: {added.stderr.strip()}")
        try:
            names = sorted(set(only) or (stack_files(HERE) | stack_files(worktree)))
            stacks = {name: (_snapshot_if_present(worktree, name, "no such stack at the base"),
                             _snapshot_if_present(HERE, name, STACK_REMOVED)) for name in names}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=HERE, capture_output=True)
    if changed_aws is not None:
        changed = [n for n, (b, a) in stacks.items() if a.get("target") == "aws" and "error" not in a
                   and is_changed(b, a, compare(b, a) if "error" not in b else None)]
        changed_aws.write_text(json.dumps(changed))
    return report(base, stacks), broken(stacks)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.review", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    one = sub.add_parser("snapshot", help="(internal) one stack at one revision, as JSON")
    one.add_argument("--root", type=Path, required=True)
    one.add_argument("--stack", required=True)
    parser.add_argument("--base", default="origin/main", help="the revision to compare with")
    parser.add_argument("--stack", action="append", default=[], help="only these stacks (repeatable)")
    parser.add_argument("--changed-aws-stacks", type=Path, help="write the changed aws-target stacks here, as JSON")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        print(json.dumps(snapshot(args.root.resolve(), args.stack)))
        return 0
    text, failing = review(args.base, args.stack, args.changed_aws_stacks)
    sys.stdout.write(text)
    if failing:  # the report is still written: the PR shows why
        print(f"the change breaks: {', '.join(failing)} (see the report)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
