"""The operator's entry point: one command per stack, with or without the Pulumi CLI.

    python -m ops.up [<stack>] [plan|preview|up|destroy|outputs]      (default: local plan)

`plan` needs nothing but this checkout: the program runs under Pulumi's mock runtime and the
plan lists, per component, what `pulumi up` would create, and the stack outputs it would export
(secrets masked; values only the cloud can tell, such as instance ids, as "known after up").
`preview`, `up`, `destroy` and `outputs` drive the Pulumi CLI through the Automation API,
streaming its progress, with the platform's policy pack (policy/) on preview and up; without the
CLI they print the plan and how to install it (exit 127).
The `local` stack keeps its state in ./.state (file backend) and generates the secrets its
Compose files refer to (`${secret.name}`) on first use, as Pulumi secrets.
"""
from __future__ import annotations

import argparse
import os
import secrets as random_secrets
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent.parent
INSTALL = ("The Pulumi CLI is not installed, and `{action}` needs it. Install it "
           "(https://www.pulumi.com/docs/install/), for example\n"
           "    curl -fsSL https://get.pulumi.com | sh      # then open a new shell\n"
           "and run this command again. The plan above is what it would create.")
# What the mock runtime makes up for values only a real deployment has (ops/mock_runtime.py).
MOCK_MARKS = ("arn:aws:mock:", ".elb.example", "-stdout")


def _short(kind: str) -> str:
    """`docker:index/container:Container` -> `docker:Container`."""
    package, _, rest = kind.partition(":")
    return f"{package}:{rest.rsplit(':', 1)[-1]}" if rest else kind


def _known(value: Any, mock_ids: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _known(v, mock_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v, mock_ids) for v in value]
    if isinstance(value, str) and (value in mock_ids or any(m in value for m in MOCK_MARKS)):
        return "(known after up)"
    return value


# The stack outputs that are web pages, by what they are (each a URL, or a list of them).
PAGES = {"mesos_ui": "Mesos", "marathon_ui": "Marathon", "spark_master_uis": "Spark master", "spark_history_ui": "Spark history"}


def front_doors(outputs: dict[str, Any]) -> list[str]:
    """What to open after `up`, one line each with a full URL (terminals make them clickable):
    the UIs, then every port a Compose stack publishes, with the login each needs."""
    lines = []
    for key, what in PAGES.items():
        urls = outputs.get(key) or []
        for url in [urls] if isinstance(urls, str) else urls:
            lines.append(f"  {what}: {url}")
    for name, stack in (outputs.get("stacks") or {}).items():
        for service, addresses in (stack.get("published") or {}).items():
            lines += [f"  {name}/{service}: http://{a}" for a in addresses]
    if lines and "marathon_credentials" in outputs:
        lines.append("  (Marathon's login: pulumi stack output --show-secrets marathon_credentials; the Mesos UI's: "
                     "mesos_http_credentials)")
    return lines


def plan(stack: str, root: Path = HERE) -> tuple[str, bool]:
    """The offline plan of `stack`, and whether the program evaluated."""
    sys.path.insert(0, str(root))
    from ops.mock_runtime import MOCK_SECRET, evaluate, stack_config
    from ops.review import placeholder_secrets
    stand_ins = placeholder_secrets(root, stack_config(stack, root))
    d = evaluate(stack, secrets=stand_ins, root=root)
    if d.error is not None:
        return f"stack `{stack}` does not evaluate:\n{d.error}\n", False
    top: dict[str, str] = {}  # urn -> the component directly under the stack that holds it
    by_urn = {r.urn: r for r in d.resources}

    def component(urn: str) -> str:
        if urn not in top:
            r = by_urn[urn]
            parent = by_urn.get(r.parent)
            top[urn] = urn if parent is None else component(parent.urn)
        return top[urn]

    counts: dict[str, Counter] = defaultdict(Counter)
    for r in d.resources:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            counts[component(r.urn)][_short(r.type)] += 1
    lines = [f"Offline plan for stack `{stack}`: what `pulumi up` would create (nothing was changed).", ""]
    for urn, kinds in sorted(counts.items(), key=lambda kv: (by_urn[kv[0]].type, by_urn[kv[0]].name)):
        head = by_urn[urn]
        # A component by its kind and name; a resource of the stack's own by its name.
        name = head.name if head.custom else f"{head.type.rsplit(':', 1)[-1]} {head.name}"
        lines.append(f"  {name}: {sum(kinds.values())} "
                     f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    total = sum(sum(k.values()) for k in counts.values())
    lines += [f"  {total} resources in all", "", "Stack outputs:"]
    mock_ids = {f"{r.name}-id" for r in d.resources}
    for key, value in sorted(d.outputs.items()):
        shown = "[secret]" if key in d.secret_outputs else _known(value, mock_ids)
        text = str(shown)
        for secret_value in [*stand_ins.values(), MOCK_SECRET]:
            text = text.replace(secret_value, "[secret]")
        lines.append(f"  {key} = {text}")
    doors = front_doors(_known(d.outputs, mock_ids))
    if doors:
        lines += ["", "Then open:", *doors]
    return "\n".join(lines) + "\n", True


def _local_environment() -> dict[str, str]:
    """The local stack's file backend, as scripts/local-env.sh sets it."""
    (HERE / ".state").mkdir(exist_ok=True)
    return {"PULUMI_BACKEND_URL": f"file://{HERE / '.state'}",
            "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", "")}


def run(stack: str, action: str) -> int:  # pragma: no cover - needs the Pulumi CLI, which cannot run here
    from pulumi import automation as auto
    from ops.mock_runtime import stack_config
    from ops.review import placeholder_secrets
    env = _local_environment() if stack == "local" else {}
    workspace = auto.LocalWorkspaceOptions(work_dir=str(HERE), env_vars=env)
    s = auto.create_or_select_stack(stack_name=stack, work_dir=str(HERE), opts=workspace)
    if stack == "local":
        configured = s.get_all_config()  # keys as "<project>:<key>"
        for name in placeholder_secrets(HERE, stack_config(stack)):
            if f"container-platform:{name}" not in configured and name not in ("sshPrivateKey", "marathonPassword"):
                s.set_config(name, auto.ConfigValue(random_secrets.token_urlsafe(24), secret=True))
    policies = [str(HERE / "policy")]  # the platform's rules, enforced (policy/)
    if action == "preview":
        s.preview(on_output=print, policy_packs=policies)
    elif action == "up":
        s.up(on_output=print, policy_packs=policies)
    elif action == "destroy":
        s.destroy(on_output=print)
    outputs = s.outputs()
    for key, out in outputs.items():
        print(f"{key} = {'[secret]' if out.secret else out.value}")
    if action != "destroy":
        print("\n".join(["", "Open:", *front_doors({k: v.value for k, v in outputs.items() if not v.secret})]))
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.up", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", nargs="?", default="local")
    parser.add_argument("action", nargs="?", default="plan", choices=["plan", "preview", "up", "destroy", "outputs"])
    args = parser.parse_args(argv)
    if not (HERE / "stacks" / f"Pulumi.{args.stack}.yaml").exists():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (HERE / "stacks").glob("Pulumi.*.yaml"))
        print(f"no stack file stacks/Pulumi.{args.stack}.yaml; the stacks are: {', '.join(known)}", file=sys.stderr)
        return 2
    if args.action != "plan" and shutil.which("pulumi"):
        return run(args.stack, args.action)
    if args.action in ("plan", "preview", "up"):
        text, ok = plan(args.stack)
        sys.stdout.write(text)
        if not ok:
            return 1
    if args.action != "plan":
        print(INSTALL.format(action=f"pulumi {args.action}"), file=sys.stderr)
        return 127
    return 0


if __name__ == "__main__":
    sys.exit(main())
