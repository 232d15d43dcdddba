"""The image as built: its config agrees with the Deployment, its files hold nothing that should not
ship, and the Deployment's user can write nowhere but /tmp."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from image_buildah import OUTPUT, Container, image_config, list_files, run_options
from image_pod import Pod

pytestmark = [pytest.mark.image, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
LISTING = REPO / "artifacts" / "image-files.txt"
VENV = "/opt/venv"
# Never in an image: version control, environments, test and tool caches, the pip cache.
FORBIDDEN_NAMES = {
    ".git",
    ".venv",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
    "secrets.toml",
    "secrets.example.toml",
}
APP_DIRECTORIES = {"views", "dashboard", ".streamlit"}  # besides the *.py modules at the top


def _slim_venv() -> ModuleType:
    """deploy/slim_venv.py, for its list of what the build removes."""
    spec = importlib.util.spec_from_file_location("slim_venv", REPO / "deploy" / "slim_venv.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_the_image_runs_what_the_deployment_expects(image: str, pod: Pod) -> None:
    config = image_config(image)
    assert pod.command == (None, None)  # the pod runs the image's own ENTRYPOINT and CMD
    assert config.entrypoint == ()
    assert config.cmd == ("streamlit", "run", "app.py")
    assert config.user == pod.user == f"{pod.run_as_user}:{pod.run_as_group}"
    port = int(config.env["STREAMLIT_SERVER_PORT"])
    assert port == pod.port("http")
    assert config.exposed_ports == {f"{port}/tcp"}
    assert config.env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0"  # the kubelet and the Service reach it
    assert config.env["STREAMLIT_SERVER_HEADLESS"] == "true"
    assert pod.probes, "the Deployment has no probes"
    assert set(pod.probes.values()) == {("/_stcore/health", port)}
    home = pod.env({"litellm-master-key": "-", "cookie-secret": "-"})["HOME"]
    assert config.env["HOME"] == home
    assert home in pod.empty_dirs  # Streamlit writes under $HOME: the writable emptyDir
    # Streamlit reads .streamlit/secrets.toml from its working directory: the Secret is mounted there.
    assert pod.secret_file("secrets.toml") == f"{config.workdir}/.streamlit/secrets.toml"
    assert config.env["PATH"].split(":")[0] == f"{VENV}/bin"


def test_the_image_holds_the_app_and_nothing_that_should_not_ship(container: Container) -> None:
    root = container.rootfs()
    files = list_files(root)
    LISTING.parent.mkdir(parents=True, exist_ok=True)
    LISTING.write_text("\n".join(files) + "\n")  # the listing, for a person to read (git-ignored)
    assert len(files) > 10_000, "the listing is suspiciously short"

    forbidden = [f for f in files if FORBIDDEN_NAMES & set(f.rstrip("/").split("/"))]
    assert not forbidden, forbidden[:20]
    ours = [f for f in files if f.startswith(("/app/", f"{VENV}/"))]
    assert not [f for f in ours if "/tests/" in f], "test suites shipped"
    assert not [f for f in files if f.startswith("/app/") and "__pycache__" in f], "bytecode caches of /app"
    # (The base image keeps the wheels of ensurepip; the build must leave none of its own.)
    built = [f for f in files if f.startswith(("/app/", f"{VENV}/", "/root/", "/wheels/", "/src/"))]
    assert not [f for f in built if f.endswith(".whl")], "wheels left behind"
    assert not [f for f in files if "/.cache/" in f], "a cache directory (pip's?) shipped"
    assert [f for f in files if f.startswith("/tmp/") and f != "/tmp/"] == []

    app = [f.removeprefix("/app/") for f in files if f.startswith("/app/") and f != "/app/"]
    top = {f.split("/")[0] for f in app}
    assert {"app.py", "views", ".streamlit"} <= top
    assert not [t for t in top if not (t.endswith(".py") or t in APP_DIRECTORIES)], top
    assert [f for f in app if f.startswith(".streamlit/")] == [".streamlit/", ".streamlit/config.toml"]


def test_what_the_build_removes_stays_out_and_the_cli_is_installed(container: Container) -> None:
    root = container.rootfs()
    site_packages = next((root / VENV.lstrip("/") / "lib").glob("python3.*/site-packages"))
    slim = _slim_venv()
    for rule in slim.RULES:
        for pattern in rule.site_packages:
            assert not list(site_packages.glob(pattern)), (rule.why, pattern)
        for pattern in rule.prefix:
            assert not list((root / VENV.lstrip("/")).glob(pattern)), (rule.why, pattern)
    assert (root / VENV.lstrip("/") / "bin" / "usage-dashboard").is_file()
    assert (site_packages / "usage_core" / "cli.py").is_file()


def test_the_deployment_user_can_write_nowhere_but_tmp(container: Container, pod: Pod) -> None:
    # The pod's root file system is read-only; `buildah run` cannot make it so, so list what the
    # pod's user could write on the root file system (/proc, /sys, /dev are other mounts).
    listing = ["find", "/", "-xdev", "(", "-path", "/tmp", "-o", "-path", OUTPUT, ")", "-prune"]
    listing += ["-o", "-writable", "-print"]
    as_user = container.run(listing, options=run_options(user=pod.user, tmpfs=pod.empty_dirs))
    problems = [line for line in as_user.stderr.splitlines() if "Permission denied" not in line]
    assert as_user.returncode in (0, 1) and not problems, as_user.stderr[-2000:]
    assert as_user.stdout.split() == []

    # The same listing as root finds everything: the check can see a writable path when there is one.
    as_root = container.run(listing, options=run_options(user="0:0", tmpfs=pod.empty_dirs))
    assert len(as_root.stdout.split()) > 10_000

    writes = container.run(
        ["sh", "-c", 'touch /tmp/probe && echo "$HOME"'],
        options=run_options(user=pod.user, tmpfs=pod.empty_dirs),
    )
    assert writes.returncode == 0, writes.stderr
    assert writes.stdout.strip() == "/tmp"
