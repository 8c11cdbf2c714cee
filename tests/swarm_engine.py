"""Create recorded `docker.Service` resources on the real engine, as the Docker provider would.

The Pulumi Docker provider cannot run here, so the real Swarm test sends the engine the
ServiceSpec that provider builds from the same arguments (field by field, as its docs map
`task_spec.container_spec.image` to `TaskTemplate.ContainerSpec.Image`, and so on), through the
Engine API on the local socket.
"""
from __future__ import annotations

import http.client
import json
import socket
from typing import Any, Optional

from components.compose.fields import duration

API = "/v1.41"  # Docker 20.10


def ns(text: Optional[str]) -> Optional[int]:
    """A duration as the Engine API wants it: nanoseconds."""
    return None if text is None else round(duration(text) * 10**9)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def service_spec(inputs: dict, network_ids: dict[str, str], object_ids: Optional[dict[str, str]] = None) -> dict:
    """Recorded inputs (camelCase, as the engine sees them) -> Engine API ServiceSpec.
    `network_ids` maps the recorded network reference to the real network's id, `object_ids` the
    recorded id of a Swarm config or secret to the real one's."""
    object_ids = object_ids or {}
    task, c = inputs["taskSpec"], inputs["taskSpec"]["containerSpec"]
    health = c.get("healthcheck")
    restart, placement = task.get("restartPolicy", {}), task.get("placement", {})
    update, endpoint = inputs.get("updateConfig", {}), inputs.get("endpointSpec", {})
    limits = (task.get("resources") or {}).get("limits") or {}
    return _drop_none({
        "Name": inputs["name"],
        "Labels": {item["label"]: item["value"] for item in inputs.get("labels", [])},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": c["image"],
                "Command": c.get("commands"),
                "Args": c.get("args"),
                "Env": [f"{k}={v}" for k, v in (c.get("env") or {}).items()] or None,
                "HealthCheck": {
                    "Test": health["tests"], "Interval": ns(health.get("interval")), "Timeout": ns(health.get("timeout")),
                    "Retries": int(health.get("retries", 0)), "StartPeriod": ns(health.get("startPeriod")),
                } if health else None,
                "Mounts": [{"Target": m["target"], "Source": m.get("source"), "Type": m["type"],
                            "ReadOnly": m.get("readOnly")} for m in c.get("mounts", [])] or None,
                "Configs": [{"File": {"Name": x["fileName"], "UID": x.get("fileUid", "0"), "GID": x.get("fileGid", "0"),
                                      "Mode": int(x.get("fileMode", 0o444))},
                             "ConfigID": object_ids[x["configId"]], "ConfigName": x["configName"]}
                            for x in c.get("configs", [])] or None,
                "Secrets": [{"File": {"Name": x["fileName"], "UID": x.get("fileUid", "0"), "GID": x.get("fileGid", "0"),
                                      "Mode": int(x.get("fileMode", 0o444))},
                             "SecretID": object_ids[x["secretId"]], "SecretName": x["secretName"]}
                            for x in c.get("secrets", [])] or None,
            },
            "RestartPolicy": {
                "Condition": restart.get("condition"), "Delay": ns(restart.get("delay")),
                "MaxAttempts": int(restart.get("maxAttempts", 0)), "Window": ns(restart.get("window")),
            },
            "Placement": {"Constraints": placement.get("constraints"),
                          "MaxReplicas": int(placement["maxReplicas"]) if placement.get("maxReplicas") else None},
            "Resources": {"Limits": {"NanoCPUs": int(limits["nanoCpus"]) if "nanoCpus" in limits else None,
                                     "MemoryBytes": int(limits["memoryBytes"]) if "memoryBytes" in limits else None}},
            "Networks": [{"Target": network_ids[n["name"]], "Aliases": n.get("aliases")}
                         for n in task.get("networksAdvanceds", [])],
        },
        "Mode": {"Replicated": {"Replicas": int(inputs["mode"]["replicated"]["replicas"])}},
        "UpdateConfig": {
            "Parallelism": int(update.get("parallelism", 1)), "Delay": ns(update.get("delay")),
            "FailureAction": update.get("failureAction"), "Monitor": ns(update.get("monitor")),
            "MaxFailureRatio": float(update.get("maxFailureRatio", 0)), "Order": update.get("order"),
        },
        "EndpointSpec": {
            "Mode": endpoint.get("mode"),
            "Ports": [{"TargetPort": int(p["targetPort"]), "PublishedPort": int(p["publishedPort"]),
                       "Protocol": p.get("protocol"), "PublishMode": p.get("publishMode")}
                      for p in endpoint.get("ports", [])] or None,
        },
    })


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str = "/var/run/docker.sock"):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def engine(method: str, path: str, body: Any = None) -> Any:
    connection = _UnixConnection()
    try:
        connection.request(method, API + path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read().decode()
    finally:
        connection.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data}")
    return json.loads(data) if data else None
