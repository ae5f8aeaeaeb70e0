"""What can be checked of the deployment without a cluster or a Docker engine: manifests against
KServe's CRD schemas and Kubernetes', their consistency with the servers' real CLIs and routes,
and the Dockerfiles."""

import argparse
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "manifests"
KUSTOMIZATIONS = sorted(MANIFESTS.rglob("kustomization.yaml"))
CRDS = Path(os.environ.get("VOX_RAGA_KSERVE_CRDS", ROOT.parent / "shared" / "kserve-crds"))
SCHEMAS = {
    "InferenceService": "inferenceservice-v1beta1-strict.json",
    "ServingRuntime": "servingruntime-v1alpha1-strict.json",
    "ClusterServingRuntime": "clusterservingruntime-v1alpha1-strict.json",
}
OWN_CHECKS = {"PrometheusRule"}
"""Kinds neither schema set knows; tests/test_monitoring.py checks their structure."""
SERVER_ROUTES = {"/v2/health/ready", "/v2/health/live", "/metrics"}
"""Routes every KServe model server answers whatever the model is called."""


def parse_cli(module: str, arg_lists: list[list[str]]) -> list[dict]:
    """Parse each argument list with `module`'s real parser, in a child process: KServe's
    protos, which the CLIs import, cannot share this process with tritonclient's."""
    code = (
        "import json, sys\n"
        f"from {module}.__main__ import build_parser\n"
        "parser = build_parser()\n"
        "print(json.dumps([vars(parser.parse_args(a)) for a in json.load(sys.stdin)]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(arg_lists), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return [argparse.Namespace(**parsed) for parsed in json.loads(result.stdout.splitlines()[-1])]


def render(kustomization: Path) -> list[dict]:
    """kustomize's rendering for what these kustomizations use: a list of resources, and
    ConfigMaps generated from files under a fixed name."""
    spec = yaml.safe_load(kustomization.read_text())
    unsupported = set(spec) - {"apiVersion", "kind", "resources", "configMapGenerator"}
    assert not unsupported, f"{kustomization}: this check cannot render {unsupported}"
    documents = []
    for resource in spec.get("resources", []):
        path = kustomization.parent / resource
        if path.is_dir():
            documents += render(path / "kustomization.yaml")
        else:
            documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    for generator in spec.get("configMapGenerator", []):
        documents.append(generated_config_map(kustomization.parent, generator))
    return documents


def generated_config_map(folder: Path, generator: dict) -> dict:
    """A configMapGenerator entry's ConfigMap: files only, no name hash (this check does not
    compute kustomize's)."""
    assert set(generator) <= {"name", "files", "options"}, generator
    options = generator.get("options", {})
    assert set(options) <= {"labels", "annotations", "disableNameSuffixHash"}, options
    assert options.get("disableNameSuffixHash") is True, "a fixed name, or kustomize adds a hash"
    metadata = {"name": generator["name"]}
    for key in ("labels", "annotations"):
        if key in options:
            metadata[key] = options[key]
    data = {}
    for entry in generator["files"]:
        key, _, path = entry.rpartition("=")
        data[key or Path(path).name] = (folder / path).read_text()
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


ALL = {k.relative_to(MANIFESTS).parent.as_posix(): render(k) for k in KUSTOMIZATIONS}
BASE = ALL["."]


def documents_of(kind: str) -> list[dict]:
    return [d for docs in ALL.values() for d in docs if d["kind"] == kind]


def test_every_kustomization_renders_and_names_unique_resources():
    assert set(ALL) == {".", "canary/knative", "canary/standard", "monitoring", "standard"}
    for name, documents in ALL.items():
        keys = [(d["kind"], d["metadata"]["name"]) for d in documents]
        assert len(keys) == len(set(keys)), name


def kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@pytest.mark.parametrize("name", sorted(ALL))
def test_kustomize_renders_what_this_check_validates(name):
    command = kustomize_command()
    if command is None:
        pytest.skip("neither kustomize nor kubectl on PATH")
    result = subprocess.run(
        [*command, str(MANIFESTS / name)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr

    def key(document: dict) -> tuple[str, str]:
        return document["kind"], document["metadata"]["name"]

    rendered = sorted((d for d in yaml.safe_load_all(result.stdout) if d), key=key)
    assert rendered == sorted(ALL[name], key=key)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_kserve_kinds_validate_against_the_crds_in_strict_mode(kind):
    if not CRDS.is_dir():
        pytest.skip(f"KServe CRD schemas not found at {CRDS} (set VOX_RAGA_KSERVE_CRDS)")
    schema = json.loads((CRDS / SCHEMAS[kind]).read_text())
    documents = documents_of(kind)
    if kind != "ServingRuntime":
        assert documents, f"no {kind} in the manifests"
    for document in documents:
        jsonschema.Draft7Validator(schema).validate(document)


def test_strict_validation_would_catch_a_typo():
    if not CRDS.is_dir():
        pytest.skip(f"KServe CRD schemas not found at {CRDS}")
    schema = json.loads((CRDS / SCHEMAS["InferenceService"]).read_text())
    service = json.loads(json.dumps(documents_of("InferenceService")[0]))
    service["spec"]["predictor"]["minReplica"] = 1
    with pytest.raises(jsonschema.ValidationError, match="minReplica"):
        jsonschema.Draft7Validator(schema).validate(service)


def test_core_kinds_validate_with_kubernetes_validate():
    import kubernetes_validate

    core = [d for docs in ALL.values() for d in docs if d["kind"] not in {*SCHEMAS, *OWN_CHECKS}]
    assert {d["kind"] for d in core} >= {"PodDisruptionBudget", "ConfigMap"}
    for document in core:
        kubernetes_validate.validate(document, "1.32", strict=True)


def test_strict_validation_covers_the_autoscaling_field():
    if not CRDS.is_dir():
        pytest.skip(f"KServe CRD schemas not found at {CRDS}")
    schema = json.loads((CRDS / SCHEMAS["InferenceService"]).read_text())
    service = json.loads(json.dumps(ALL["standard"][0]))
    service["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]["target"]["valu"] = "3"
    with pytest.raises(jsonschema.ValidationError, match="valu"):
        jsonschema.Draft7Validator(schema).validate(service)


def runtimes() -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in documents_of("ClusterServingRuntime")}


def predictors(service: dict) -> list[dict]:
    """The main predictor and those of Standard-mode canaries."""
    return [service["spec"]["predictor"]] + [
        c["predictor"] for c in service["spec"].get("canary", [])
    ]


def test_each_service_names_a_runtime_that_serves_its_model_format():
    served = {
        name: {f["name"] for f in runtime["spec"]["supportedModelFormats"]}
        for name, runtime in runtimes().items()
    }
    for service in documents_of("InferenceService"):
        for predictor in predictors(service):
            model = predictor["model"]
            assert model["runtime"] in served, f"{service['metadata']['name']}: unknown runtime"
            assert model["modelFormat"]["name"] in served[model["runtime"]]


def test_runtime_args_with_service_args_parse_with_the_predictor_cli():
    table = runtimes()
    cases = []
    for service in documents_of("InferenceService"):
        name = service["metadata"]["name"]
        for predictor in predictors(service):
            container = table[predictor["model"]["runtime"]]["spec"]["containers"][0]
            args = [a.replace("{{.Name}}", name) for a in container["args"]]
            cases.append((name, container, args + predictor["model"].get("args", [])))
    parsed_all = parse_cli("predictor", [args for _, _, args in cases])
    for (name, container, _), parsed in zip(cases, parsed_all, strict=True):
        assert parsed.model_name == name
        assert parsed.model_dir == "/mnt/models"
        ports = [p["containerPort"] for p in container["ports"]]
        assert ports == [parsed.http_port]
        assert parsed.scratch_dir.startswith("/tmp")
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts, "a read-only root needs writable scratch"


def test_gpu_runtime_asks_for_a_gpu_and_tolerates_gpu_nodes():
    gpu = runtimes()["vox-raga-gpu"]["spec"]
    container = gpu["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "--device=cuda" in container["args"]
    assert any(t["key"] == "nvidia.com/gpu" for t in gpu["tolerations"])
    assert gpu["nodeSelector"]
    cpu = runtimes()["vox-raga-cpu"]["spec"]["containers"][0]
    assert "nvidia.com/gpu" not in json.dumps(cpu)


def test_containers_are_locked_down_and_probed_on_real_routes():
    containers = [r["spec"]["containers"][0] for r in runtimes().values()]
    for service in documents_of("InferenceService"):
        containers += service["spec"].get("transformer", {}).get("containers", [])
    for container in containers:
        context = container["securityContext"]
        assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in container:
                get = container[probe]["httpGet"]
                assert get["path"] in SERVER_ROUTES, get
                assert get["port"] == container["ports"][0]["containerPort"]
    for runtime in runtimes().values():
        container = runtime["spec"]["containers"][0]
        assert "startupProbe" in container and "readinessProbe" in container
        assert container["startupProbe"]["httpGet"]["path"] == "/v2/health/ready"
        annotations = runtime["spec"]["annotations"]
        assert annotations["prometheus.kserve.io/port"] == str(
            container["ports"][0]["containerPort"]
        )


def test_every_server_takes_its_api_key_from_a_secret():
    containers = [r["spec"]["containers"][0] for r in runtimes().values()]
    for service in documents_of("InferenceService"):
        containers += service["spec"].get("transformer", {}).get("containers", [])
    assert len(containers) >= 4
    for container in containers:
        env = {e["name"]: e for e in container.get("env", [])}
        reference = env["VOX_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": "vox-raga-api-key", "key": "api-key"}, container["image"]
        # Readiness and liveness must not need the key: the kubelet sends none.
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in container:
                assert container[probe]["httpGet"]["path"] in SERVER_ROUTES


def test_transformer_args_parse_with_the_transformer_cli():
    cases = []
    for service in documents_of("InferenceService"):
        for container in service["spec"].get("transformer", {}).get("containers", []):
            # KServe adds --model_name and --predictor_host to a transformer's arguments.
            added = [f"--model_name={service['metadata']['name']}", "--predictor_host=predictor:80"]
            cases.append((container, container["args"] + added))
    assert cases
    for (container, _), parsed in zip(
        cases, parse_cli("transformer", [a for _, a in cases]), strict=True
    ):
        assert parsed.predictor_protocol == "v2", "the predictor service exposes REST"
        assert parsed.http_port == container["ports"][0]["containerPort"]


def test_autoscaling_is_on_concurrency():
    for service in documents_of("InferenceService"):
        if service["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] != "Knative":
            continue
        assert service["spec"]["predictor"]["scaleMetric"] == "concurrency"


def test_canaries_in_both_deployment_modes():
    knative = ALL["canary/knative"][0]
    assert knative["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    assert 0 < knative["spec"]["predictor"]["canaryTrafficPercent"] < 100
    standard = ALL["canary/standard"][0]
    assert standard["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    assert 0 < standard["spec"]["canary"][0]["trafficPercent"] < 100
    for service in (knative, standard):
        versions = {
            re.sub("--model_version=", "", a)
            for p in predictors(service)
            for a in p["model"].get("args", [])
            if a.startswith("--model_version=")
        }
        assert versions, "each predictor names its version so the canary can be watched"
    base_names = {d["metadata"]["name"] for d in BASE if d["kind"] == "InferenceService"}
    assert knative["metadata"]["name"] in base_names, "the Knative canary updates a base service"


def test_the_knative_canary_changes_only_the_model():
    # kubectl apply drops what the applied file leaves out: scaling and scraping included.
    canary = ALL["canary/knative"][0]
    base = next(
        d
        for d in BASE
        if d["kind"] == "InferenceService" and d["metadata"]["name"] == canary["metadata"]["name"]
    )
    assert canary["metadata"] == base["metadata"]
    assert canary["spec"]["transformer"] == base["spec"]["transformer"]
    rest = {k: v for k, v in canary["spec"]["predictor"].items() if k != "canaryTrafficPercent"}
    assert {k: v for k, v in rest.items() if k != "model"} == {
        k: v for k, v in base["spec"]["predictor"].items() if k != "model"
    }
    assert (
        canary["spec"]["predictor"]["model"]["storageUri"]
        != base["spec"]["predictor"]["model"]["storageUri"]
    )


def deployment_mode(service: dict) -> str:
    return service["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]


@functools.cache
def predictor_defaults() -> argparse.Namespace:
    return parse_cli("predictor", [["--model_name=any"]])[0]


def admission_bound(predictor: dict) -> int:
    """A predictor's --max_queue_items: its own flag, else the CLI's default (64)."""
    for arg in predictor["model"].get("args", []):
        if arg.startswith("--max_queue_items="):
            return int(arg.split("=", 1)[1])
    defaults = predictor_defaults()
    if not hasattr(defaults, "max_queue_items"):
        pytest.skip("the predictor CLI has no --max_queue_items yet")
    return defaults.max_queue_items


def predictor_flag(predictor: dict, name: str) -> int:
    for arg in predictor["model"].get("args", []):
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1])
    defaults = predictor_defaults()
    if not hasattr(defaults, name):
        pytest.skip(f"the predictor CLI has no --{name} yet")
    return getattr(defaults, name)


def transformer_concurrency(transformer: dict) -> int:
    """A transformer's --max_concurrent_requests: its own flag, else the CLI's default (32)."""
    args = [
        "--model_name=any",
        "--predictor_host=predictor:80",
        *transformer["containers"][0]["args"],
    ]
    parsed = parse_cli("transformer", [args])[0]
    if not hasattr(parsed, "max_concurrent_requests"):
        pytest.skip("the transformer CLI has no --max_concurrent_requests yet")
    return parsed.max_concurrent_requests


def test_knative_concurrency_never_hands_a_replica_more_than_it_admits():
    services = [s for s in documents_of("InferenceService") if deployment_mode(s) == "Knative"]
    assert services
    for service in services:
        predictor = service["spec"]["predictor"]
        bound = admission_bound(predictor)
        # Each request carries at most --max_batch_size text items.
        assert predictor["containerConcurrency"] * predictor_flag(predictor, "max_batch_size") <= (
            bound
        ), service["metadata"]["name"]
        # Scale out before the hard limit, so the activator rarely has to hold requests.
        assert 0 < predictor["scaleTarget"] < predictor["containerConcurrency"]
        transformer = service["spec"].get("transformer")
        if transformer:
            assert transformer["scaleMetric"] == "concurrency"
            assert transformer["scaleTarget"] <= transformer_concurrency(transformer) / 2


def keda_services() -> list[dict]:
    return [
        s
        for s in documents_of("InferenceService")
        if s["metadata"]["annotations"].get("serving.kserve.io/autoscalerClass") == "keda"
    ]


def test_standard_mode_predictors_scale_with_keda_on_their_queue_depth():
    services = keda_services()
    assert services, "expected a Standard-mode example autoscaled by KEDA"
    for service in services:
        name = service["metadata"]["name"]
        assert deployment_mode(service) in ("Standard", "RawDeployment"), "KEDA needs Standard"
        predictor = service["spec"]["predictor"]
        [metric] = [m for m in predictor["autoScaling"]["metrics"] if m["type"] == "External"]
        external = metric["external"]
        assert external["metric"]["backend"] == "prometheus"
        assert re.fullmatch(
            rf'sum\(tts_queue_depth\{{model="{re.escape(name)}"[^}}]*\}}\)',
            external["metric"]["query"],
        ), external["metric"]["query"]
        # KServe passes target.value to KEDA as the threshold; KEDA divides the query by it.
        assert external["target"]["type"] == "Value"
        per_replica = float(external["target"]["value"])
        assert predictor_flag(predictor, "batch_max_items") <= per_replica, (
            "one full batch must not ask for a second replica"
        )
        assert per_replica <= admission_bound(predictor) / 2, (
            "replicas must come well before the queues near the bound (and TTSQueueSaturated)"
        )
        assert predictor["maxReplicas"] > predictor["minReplicas"]


def test_keda_services_obey_kserves_admission_rules():
    # KServe's webhook (validateScalingKedaCompExtension): no scaleMetric; an External metric
    # needs a query and target.value; cpu targets are Utilization. KEDA needs a trigger for
    # every component, or its ScaledObject is invalid.
    for service in keda_services():
        for component in ("predictor", "transformer", "explainer"):
            spec = service["spec"].get(component)
            if spec is None:
                continue
            assert "scaleMetric" not in spec and "scaleTarget" not in spec, component
            metrics = spec["autoScaling"]["metrics"]
            assert metrics, component
            for metric in metrics:
                if metric["type"] == "External":
                    assert metric["external"]["metric"]["query"]
                    assert metric["external"]["target"]["value"]
                elif metric["type"] == "Resource" and metric["resource"]["name"] == "cpu":
                    assert metric["resource"]["target"]["type"] == "Utilization"
                    assert 1 <= metric["resource"]["target"]["averageUtilization"] <= 100
                    for container in spec.get("containers", []):
                        assert container["resources"]["requests"]["cpu"], "utilization of what?"


def pod_annotations(service: dict, component: dict, runtime: dict | None) -> dict[str, str]:
    """The annotations KServe gives a component's pods: the runtime's, then the service's, then
    the component's, each overriding the last (buildObjectMeta); then its pod webhook, which
    with enable-prometheus-scraping names queue-proxy's port in prometheus.io/port: 9088, where
    queue-proxy merges the container's metrics into its own (enable-metric-aggregation), else
    9091, queue-proxy's alone."""
    annotations = {
        **(runtime["spec"].get("annotations", {}) if runtime else {}),
        **service["metadata"].get("annotations", {}),
        **component.get("annotations", {}),
    }
    if annotations.get("serving.kserve.io/enable-prometheus-scraping") == "true":
        aggregated = annotations.get("serving.kserve.io/enable-metric-aggregation") == "true"
        annotations["prometheus.io/port"] = "9088" if aggregated else "9091"
        annotations["prometheus.io/path"] = "/metrics"
    return annotations


def scraped_port(annotations: dict[str, str], mode: str) -> int | None:
    """The port of the server container whose /metrics Prometheus gets, if any."""
    if annotations.get("prometheus.io/scrape") != "true":
        return None
    if mode == "Knative":
        if annotations.get("prometheus.io/port") != "9088":
            return None
        assert annotations.get("prometheus.kserve.io/path", "/metrics") == "/metrics"
        return int(annotations.get("prometheus.kserve.io/port", "8080"))
    assert annotations.get("prometheus.io/path") == "/metrics"
    return int(annotations["prometheus.io/port"])


def test_prometheus_scrapes_every_servers_own_metrics():
    table = runtimes()
    checked = 0
    for service in documents_of("InferenceService"):
        mode = deployment_mode(service)
        for predictor in predictors(service):
            runtime = table[predictor["model"]["runtime"]]
            port = runtime["spec"]["containers"][0]["ports"][0]["containerPort"]
            annotations = pod_annotations(service, predictor, runtime)
            assert scraped_port(annotations, mode) == port, (service["metadata"]["name"], mode)
            checked += 1
        transformer = service["spec"].get("transformer")
        if transformer:
            port = transformer["containers"][0]["ports"][0]["containerPort"]
            annotations = pod_annotations(service, transformer, None)
            assert scraped_port(annotations, mode) == port, service["metadata"]["name"]
            # Said outright: no runtime names the transformer's port.
            key = "prometheus.kserve.io/port" if mode == "Knative" else "prometheus.io/port"
            assert key in transformer["annotations"]
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("dockerfile", sorted((ROOT / "docker").glob("*.Dockerfile")))
def test_dockerfiles_pass_hadolint(dockerfile):
    hadolint = shutil.which("hadolint") or str(Path(os.sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = dockerfile.read_text()
    assert "USER 1000" in text and "AS build" in text
    if "transformer" in dockerfile.name:
        instructions = [line for line in text.splitlines() if not line.startswith("#")]
        assert not any("torch" in line for line in instructions)
        assert '".[transformer]"' in text


@pytest.mark.parametrize("dockerfile", sorted((ROOT / "docker").glob("*.Dockerfile")))
def test_images_install_the_locked_versions(dockerfile):
    instructions = " ".join(
        line for line in dockerfile.read_text().splitlines() if not line.startswith("#")
    ).replace("\\ ", "")
    installs = [run for run in instructions.split("RUN ")[1:] if "pip install" in run]
    assert installs
    for run in installs:
        assert "-c requirements/" in run or '-c "requirements/' in run, run
    assert "COPY requirements ./requirements" in instructions
