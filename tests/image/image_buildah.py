"""Buildah as the image tests and the image benchmark use it: inspect an image, run its containers.

`buildah run` with chroot isolation shares the host's network and PID namespace and honours the
image's USER, WORKDIR and ENV; it does not publish ports or make the root file system read-only
(README, "Image"). Every call uses the storage settings of scripts/image.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILDAH_ENV = {"STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}
CONTAINER_PREFIX = "usage-dashboard-check-"
OUTPUT = "/run/check-output"  # where Container.run's commands write their output


class BuildahError(RuntimeError):
    """A buildah command failed; the message carries its stderr."""


def buildah(*args: str, timeout: float = 300.0, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one buildah command to completion."""
    done = subprocess.run(
        ["buildah", *args],
        env={**os.environ, **BUILDAH_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise BuildahError(f"buildah {' '.join(args[:2])} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


def image_exists(image: str) -> bool:
    """Whether the local store holds `image`."""
    return bool(buildah("images", "--quiet", image, check=False).stdout.strip())


def inspect_image(image: str) -> dict[str, Any]:
    """`buildah inspect --type image` as JSON."""
    data: dict[str, Any] = json.loads(buildah("inspect", "--type", "image", image).stdout)
    return data


@dataclass(frozen=True)
class ImageConfig:
    """What the image itself says about how to run it (its OCI config)."""

    user: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: Mapping[str, str]
    workdir: str
    exposed_ports: frozenset[str]


def image_config(image: str) -> ImageConfig:
    """The image's OCI config."""
    config = inspect_image(image)["OCIv1"]["config"]
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    return ImageConfig(
        user=config.get("User", ""),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
        env=env,
        workdir=config.get("WorkingDir", ""),
        exposed_ports=frozenset(config.get("ExposedPorts") or {}),
    )


@dataclass(frozen=True)
class Layer:
    """One file-system layer of an image: its size unpacked and the instruction that made it."""

    diff_id: str
    size: int
    created_by: str


def _layer_sizes() -> dict[str, int]:
    """diff digest -> unpacked size, from the local store's layer index."""
    info = json.loads(buildah("info").stdout)["store"]
    index = Path(info["GraphRoot"]) / f"{info['GraphDriverName']}-layers" / "layers.json"
    entries = json.loads(index.read_text())
    return {e["diff-digest"]: int(e.get("diff-size", 0)) for e in entries if "diff-digest" in e}


def image_layers(image: str) -> list[Layer]:
    """The image's layers, bottom first."""
    oci = inspect_image(image)["OCIv1"]
    diff_ids = oci["rootfs"]["diff_ids"]
    steps = [h.get("created_by", "") for h in oci.get("history", []) if not h.get("empty_layer")]
    if len(steps) != len(diff_ids):  # a base squashed into one layer keeps several history entries
        steps = ["(base image)"] * (len(diff_ids) - len(steps)) + steps[-len(diff_ids) :]
    sizes = _layer_sizes()
    return [Layer(d, sizes.get(d, 0), step) for d, step in zip(diff_ids, steps, strict=True)]


def run_options(
    *,
    user: str | None = None,
    env: Mapping[str, str] | None = None,
    volumes: Iterable[tuple[Path, str]] = (),
    tmpfs: Sequence[str] = ("/tmp",),
) -> list[str]:
    """`buildah run` flags: the user, environment, read-only files mounted, fresh tmpfs mounts."""
    options = [] if user is None else ["--user", user]
    for name, value in (env or {}).items():
        options += ["--env", f"{name}={value}"]
    for source, target in volumes:
        options += ["--volume", f"{source}:{target}:ro"]
    for target in tmpfs:
        options += ["--mount", f"type=tmpfs,destination={target}"]
    return options


class Container:
    """A working container made from an image; `remove()` deletes it."""

    def __init__(self, image: str) -> None:
        name = CONTAINER_PREFIX + uuid.uuid4().hex[:10]
        buildah("from", "--pull=never", "--name", name, image)
        self.name = name

    def rootfs(self) -> Path:
        """The container's root file system, mounted on the host."""
        return Path(buildah("mount", self.name).stdout.strip())

    def run(
        self,
        argv: Sequence[str],
        *,
        options: Sequence[str] = (),
        timeout: float = 120.0,
        launcher: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        """Run one command in the container to completion; never raises on its exit code.

        Its output goes to files on a mounted host folder (OUTPUT) and is read from there:
        buildah 1.28's `run` sometimes drops the output of a command that exits quickly.
        `launcher` goes before `buildah` (e.g. `nice -n -20`).
        """
        with tempfile.TemporaryDirectory(prefix="buildah-run-") as folder:
            os.chmod(folder, 0o777)  # the command may run as any user
            redirect = f'exec "$@" >{OUTPUT}/stdout 2>{OUTPUT}/stderr'
            mount = ["--volume", f"{folder}:{OUTPUT}:rw"]
            inside = ["/bin/sh", "-c", redirect, "sh", *argv]
            done = subprocess.run(
                [*launcher, "buildah", "run", *options, *mount, self.name, "--", *inside],
                env={**os.environ, **BUILDAH_ENV},
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            out, err = (Path(folder) / "stdout", Path(folder) / "stderr")
            if not out.exists():
                raise BuildahError(f"buildah run did not start {argv[0]}: {done.stderr[-2000:]}")
            stdout = out.read_text(errors="replace")
            stderr = err.read_text(errors="replace")
        return subprocess.CompletedProcess(list(argv), done.returncode, stdout, stderr)

    def start(
        self, argv: Sequence[str], *, options: Sequence[str] = (), log: Path, launcher: Sequence[str] = ()
    ) -> subprocess.Popen[bytes]:
        """Start a command in the container in the background, output to `log`."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [*launcher, "buildah", "run", *options, self.name, "--", *argv],
                env={**os.environ, **BUILDAH_ENV},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def remove(self) -> None:
        """Delete the working container (and unmount it)."""
        buildah("rm", self.name, check=False)


def list_files(root: Path) -> list[str]:
    """Every path under a mounted root file system, as the container sees it (directories end in /)."""
    found = []
    for directory, dirs, files in os.walk(root):
        here = "/" + str(Path(directory).relative_to(root)).removeprefix(".").strip("/")
        here = here.rstrip("/")
        found += [f"{here}/{name}/" for name in dirs]
        found += [f"{here}/{name}" for name in files]
    return sorted(found)


def children(pid: int) -> list[int]:
    """Every live descendant of `pid` (the host shares its PID namespace with the container)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@dataclass(frozen=True)
class ProcessInfo:
    """Who a process runs as, from /proc/<pid>/status."""

    pid: int
    argv: tuple[str, ...]
    uids: tuple[int, ...]  # real, effective, saved, file system
    gids: tuple[int, ...]
    groups: tuple[int, ...]
    effective_capabilities: int


def process_info(pid: int) -> ProcessInfo:
    """Read one process's identity."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return ProcessInfo(
        pid=pid,
        argv=tuple(a.decode(errors="replace") for a in argv if a),
        uids=tuple(int(v) for v in fields["Uid"]),
        gids=tuple(int(v) for v in fields["Gid"]),
        groups=tuple(int(v) for v in fields.get("Groups", [])),
        effective_capabilities=int(fields["CapEff"][0], 16),
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a started container command: buildah kills what runs inside when it is terminated."""
    inside = children(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in inside if Path(f"/proc/{pid}").exists()]) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in alive:  # only processes this container started
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
