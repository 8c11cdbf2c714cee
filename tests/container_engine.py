"""Run recorded `docker.Container` resources on the real engine, as the Docker provider would.

The Pulumi Docker provider cannot run here, so the real local-stack tests turn the provider
inputs the program recorded (camelCase, as the engine sees them) into the `docker create` flags
with the same meaning (the provider's docs map `envs` to the container's Env, `networks_advanced`
to its network attachments and aliases, `uploads` to files written before the start, ...), then
copy the uploads in, join the further networks and start the container.
"""
from __future__ import annotations

import base64

from .realhelpers import copy_in, docker


def _flag_list(flag: str, values) -> list[str]:
    return [a for v in values or [] for a in (flag, str(v))]


def create_argv(inputs: dict, network_names: dict[str, str], images: dict[str, str]) -> list[str]:
    """`docker create ...` for the recorded inputs; `network_names`: recorded network -> real
    name; `images`: the recorded image id of a pulled image -> its reference."""
    i = inputs
    argv = ["create", "--name", i["name"]]
    argv += ["--restart", i["restart"] + (f":{int(i['maxRetryCount'])}" if i.get("maxRetryCount") else "")] \
        if i.get("restart") else []
    nets = i.get("networksAdvanced") or []
    if nets:
        argv += ["--network", network_names[nets[0]["name"]]]
        argv += _flag_list("--network-alias", nets[0].get("aliases"))
    elif i.get("networkMode"):
        argv += ["--network", i["networkMode"]]
    argv += _flag_list("--env", i.get("envs"))
    for p in i.get("ports") or []:
        host = f"{p['ip']}:{int(p['external'])}" if p.get("external") else f"{p['ip']}:"
        argv += ["--publish", f"{host}:{int(p['internal'])}/{p.get('protocol', 'tcp')}"]
    for v in i.get("volumes") or []:
        if v.get("fromContainer"):
            argv += ["--volumes-from", v["fromContainer"]]
            continue
        source = v.get("volumeName") or v.get("hostPath")
        argv += ["--volume", (f"{source}:" if source else "") + v["containerPath"] + (":ro" if v.get("readOnly") else "")]
    argv += [a for m in i.get("mounts") or [] for a in ("--mount", mount_flag(m))]
    for path, opts in (i.get("tmpfs") or {}).items():
        argv += ["--tmpfs", f"{path}:{opts}" if opts else path]
    h = i.get("healthcheck")
    if h:
        kind, *rest = h["tests"]
        argv += ["--health-cmd", rest[0] if kind == "CMD-SHELL" else " ".join(rest),
                 "--health-interval", h["interval"], "--health-timeout", h["timeout"],
                 "--health-retries", str(int(h["retries"])), "--health-start-period", h["startPeriod"]]
    argv += _flag_list("--label", [f"{x['label']}={x['value']}" for x in i.get("labels") or []])
    simple = {"user": "--user", "workingDir": "--workdir", "hostname": "--hostname", "stopSignal": "--stop-signal",
              "ipcMode": "--ipc", "pidMode": "--pid", "runtime": "--runtime"}
    argv += [a for k, flag in simple.items() if i.get(k) for a in (flag, str(i[k]))]
    argv += ["--init"] if i.get("init") else []
    argv += ["--read-only"] if i.get("readOnly") else []
    argv += ["--memory", f"{int(i['memory'])}m"] if i.get("memory") else []
    argv += ["--cpus", str(i["cpus"])] if i.get("cpus") else []
    caps = i.get("capabilities") or {}
    argv += _flag_list("--cap-add", caps.get("adds")) + _flag_list("--cap-drop", caps.get("drops"))
    argv += _flag_list("--add-host", [f"{x['host']}:{x['ip']}" for x in i.get("hosts") or []])
    argv += _flag_list("--sysctl", [f"{k}={v}" for k, v in (i.get("sysctls") or {}).items()])
    argv += _flag_list("--group-add", i.get("groupAdds"))
    if i.get("entrypoints") is not None:
        argv += ["--entrypoint", i["entrypoints"][0] if i["entrypoints"] else ""]
    argv.append(images.get(i["image"], i["image"]))
    argv += list(i.get("entrypoints") or [])[1:] + list(i.get("command") or [])
    return argv


def mount_flag(m: dict) -> str:
    """`docker create --mount` for a recorded mount: the CLI's names for the Mounts API fields
    the provider sets (docker/cli opts/mount.go: readonly, bind-propagation, volume-nocopy,
    volume-subpath, volume-label, tmpfs-size, tmpfs-mode in octal)."""
    bind, volume, tmpfs = m.get("bindOptions") or {}, m.get("volumeOptions") or {}, m.get("tmpfsOptions") or {}
    given = {"source": m.get("source"), "readonly": m.get("readOnly"), "bind-propagation": bind.get("propagation"),
             "volume-nocopy": volume.get("noCopy"), "volume-subpath": volume.get("subpath"),
             "tmpfs-size": int(tmpfs["sizeBytes"]) if tmpfs.get("sizeBytes") else None,
             "tmpfs-mode": f"{int(tmpfs['mode']):o}" if "mode" in tmpfs else None}
    fields = [f"type={m['type']}", f"target={m['target']}"]
    fields += [k if v is True else f"{k}={v}" for k, v in given.items() if v]
    fields += [f"volume-label={x['label']}={x['value']}" for x in volume.get("labels") or []]
    return ",".join(fields)


def run(inputs: dict, network_names: dict[str, str], images: dict[str, str]) -> str:
    """Create, copy the uploads in, join every further network, start; the container's name."""
    docker(*create_argv(inputs, network_names, images))
    name = inputs["name"]
    if inputs.get("uploads"):
        copy_in(name, [(u["file"], u["content"] if "content" in u else base64.b64decode(u["contentBase64"]),
                        u.get("permissions", "0644")) for u in inputs["uploads"]])
    for net in (inputs.get("networksAdvanced") or [])[1:]:
        docker("network", "connect", *[a for alias in net.get("aliases") or [] for a in ("--alias", alias)],
               network_names[net["name"]], name)
    docker("start", name)
    return name


def network_argv(inputs: dict) -> list[str]:
    """`docker network create ...` for a recorded `docker.Network`."""
    argv = ["network", "create", "--driver", inputs.get("driver", "bridge")]
    argv += ["--internal"] if inputs.get("internal") else []
    argv += ["--attachable"] if inputs.get("attachable") else []
    argv += _flag_list("--opt", [f"{k}={v}" for k, v in (inputs.get("options") or {}).items()])
    return [*argv, inputs["name"]]
