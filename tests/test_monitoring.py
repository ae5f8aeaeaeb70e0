"""The monitoring that ships with the manifests (manifests/monitoring/): the Grafana dashboard and
the Prometheus alerts ask only for the metrics the servers export (ARCHITECTURE.md, "Metrics"),
with the right suffixes and labels; the rules pass `promtool` and fire on trouble, not before."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests import test_deploy as deploy

MONITORING = deploy.MANIFESTS / "monitoring"
DASHBOARD_FILE = MONITORING / "grafana-dashboard.json"
DASHBOARD = json.loads(DASHBOARD_FILE.read_text())
[RULE] = [d for d in deploy.ALL["monitoring"] if d["kind"] == "PrometheusRule"]
ALERTS = {r["alert"]: r for g in RULE["spec"]["groups"] for r in g["rules"] if "alert" in r}

OUTCOMES = {"ok", "invalid", "rejected", "cancelled", "error"}
STAGES = {"normalize", "predict", "encode"}
COUNTERS = {
    "tts_requests_total": {"model", "version", "outcome"},
    "tts_audio_seconds_total": {"model", "version"},
    "tts_transformer_requests_total": {"route", "format", "outcome"},
    "tts_cache_hits_total": set(),
}
GAUGES = {"tts_queue_depth": {"model"}}
HISTOGRAMS = {
    "tts_batch_size": {"model"},
    "tts_synthesis_seconds": {"model", "version"},
    "tts_real_time_factor": {"model"},
    "tts_stage_seconds": {"stage"},
    "tts_time_to_first_audio_seconds": {"route"},
    # KServe's own, per model server.
    "request_preprocess_seconds": {"model_name"},
    "request_predict_seconds": {"model_name"},
    "request_postprocess_seconds": {"model_name"},
    "request_explain_seconds": {"model_name"},
}
OURS = {*COUNTERS, *GAUGES, *(h for h in HISTOGRAMS if h.startswith("tts_"))}
"""The metric families ARCHITECTURE.md names, each of which the dashboard shows."""
TARGET_LABELS = {"namespace", "pod", "container", "job", "instance"}
"""Labels Prometheus's scrape adds to every series."""
SERIES = {
    **COUNTERS,
    **GAUGES,
    **{f"{h}_bucket": labels | {"le"} for h, labels in HISTOGRAMS.items()},
    **{f"{h}_{suffix}": labels for h, labels in HISTOGRAMS.items() for suffix in ("sum", "count")},
}
"""Every series name a query may ask for, with the labels it carries (beside TARGET_LABELS)."""
COUNTER_SERIES = {*COUNTERS, *(s for s in SERIES if s.endswith(("_bucket", "_sum", "_count")))}

FUNCTIONS = {
    # aggregations
    *("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"),
    *("bottomk", "topk", "quantile"),
    # functions
    *("abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min"),
    *("delta", "deriv", "exp", "floor", "histogram_quantile", "idelta", "increase", "irate"),
    *("label_join", "label_replace", "ln", "log2", "log10", "predict_linear", "rate", "resets"),
    *("round", "scalar", "sgn", "sort", "sort_desc", "sqrt", "time", "timestamp", "vector"),
    *("avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time"),
    *("quantile_over_time", "stddev_over_time", "last_over_time", "present_over_time"),
}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
KEYWORDS |= {"and", "or", "unless", "offset", "inf", "nan"}

STRING = r'"(?:[^"\\]|\\.)*"'
SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}")
MATCHER = re.compile(rf"\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*({STRING})\s*(?:,|$)")
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")

GRAFANA_BUILTINS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def dashboard_variables() -> dict[str, str]:
    """A value for each dashboard variable that a query may name: what `All` selects, or the
    textbox's value."""
    values = dict(GRAFANA_BUILTINS)
    for variable in DASHBOARD["templating"]["list"]:
        if variable["type"] == "query":
            values[variable["name"]] = variable["allValue"]
        elif variable["type"] in ("textbox", "constant", "custom"):
            values[variable["name"]] = variable["query"]
    return values


def substitute(expr: str) -> str:
    values = dashboard_variables()

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        assert name in values, f"the dashboard has no variable ${name}"
        return values[name]

    return VARIABLE.sub(value, expr)


def dashboard_panels() -> list[dict]:
    panels = []
    for panel in DASHBOARD["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])
    return panels


def dashboard_queries() -> list[str]:
    """Every PromQL query of the dashboard, Grafana's variables filled in."""
    return [
        substitute(target["expr"])
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
    ]


def rule_queries() -> list[str]:
    return [r["expr"] for g in RULE["spec"]["groups"] for r in g["rules"]]


def parse(expr: str) -> tuple[list[tuple[str, dict[str, tuple[str, str]]]], list[list[str]]]:
    """The series a PromQL expression selects, each with its label matchers (label: (operator,
    value)), and the label lists of its grouping clauses. Enough of PromQL for these queries;
    an identifier that is neither a function, a keyword nor a known series fails the caller."""
    expr = re.sub(rf"({STRING})|#[^\n]*", lambda m: m.group(1) or "", expr)
    selected = []
    for name, body in SELECTOR.findall(expr):
        matchers, position = {}, 0
        for match in MATCHER.finditer(body):
            assert match.start() == position, f"cannot read the matchers {body!r}"
            matchers[match.group(1)] = (match.group(2), json.loads(match.group(3)))
            position = match.end()
        assert not body[position:].strip(), f"cannot read the matchers {body!r}"
        selected.append((name, matchers))
    groupings = [
        [label.strip() for label in labels.split(",")] for _, labels in GROUPING.findall(expr)
    ]
    bare = GROUPING.sub(" ", SELECTOR.sub(r"\1", expr))
    bare = re.sub(r"\[[^\]]*\]", " ", re.sub(STRING, " ", bare))
    named = {name for name, _ in selected}
    for identifier, call in IDENTIFIER.findall(bare):
        if call:
            assert identifier in FUNCTIONS, f"{identifier}() is no PromQL function"
        elif identifier not in KEYWORDS and identifier not in named:
            selected.append((identifier, {}))
            named.add(identifier)
    return selected, groupings


def check_query(expr: str) -> set[str]:
    """Assert what a query may ask for; answer the series it names."""
    selected, groupings = parse(expr)
    if re.fullmatch(r"vector\([\d.]+\)", expr):
        return set()
    assert selected, f"no metric in {expr!r}"
    names = {name for name, _ in selected}
    unknown = names - set(SERIES)
    assert not unknown, f"{expr!r} asks for {unknown}, which no server exports"
    labels = set(TARGET_LABELS) | {label for name in names for label in SERIES[name]}
    for name, matchers in selected:
        assert set(matchers) <= TARGET_LABELS | SERIES[name], (name, matchers)
        for family, label, allowed in (
            ("tts_requests_total", "outcome", OUTCOMES),
            ("tts_stage_seconds", "stage", STAGES),
        ):
            if name.startswith(family) and matchers.get(label, ("",))[0] == "=":
                value = matchers[label][1]
                assert value in allowed, f"{name}: {label}={value!r} is never exported"
    for grouping in groupings:
        assert set(grouping) <= labels, f"{expr!r} groups by {set(grouping) - labels}"
    for function, series in re.findall(r"\b(rate|irate|increase)\(\s*([A-Za-z_:][\w:]*)", expr):
        assert series in COUNTER_SERIES, f"{function}() of {series}, which is no counter"
    if "histogram_quantile" in expr:
        assert all(n.endswith("_bucket") for n in names), expr
        assert any("le" in g for g in groupings), f"{expr!r}: buckets must keep le"
    return names


def test_the_dashboard_is_grafana_json_with_one_panel_per_place():
    assert DASHBOARD["uid"] and DASHBOARD["title"] and DASHBOARD["schemaVersion"] >= 36
    panels = dashboard_panels()
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells = set()
    for panel in panels:
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24, panel["title"]
        for x in range(position["x"], position["x"] + position["w"]):
            for y in range(position["y"], position["y"] + position["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
                cells.add((x, y))
        if panel["type"] != "row":
            assert panel["targets"] and panel["description"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}", "the datasource is chosen"


def test_dashboard_queries_ask_only_for_exported_metrics():
    shown = set()
    for expr in dashboard_queries():
        shown |= check_query(expr)
    for variable in DASHBOARD["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
            assert match, query
            [series] = check_query(substitute(match.group(1)))
            assert match.group(2) in SERIES[series] | TARGET_LABELS, query
    families = {re.sub(r"_(bucket|sum|count)$", "", name) for name in shown}
    assert families >= OURS, f"the dashboard does not show {OURS - families}"


def test_dashboard_shows_the_percentiles_and_bounds_operators_ask_for():
    queries = dashboard_queries()

    def quantiles(metric: str) -> set[str]:
        pattern = rf"histogram_quantile\(([\d.]+),[^\n]*{metric}_bucket"
        return {q for expr in queries for q in re.findall(pattern, expr)}

    assert quantiles("tts_synthesis_seconds") >= {"0.5", "0.95", "0.99"}
    assert "0.95" in quantiles("tts_real_time_factor")
    assert "0.95" in quantiles("tts_time_to_first_audio_seconds")
    assert "0.95" in quantiles("tts_stage_seconds")
    assert any(re.search(r'outcome="error"', q) for q in queries), "the error ratio"
    assert any(q.startswith("vector(") for q in queries), "the admission bound beside the queue"


def test_rules_ask_only_for_exported_metrics():
    for expr in rule_queries():
        check_query(expr)


def test_the_alerts_issue_six_asks_for_are_there():
    expected = {
        "TTSErrorRatioHigh": ('tts_requests_total{outcome="error"}', "5m", "> 0.01"),
        "TTSQueueSaturated": ("tts_queue_depth", "5m", "> 0.9"),
        "TTSRealTimeFactorHigh": ("tts_real_time_factor_bucket", "10m", "> 1"),
        "TTSTimeToFirstAudioSlow": ("tts_time_to_first_audio_seconds_bucket", "10m", "> 1"),
    }
    assert set(ALERTS) == set(expected)
    for name, (selector, duration, threshold) in expected.items():
        rule = ALERTS[name]
        assert selector in rule["expr"] and rule["expr"].rstrip().endswith(threshold), name
        assert rule["for"] == duration, name


def test_every_alert_has_a_severity_and_says_what_happened():
    for name, rule in ALERTS.items():
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        annotations = rule["annotations"]
        assert annotations["summary"].strip() and annotations["description"].strip(), name
        assert "docs/operations.md" in annotations["description"], "where to read what to do"
        # A template may name only the labels that the expression keeps.
        kept = set.intersection(
            *({*labels} - {"le"} for labels in parse(rule["expr"])[1] if labels)
        )
        for text in annotations.values():
            for label in re.findall(r"\$labels\.(\w+)", text):
                assert label in kept, f"{name}: {label} is not in the alert's labels {kept}"


def test_queue_saturation_uses_the_predictors_admission_bound():
    predictors = [p for s in deploy.documents_of("InferenceService") for p in deploy.predictors(s)]
    bounds = {deploy.admission_bound(p) for p in predictors}
    assert len(bounds) == 1, f"services admit {bounds}: one alert constant cannot fit them all"
    [bound] = bounds
    assert f"({bound} * count by" in ALERTS["TTSQueueSaturated"]["expr"]
    assert dashboard_variables()["queue_bound"] == str(bound)


DURATION = (
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
)
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
PROMETHEUS_RULE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "labels": STRINGS, "annotations": STRINGS},
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["groups"],
            "properties": {
                "groups": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": {"type": "string", "pattern": DURATION},
                            "labels": STRINGS,
                            "rules": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "additionalProperties": False,
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                    "properties": {
                                        "alert": {"type": "string", "pattern": r"^[A-Za-z_]\w*$"},
                                        "record": {"type": "string"},
                                        "expr": {"type": "string", "minLength": 1},
                                        "for": {"type": "string", "pattern": DURATION},
                                        "keep_firing_for": {"type": "string", "pattern": DURATION},
                                        "labels": STRINGS,
                                        "annotations": STRINGS,
                                    },
                                },
                            },
                        },
                    },
                }
            },
        },
    },
}
"""The fields of the Prometheus Operator's PrometheusRule CRD these rules use, strict: no
schema for it ships here, and kubernetes-validate knows only core kinds."""


def test_the_prometheus_rule_has_the_operators_structure():
    jsonschema.Draft7Validator(PROMETHEUS_RULE).validate(RULE)
    names = [g["name"] for g in RULE["spec"]["groups"]]
    assert len(names) == len(set(names))


def test_strict_rule_structure_would_catch_a_typo():
    rule = json.loads(json.dumps(RULE))
    rule["spec"]["groups"][0]["rules"][0]["annotation"] = {}
    with pytest.raises(jsonschema.ValidationError, match="annotation"):
        jsonschema.Draft7Validator(PROMETHEUS_RULE).validate(rule)


def test_the_dashboard_ships_as_a_configmap_grafanas_sidecar_imports():
    [config_map] = [d for d in deploy.ALL["monitoring"] if d["kind"] == "ConfigMap"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    [(key, text)] = config_map["data"].items()
    assert key.endswith(".json") and json.loads(text) == DASHBOARD
    # Client-side kubectl apply keeps a copy in an annotation, which may hold 256 KiB.
    assert len(text.encode()) < 128 * 1024


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool not on PATH (Debian package `prometheus`)")
    return path


def write_rules(folder: Path, rules: dict, name: str = "rules.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return path


def run_promtool(*args: str) -> None:
    result = subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_pass_promtool_check(tmp_path):
    run_promtool("check", "rules", str(write_rules(tmp_path, {"groups": RULE["spec"]["groups"]})))


def test_dashboard_queries_parse_with_promtool(tmp_path):
    # promtool parses the queries of recording rules: one per dashboard query.
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr}
        for i, expr in enumerate(dashboard_queries())
    ]
    path = write_rules(tmp_path, {"groups": [{"name": "dashboard", "rules": rules}]})
    run_promtool("check", "rules", str(path))


def counter(series: str, per_minute: float) -> dict:
    return {"series": series, "values": f"0+{per_minute}x40"}


def histogram(name: str, labels: str, counts: dict[str, float]) -> list[dict]:
    """A histogram's bucket series, each counting up by its cumulative share per minute."""
    return [counter(f'{name}_bucket{{{labels}, le="{le}"}}', n) for le, n in counts.items()]


def alert_test(name: str, series: list[dict], fired: dict, pending_at: str, fired_at: str) -> dict:
    labels = {"severity": ALERTS[name]["labels"]["severity"], **fired}
    return {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": pending_at, "alertname": name, "exp_alerts": []},
            {"eval_time": fired_at, "alertname": name, "exp_alerts": [{"exp_labels": labels}]},
        ],
    }


def test_alerts_fire_on_trouble_after_their_for_and_spare_healthy_services(tmp_path):
    # Without annotations: promtool compares them verbatim, and their templates are checked by
    # test_rules_pass_promtool_check.
    groups = json.loads(json.dumps(RULE["spec"]["groups"]))
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    rules = write_rules(tmp_path, {"groups": groups})
    sick, well = 'namespace="tts", model="sick"', 'namespace="tts", model="well"'
    slow, fast = 'namespace="tts", route="openai"', 'namespace="tts", route="v2"'
    tests = [
        alert_test(
            "TTSErrorRatioHigh",
            [
                counter(f'tts_requests_total{{{sick}, version="1", outcome="ok"}}', 100),
                counter(f'tts_requests_total{{{sick}, version="1", outcome="error"}}', 3),
                counter(f'tts_requests_total{{{well}, version="1", outcome="ok"}}', 100),
                counter(f'tts_requests_total{{{well}, version="1", outcome="rejected"}}', 30),
                counter(f'tts_requests_total{{{well}, version="1", outcome="error"}}', 0.5),
            ],
            {"namespace": "tts", "model": "sick"},
            pending_at="4m",
            fired_at="15m",
        ),
        alert_test(
            "TTSQueueSaturated",
            [
                {"series": f'tts_queue_depth{{{sick}, pod="a"}}', "values": "60x40"},
                {"series": f'tts_queue_depth{{{sick}, pod="b"}}', "values": "62x40"},
                {"series": f'tts_queue_depth{{{well}, pod="c"}}', "values": "56x40"},
                {"series": f'tts_queue_depth{{{well}, pod="d"}}', "values": "2x40"},
            ],
            {"namespace": "tts", "model": "sick"},
            pending_at="4m",
            fired_at="15m",
        ),
        alert_test(
            "TTSRealTimeFactorHigh",
            histogram("tts_real_time_factor", sick, {"0.5": 0, "1": 1, "2": 10, "+Inf": 10})
            + histogram("tts_real_time_factor", well, {"0.5": 10, "1": 10, "2": 10, "+Inf": 10}),
            {"namespace": "tts", "model": "sick"},
            pending_at="9m",
            fired_at="20m",
        ),
        alert_test(
            "TTSTimeToFirstAudioSlow",
            histogram(
                "tts_time_to_first_audio_seconds", slow, {"0.5": 0, "1": 2, "2.5": 10, "+Inf": 10}
            )
            + histogram(
                "tts_time_to_first_audio_seconds", fast, {"0.5": 9, "1": 10, "2.5": 10, "+Inf": 10}
            ),
            {"namespace": "tts", "route": "openai"},
            pending_at="9m",
            fired_at="20m",
        ),
    ]
    assert {t["alert_rule_test"][0]["alertname"] for t in tests} == set(ALERTS)
    suite = tmp_path / "alerts-test.yaml"
    suite.write_text(
        yaml.safe_dump({"rule_files": [rules.name], "evaluation_interval": "1m", "tests": tests})
    )
    run_promtool("test", "rules", str(suite))
