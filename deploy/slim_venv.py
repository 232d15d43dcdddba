"""Slim the image's virtual environment: remove what the dashboard never loads, compile the rest.

Run by deploy/Dockerfile with the environment's own interpreter, right after `pip install`:

    /opt/venv/bin/python deploy/slim_venv.py

Every package of the lock stays installed and importable; only files no code path of the
dashboard reaches go (test suites, headers, type stubs, notebook bundles, optional native
plug-ins, an unused twin client). A rule that matches nothing fails the build: the package's
layout changed, and this list must be looked at again. Then the environment is compiled to
bytecode: the pod's root file system is read-only, so Python could not cache bytecode there, and
without it every start would compile Streamlit, pandas and the Kubernetes client again (seconds).
Last, the modules the dashboard and its libraries import are imported, so that a cut too deep
fails here and not in a pod.
"""

from __future__ import annotations

import compileall
import filecmp
import importlib
import py_compile
import re
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Rule:
    """Paths (globs under site-packages, or under the environment's prefix) and why they go."""

    why: str
    site_packages: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()


RULES = (
    Rule("test suites", site_packages=("**/tests", "pyarrow/_pyarrow_cpp_tests*")),
    Rule("type stubs, for type checkers", site_packages=("**/*.pyi",)),
    Rule(
        "headers and Cython sources, only for compiling against these packages",
        site_packages=(
            "pyarrow/include",
            "pyarrow/includes",
            "pyarrow/src",
            "pyarrow/*.pyx",
            "pyarrow/*.pxd",
            "pyarrow/*.pxi",
            "numpy/_core/include",
        ),
    ),
    Rule(
        "numpy's build tools (Fortran wrappers, the deprecated distutils)",
        site_packages=("numpy/f2py", "numpy/distutils"),
        prefix=("bin/f2py",),
    ),
    Rule(
        "Jupyter front-end bundles: the dashboard runs no notebook",
        site_packages=(
            "pydeck/nbextension/static",
            "plotly/labextension",
            "plotly/package_data/widgetbundle.js",
        ),
        prefix=("share/jupyter",),
    ),
    Rule(
        "pyarrow's Flight RPC, cloud file systems and Parquet encryption: optional plug-ins "
        "(pyarrow.fs and pyarrow.dataset import them only if present), never called here",
        site_packages=(
            "pyarrow/libarrow_flight.so.*",
            "pyarrow/libarrow_python_flight.so*",
            "pyarrow/_flight.*.so",
            "pyarrow/libarrow_s3.so.*",
            "pyarrow/_s3fs.*.so",
            "pyarrow/_gcsfs.*.so",
            "pyarrow/_azurefs.*.so",
            "pyarrow/_hdfs.*.so",
            "pyarrow/libarrow_python_parquet_encryption.so*",
            "pyarrow/_parquet_encryption.*.so",
            "pyarrow/_dataset_parquet_encryption.*.so",
        ),
    ),
    Rule(
        "kubernetes' asyncio client, a generated twin of the synchronous client the dashboard uses "
        "(`import kubernetes` does not load it)",
        site_packages=("kubernetes/aio",),
    ),
)

# What must still import afterwards: the dashboard's own imports and what its libraries load lazily.
MUST_IMPORT = (
    "streamlit",
    "streamlit.web.bootstrap",
    "streamlit.web.server.starlette.starlette_auth_routes",
    "pandas",
    "numpy",
    "pyarrow",
    "pyarrow.compute",
    "pyarrow.csv",
    "pyarrow.dataset",
    "pyarrow.feather",
    "pyarrow.fs",
    "pyarrow.interchange",
    "pyarrow.json",
    "pyarrow.parquet",
    "plotly.graph_objects",
    "plotly.express",
    "plotly.io",
    "pydeck",
    "altair",
    "kubernetes",
    "kubernetes.client",
    "kubernetes.config",
    "kubernetes.watch",
    "authlib.jose",
    "authlib.integrations.starlette_client",
    "httpx",
    "pydantic_settings",
    "stamina",
    "yaml",
)

# Not compiled ahead: plotly.graph_objs' per-object subpackages, about 1,400 generated modules of
# which a figure loads the few it draws (the dashboard's charts: about 30); they compile on first use.
NO_BYTECODE = re.compile(r"/plotly/graph_objs/[^/]+/")

_VERSIONED_SONAME = re.compile(r"\.so\.\d+$")


def remove(path: Path) -> int:
    """Delete a file, link or directory tree; return the bytes it held."""
    if path.is_symlink() or path.is_file():
        size = path.lstat().st_size
        path.unlink()
        return size
    size = sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink() and p.is_file())
    shutil.rmtree(path)
    return size


def apply(rule: Rule, site_packages: Path, prefix: Path) -> int:
    """Remove what one rule names; fail if a pattern matches nothing."""
    freed = 0
    for root, patterns in ((site_packages, rule.site_packages), (prefix, rule.prefix)):
        for pattern in patterns:
            matches = sorted(root.glob(pattern), key=lambda p: len(p.parts))
            if not matches:
                raise SystemExit(f"slim: {root / pattern} matches nothing; check deploy/slim_venv.py")
            for path in matches:
                if path.exists() or path.is_symlink():  # a parent may be gone already
                    freed += remove(path)
    return freed


def link_duplicate_libraries(package: Path) -> int:
    """Replace byte-identical copies of a shared library by links to its runtime name.

    Wheels cannot hold symlinks, so pyarrow ships libX.so, libX.so.N and libX.so.N.M.P as three
    copies; the loader only asks for libX.so.N.
    """
    freed = 0
    for runtime in package.glob("lib*.so.*"):
        if runtime.is_symlink() or not _VERSIONED_SONAME.search(runtime.name):
            continue
        stem = runtime.name[: runtime.name.index(".so.") + 3]
        for copy in package.glob(f"{stem}*"):
            if copy == runtime or copy.is_symlink() or not filecmp.cmp(copy, runtime, shallow=False):
                continue
            freed += copy.stat().st_size
            copy.unlink()
            copy.symlink_to(runtime.name)
    return freed


def main() -> int:
    """Trim this interpreter's environment, report what went, compile it, check the imports."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    prefix = Path(sys.prefix)
    if prefix == Path(sys.base_prefix):
        raise SystemExit("slim: run with the virtual environment's python, not the system one")
    total = 0
    for rule in RULES:
        freed = apply(rule, site_packages, prefix)
        total += freed
        print(f"slim: {freed / 1e6:7.1f} MB  {rule.why}")
    freed = link_duplicate_libraries(site_packages / "pyarrow")
    total += freed
    print(f"slim: {freed / 1e6:7.1f} MB  pyarrow's duplicate library copies, now links")
    print(f"slim: {total / 1e6:7.1f} MB in all")
    compiled = compileall.compile_dir(
        prefix / "lib",
        quiet=1,
        workers=0,
        rx=NO_BYTECODE,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,  # the files never change
    )
    if not compiled:
        raise SystemExit("slim: some modules do not compile")
    for module in MUST_IMPORT:
        importlib.import_module(module)
    print(f"slim: compiled; {len(MUST_IMPORT)} modules still import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
