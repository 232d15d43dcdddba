"""The container image: size by layer, time from container start to health, first-view imports.

    python -m benchmarks.image --image localhost/usage-dashboard:ci [--image LABEL=NAME ...] [--write]

(`scripts/image --bench` builds the image and the baseline, then runs this with --write.)
Each start is a fresh container of the image running the image's own command as the Deployment's
user with a fresh /tmp, timed from `buildah run` to the first HTTP 200 of /_stcore/health. The
port is a free one, given through STREAMLIT_SERVER_PORT (or, for an image whose CMD names a port,
in its place): `buildah run` shares the host's network. --write replaces the "## Image" section
of benchmarks/results.md (appending it when missing) and leaves the rest of the file as it is.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "image"))

from image_buildah import (  # noqa: E402
    Container,
    Layer,
    children,
    image_config,
    image_exists,
    image_layers,
    inspect_image,
    run_options,
    stop,
)
from image_pod import Pod  # noqa: E402

from benchmarks import results_md  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.md"
BASE = "docker.io/library/python:3.11-slim"
SECTION = "## Image"
HEALTH_PATH = "/_stcore/health"
FIRST_IN_LINE = ("nice", "-n", "-20")  # the container's processes before everyone else's
START_TIMEOUT_SECONDS = 120.0
# What a first page view imports (the Usage page in a pod: Streamlit, the data stack, the charts,
# the Kubernetes tenant source), timed in a fresh process of the image.
FIRST_VIEW_IMPORTS = (
    "import time; t = time.perf_counter(); "
    "import streamlit.web.bootstrap, pandas, pyarrow, plotly.graph_objects, kubernetes.client, "
    "usage_core.service, usage_core.charts, usage_core.kube; "
    "print(time.perf_counter() - t)"
)


@dataclass(frozen=True)
class Measured:
    """One image's numbers."""

    label: str
    image: str
    layers: list[Layer]
    base_layers: int
    starts: list[float]
    first_starts: list[float]
    start_cpu: list[float]
    imports: list[float]
    command: str

    @property
    def size(self) -> int:
        """All layers, unpacked."""
        return sum(layer.size for layer in self.layers)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_command(image: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The image's ENTRYPOINT + CMD, and the environment that puts it on `port`."""
    config = image_config(image)
    argv = [*config.entrypoint, *config.cmd]
    if "--server.port" in argv:  # a CMD that names its port: use ours in its place
        argv[argv.index("--server.port") + 1] = str(port)
        return argv, {}
    return argv, {"STREAMLIT_SERVER_PORT": str(port)}


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user + system, with reaped children's) the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def time_start(image: str, pod: Pod, log_dir: Path, launcher: Sequence[str]) -> tuple[float, float, str]:
    """Seconds from `buildah run` to the first healthy answer, the CPU seconds spent by then, and
    the command used."""
    container = Container(image)
    try:
        port = free_port()
        argv, env = start_command(image, port)
        options = run_options(user=pod.user, env=env, tmpfs=pod.empty_dirs)
        log = log_dir / f"{container.name}.log"
        started = time.perf_counter()
        process = container.start(argv, options=options, log=log, launcher=launcher)
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the container exited: {log.read_text(errors='replace')[-2000:]}")
                if time.perf_counter() - started > START_TIMEOUT_SECONDS:
                    raise RuntimeError(f"no health within {START_TIMEOUT_SECONDS:.0f} s")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=1.0).status_code == 200:
                        elapsed = time.perf_counter() - started
                        cpu = cpu_seconds([process.pid, *children(process.pid)])
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        finally:
            stop(process)
        shown = " ".join(["buildah run", *options, "<container>", "--", *argv])
        return elapsed, cpu, shown.replace(str(port), "<port>")
    finally:
        container.remove()


def time_imports(image: str, pod: Pod, launcher: Sequence[str]) -> float:
    """Seconds a fresh process of the image takes to import what a first page view needs."""
    container = Container(image)
    try:
        done = container.run(
            ["python", "-c", FIRST_VIEW_IMPORTS],
            options=run_options(user=pod.user, tmpfs=pod.empty_dirs),
            launcher=launcher,
        )
        if done.returncode != 0:
            raise RuntimeError(f"imports failed in {image}: {done.stderr[-2000:]}")
        return float(done.stdout.strip())
    finally:
        container.remove()


def measure(label: str, image: str, runs: int) -> Measured:
    """Layers, then per run: a start on the shared machine, a start and the first-view imports
    with the container's processes first in line for a core (`nice -n -20`: what an idle machine
    gives), each in a new container."""
    pod = Pod.from_deploy()
    layers = image_layers(image)
    base = set(inspect_image(BASE)["OCIv1"]["rootfs"]["diff_ids"]) if image_exists(BASE) else set()
    base_layers = sum(1 for layer in layers if layer.diff_id in base)
    starts, first_starts, start_cpu, imports, command = [], [], [], [], ""
    with tempfile.TemporaryDirectory(prefix="bench-image-") as folder:
        for i in range(runs):
            seconds, cpu, command = time_start(image, pod, Path(folder), ())
            first, _, _ = time_start(image, pod, Path(folder), FIRST_IN_LINE)
            starts.append(seconds)
            first_starts.append(first)
            start_cpu.append(cpu)
            imports.append(time_imports(image, pod, FIRST_IN_LINE))
            print(
                f"[image] {label}: run {i + 1}/{runs}: start to health {seconds:.2f} s "
                f"({cpu:.2f} s CPU), {first:.2f} s first in line",
                file=sys.stderr,
            )
    return Measured(label, image, layers, base_layers, starts, first_starts, start_cpu, imports, command)


def mb(size: int) -> str:
    """Bytes as MB (10^6), one decimal."""
    return f"{size / 1e6:,.1f} MB"


def instruction(layer: Layer, from_base: bool) -> str:
    """A layer's instruction, short enough for a table cell."""
    if from_base:
        return f"the base image, `{BASE}`"
    text = re.sub(r"^/bin/sh -c (#\(nop\) )?", "", layer.created_by).strip()
    if text in ("", "/bin/sh"):  # a committed container, squashed
        return "the whole file system, squashed into one layer"
    text = re.sub(r"\s+", " ", text).replace("|", "\\|")
    return f"`{text[:90]}{'...' if len(text) > 90 else ''}`"


def spread(values: Sequence[float]) -> str:
    """Median with the range."""
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def render(results: list[Measured], runs: int, load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The "## Image" section."""
    lines = [
        SECTION,
        "",
        "The container image built from `deploy/Dockerfile` with buildah on the local stand-in for "
        "`python:3.11-slim` (`../shared/container/stand-in-base`, Debian bookworm's Python 3.11, 248 MB; "
        "the official slim image is smaller). Written by `scripts/image --bench` "
        "(`python -m benchmarks.image --write`); the rest of this file is not touched.",
        "",
        f"- run: {datetime.now(UTC):%Y-%m-%dT%H:%M:%S+00:00}; {runs} starts per image, "
        "each in a new container",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()} on the host, "
        f"{platform.platform()}; load average at start {load[0]}, at end {load[1]}",
        "",
        "| image | size (unpacked) | start to health, shared machine | CPU time to health "
        "| start to health, first in line | first-view imports, first in line |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.label} (`{result.image}`) | {mb(result.size)} | {spread(result.starts)} "
            f"| {spread(result.start_cpu)} | {spread(result.first_starts)} | {spread(result.imports)} |"
        )
    for result in results:
        lines += ["", f"### {result.label}: layers", "", "| layer | size | made by |", "|---|---|---|"]
        for number, layer in enumerate(result.layers, 1):
            made_by = instruction(layer, from_base=number <= result.base_layers)
            lines.append(f"| {number} | {mb(layer.size)} | {made_by} |")
        lines += ["", f"Start command: `{result.command}`."]
    lines += [
        "",
        'Images: `scripts/image --bench` builds "before" from the Dockerfile and ignore file of '
        'the baseline commit with today\'s sources, "after" from today\'s, and "after, without '
        'bytecode" from "after" with every `__pycache__` folder of `/opt/venv` removed, squashed '
        "into one layer (so its size is the size it would have if built so).",
        "",
        "Start to health: from `buildah run` to the first HTTP 200 of `/_stcore/health`, the "
        "Deployment's probe (Streamlit answers it once its server runs, before any page is drawn). "
        "Medians of the runs, with their range. "
        "Shared machine: as it comes, on a machine other people's test runs keep busy (see the load "
        "averages); the wall time then is mostly waiting for a core. "
        "CPU time to health: user and system time of `buildah run` and everything it started, up "
        "to that answer; the start is one thread importing Python, so this is the best estimate "
        "here of the wall time on an idle core. First in line: the same start under "
        "`nice -n -20`; that puts the container's processes ahead of other processes of their own "
        "group only, so it still waits for a core (one start traced: 2.6 s of its 4.4 s on the "
        "run queue). "
        "First-view imports: a fresh `python` in the image importing Streamlit, pandas, pyarrow, "
        "plotly's graph objects, the Kubernetes client and the dashboard's service, charts and "
        "Kubernetes source: what the first page view of a pod pays on top of the start.",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the "## Image" section of results.md, or append it; keep everything else."""
    results_md.replace_section(path, SECTION, text)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the images named, print the section, and write it with --write."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image", description=__doc__)
    parser.add_argument(
        "--image", action="append", required=True, help="NAME or LABEL=NAME (repeat to compare images)"
    )
    parser.add_argument("--runs", type=int, default=7, help="starts per image (default 7)")
    parser.add_argument("--write", action="store_true", help="write the section into benchmarks/results.md")
    args = parser.parse_args(argv)
    load_start = tuple(round(x, 1) for x in os.getloadavg())
    results = []
    for item in args.image:
        label, _, name = item.rpartition("=")
        results.append(measure(label or name, name, args.runs))
    load_end = tuple(round(x, 1) for x in os.getloadavg())
    text = render(results, args.runs, (load_start, load_end))
    print(text)
    if args.write:
        write_section(text)
        print(f"[image] wrote the {SECTION!r} section of {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
