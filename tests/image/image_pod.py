"""The Deployment in deploy/, read as the instructions for running the image: user, port, probes,
environment, mounts. The image tests run their containers from these, so the manifests and the
image are checked against each other by running them together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@dataclass(frozen=True)
class Pod:
    """The Deployment's pod template and the ConfigMap literals its container reads."""

    spec: Mapping[str, Any]
    config_maps: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_deploy(cls, deploy: Path = DEPLOY) -> Pod:
        """Read deploy/deployment.yaml and the configMapGenerator of deploy/kustomization.yaml."""
        (deployment,) = [d for d in _documents(deploy / "deployment.yaml") if d["kind"] == "Deployment"]
        (kustomization,) = _documents(deploy / "kustomization.yaml")
        config_maps = {
            generator["name"]: dict(literal.split("=", 1) for literal in generator.get("literals", []))
            for generator in kustomization.get("configMapGenerator", [])
        }
        return cls(deployment["spec"]["template"]["spec"], config_maps)

    @property
    def container(self) -> Mapping[str, Any]:
        """The one container."""
        (container,) = self.spec["containers"]
        found: Mapping[str, Any] = container
        return found

    @property
    def run_as_user(self) -> int:
        """securityContext.runAsUser (the container's own, else the pod's)."""
        return int(self._security("runAsUser"))

    @property
    def run_as_group(self) -> int:
        """securityContext.runAsGroup (the container's own, else the pod's)."""
        return int(self._security("runAsGroup"))

    def _security(self, field: str) -> Any:
        return self.container.get("securityContext", {}).get(field, self.spec["securityContext"][field])

    @property
    def user(self) -> str:
        """`uid:gid` for `buildah run --user`."""
        return f"{self.run_as_user}:{self.run_as_group}"

    def port(self, name: str | int) -> int:
        """A container port by its name (or a number as such)."""
        if isinstance(name, int):
            return name
        ports = {p["name"]: int(p["containerPort"]) for p in self.container["ports"]}
        return ports[name]

    @property
    def probes(self) -> dict[str, tuple[str, int]]:
        """probe kind -> (HTTP path, port number)."""
        found = {}
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            if kind in self.container:
                check = self.container[kind]["httpGet"]
                found[kind] = (str(check["path"]), self.port(check["port"]))
        return found

    def _volumes(self) -> dict[str, Mapping[str, Any]]:
        return {v["name"]: v for v in self.spec.get("volumes", [])}

    @property
    def empty_dirs(self) -> list[str]:
        """Mount paths of emptyDir volumes: the pod's only writable places."""
        volumes = self._volumes()
        return [m["mountPath"] for m in self.container["volumeMounts"] if "emptyDir" in volumes[m["name"]]]

    def secret_file(self, key: str) -> str:
        """Where the container sees one key of a mounted Secret as a file."""
        volumes = self._volumes()
        for mount in self.container["volumeMounts"]:
            secret = volumes[mount["name"]].get("secret")
            if secret is None:
                continue
            paths = {item["key"]: item["path"] for item in secret.get("items", [])}
            if key not in paths:
                continue
            if "subPath" not in mount:
                return f"{mount['mountPath']}/{paths[key]}"
            if mount["subPath"] == paths[key]:
                return str(mount["mountPath"])
        raise KeyError(f"no volume mounts the Secret key {key!r}")

    def env(self, secrets: Mapping[str, str]) -> dict[str, str]:
        """The container's environment: envFrom ConfigMaps, then env (values and Secret keys)."""
        result: dict[str, str] = {}
        for source in self.container.get("envFrom", []):
            result.update(self.config_maps[source["configMapRef"]["name"]])
        for item in self.container.get("env", []):
            if "value" in item:
                result[item["name"]] = str(item["value"])
            else:
                result[item["name"]] = secrets[item["valueFrom"]["secretKeyRef"]["key"]]
        return result

    @property
    def command(self) -> tuple[list[str] | None, list[str] | None]:
        """The container's `command` and `args` (None: the image's ENTRYPOINT and CMD)."""
        return self.container.get("command"), self.container.get("args")
