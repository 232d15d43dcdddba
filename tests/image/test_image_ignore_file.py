"""deploy/Dockerfile.dockerignore, applied by buildah to a context holding everything a developer's
checkout may hold: exactly the app's files pass, whatever is moved into dashboard/."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from image_buildah import Container, buildah, list_files

pytestmark = [pytest.mark.image, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
LET_IN = {
    "pyproject.toml",
    "README.md",
    "app.py",
    "ui.py",
    "report_view.py",
    "dashboard/__init__.py",
    "dashboard/session.py",
    "views/usage.py",
    "usage_core/__init__.py",
    "usage_core/cli.py",
    ".streamlit/config.toml",
    "deploy/requirements.lock",
    "deploy/slim_venv.py",
}
KEPT_OUT = {
    ".streamlit/secrets.toml",
    ".streamlit/secrets.example.toml",
    ".git/HEAD",
    ".venv/bin/python",
    ".gitignore",
    "tests/test_app.py",
    "tests/e2e/conftest.py",
    "benchmarks/results.md",
    "scripts/test",
    "seed/route.ts",
    "artifacts/screenshots/member.png",
    "deploy/deployment.yaml",
    "deploy/Dockerfile",
    "__pycache__/app.cpython-311.pyc",
    "usage_core/__pycache__/cli.cpython-311.pyc",
    "views/__pycache__/usage.cpython-311.pyc",
    "dashboard/__pycache__/session.cpython-311.pyc",
    ".pytest_cache/v/cache/lastfailed",
    ".mypy_cache/3.11/cache.db",
    ".ruff_cache/CACHEDIR.TAG",
    "usage_dashboard.egg-info/PKG-INFO",
    "build/lib/usage_core/cli.py",
}


def test_only_the_apps_files_reach_the_build(image: str, tmp_path: Path) -> None:
    context = tmp_path / "context"
    for name in LET_IN | KEPT_OUT:
        path = context / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"canary {name}\n")
    containerfile = tmp_path / "Containerfile"
    containerfile.write_text("FROM scratch\nCOPY . /context/\n")
    tag = f"localhost/usage-dashboard-ignore-check:{uuid.uuid4().hex[:10]}"
    buildah(
        "bud",
        "--quiet",
        "--pull-never",
        "-f",
        str(containerfile),
        "--ignorefile",
        str(REPO / "deploy" / "Dockerfile.dockerignore"),
        "-t",
        tag,
        str(context),
    )
    copied = Container(tag)
    try:
        files = {f.removeprefix("/context/") for f in list_files(copied.rootfs()) if not f.endswith("/")}
    finally:
        copied.remove()
        buildah("rmi", tag, check=False)
    assert files == LET_IN
