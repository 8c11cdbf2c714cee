"""The agent watch: what an agent instance does for its auto scaling group, from the instance.

- **A dead agent is replaced, in every group.** The group's own checks are EC2's (a load
  balancer's would fail every agent that runs no public task, see agents.py), which see a
  running instance whose mesos-agent died as healthy. The watch reads the agent container's
  Docker health (its `/health` check) and, once Docker calls it `unhealthy`, tells the group
  (`SetInstanceHealth`, which the group ignores during its grace period after launch).
- **An agent leaves drained.** Every termination (scale-in, instance refresh, an unhealthy
  instance) waits in the group's termination lifecycle hook. The watch sees the instance's
  target lifecycle state turn `Terminated` (IMDS `autoscaling/target-lifecycle-state`), stops
  Docker from restarting the agent, and sends it SIGUSR1: Mesos 1.7's agent then unregisters
  from the master and shuts its frameworks' executors down (src/slave/slave.cpp, `signaled` and
  `shutdown`), so the master removes it at once and Marathon starts its tasks elsewhere, instead
  of after the 75 s ping timeout. It waits for the agent to exit (up to `DRAIN_S`) and completes
  the lifecycle action; if it cannot, the hook's timeout lets the termination go on anyway.

The group's name is looked up from the instance (`DescribeAutoScalingInstances`): it is
auto-named, so not known when the launch template is written.
"""
from __future__ import annotations

import shlex

NAME = "agent-watch"
LIFECYCLE_HOOK = "drain-agent"
DRAIN_S = 600  # the executors' shutdown and the tasks' kill grace periods fit well inside
HOOK_TIMEOUT_S = DRAIN_S + 300
POLL_S = 10
# The instance role's rights for the watch (iam.py adds them, on its own group only).
GROUP_ACTIONS = ["autoscaling:SetInstanceHealth", "autoscaling:CompleteLifecycleAction"]
DESCRIBE_ACTION = "autoscaling:DescribeAutoScalingInstances"  # takes no resource-level condition


def script(agent: str, region: str) -> str:
    """POSIX sh for the host (root, systemd keeps it running); `agent` is the agent container's
    name. IMDS is overridable for tests (`IMDS=...`)."""
    a, r = shlex.quote(agent), shlex.quote(region)
    return f"""\
#!/bin/sh
# The agent watch (components/aws/agent_watch.py): replace a dead agent, drain one that goes.
set -u
IMDS=${{IMDS:-http://169.254.169.254}}
meta() {{
  token=$(curl -fsS -X PUT "$IMDS/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') &&
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"
}}
until id=$(meta instance-id); do sleep {POLL_S}; done
while :; do
  state=$(meta autoscaling/target-lifecycle-state || echo unknown)
  if [ "$state" = Terminated ]; then
    echo "draining {agent}: the instance is leaving its group"
    docker update --restart=no {a} >/dev/null 2>&1 || true
    docker kill --signal USR1 {a} >/dev/null 2>&1 || true
    timeout {DRAIN_S} docker wait {a} >/dev/null 2>&1 || echo "{agent} did not stop within {DRAIN_S} s"
    group=$(aws autoscaling describe-auto-scaling-instances --region {r} --instance-ids "$id" \\
      --query 'AutoScalingInstances[0].AutoScalingGroupName' --output text)
    aws autoscaling complete-lifecycle-action --region {r} --auto-scaling-group-name "$group" \\
      --lifecycle-hook-name {LIFECYCLE_HOOK} --instance-id "$id" --lifecycle-action-result CONTINUE
    exec sleep 86400  # the instance is going; systemd must not start the watch (and a drain) again
  fi
  health=$(docker inspect --format '{{{{if .State.Health}}}}{{{{.State.Health.Status}}}}{{{{end}}}}' {a} 2>/dev/null || echo absent)
  if [ "$state" = InService ] && [ "$health" = unhealthy ]; then
    echo "{agent} is unhealthy: asking the group to replace this instance"
    aws autoscaling set-instance-health --region {r} --instance-id "$id" --health-status Unhealthy || true
  fi
  sleep {POLL_S}
done
"""
