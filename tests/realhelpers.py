"""Shared helpers for tests that start real components; each stops what it starts."""
from __future__ import annotations

import io
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from typing import Callable

# Debian's client matches Debian's engine; the newer client on PATH may not.
DOCKER = "/usr/bin/docker" if shutil.which("/usr/bin/docker") else "docker"
BASE_IMAGE = "local/debian:bookworm"
STANDIN_IMAGE = "local/standin:1"  # tests/images/standin, built by scripts/setup.sh


def docker(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, check=check, timeout=timeout)


def wait_for(what: str, probe: Callable[[], bool], timeout: float = 60, every: float = 0.5,
             explain: Callable[[], str] = lambda: "") -> None:
    """Until `probe()` holds; on a timeout, the error ends with `explain()` (what the components
    said), so a failure in CI can be read without running it again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except Exception:
            pass
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{explain()}".rstrip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def consecutive_free_ports(n: int) -> int:
    """The first of `n` consecutive free loopback ports (instances sharing a machine take
    consecutive ports from a base, so tests pass a base with room after it)."""
    while True:
        base = free_port()
        if base + n < 65535 and all(_is_free(base + i) for i in range(n)):
            return base


def free_port_blocks(*sizes: int) -> list[int]:
    """The bases of disjoint blocks of consecutive free ports, one per size, cut from one free
    range: picked one by one, a block may start inside another's (nothing binds them between
    picks), which the platform's own clash check rightly refuses."""
    base = consecutive_free_ports(sum(sizes))
    return [base + sum(sizes[:i]) for i in range(len(sizes))]


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def copy_in(container: str, files: list[tuple[str, str | bytes, str]]) -> None:
    """Write (absolute path, content, octal mode) into a created container, owned by root, as
    `docker cp` of a tar stream does (what the Docker provider's uploads and cloud-init's units do)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for path, content, mode in files:
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.uid, info.gid = len(data), int(mode, 8), 0, 0
            tar.addfile(info, io.BytesIO(data))
    subprocess.run([DOCKER, "cp", "-", f"{container}:/"], input=out.getvalue(), check=True, capture_output=True)


def remove_leftovers(*prefixes: str) -> None:
    """Remove the containers, volumes and networks named `<prefix>-...` that a run killed before
    its clean-up left behind (a CI run on the same engine then failed: "the container name is
    already in use"). Only for prefixes that tests own, never a user's platform name."""
    for kind, listing in (("container", ["ps", "-a", "--format", "{{.Names}}"]),
                          ("volume", ["volume", "ls", "--format", "{{.Name}}"]),
                          ("network", ["network", "ls", "--format", "{{.Name}}"])):
        found = [n for n in docker(*listing).stdout.split() if n.startswith(tuple(f"{p}-" for p in prefixes))]
        if found:
            docker(kind, "rm", *(["-f"] if kind == "container" else []), *found, check=False)
