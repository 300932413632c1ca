"""monitoring/: Prometheus targets match compose, Grafana is provisioned, the dashboard's metrics exist."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from engines.observability.metrics import METRIC_NAMES
from tests.deploy.compose_model import (
    REPOSITORY_ROOT,
    command_of,
    environment_of,
    services,
)

MONITORING = REPOSITORY_ROOT / "monitoring"
PROMETHEUS_CONFIG = MONITORING / "prometheus.yml"
ALERTS = MONITORING / "alerts.yml"
# A process serving its own metrics (METRICS_PORT) or the entrypoint's exporter beside it.
METRICS_PORT_VARIABLES = ("METRICS_PORT", "METRICS_EXPORTER_PORT")
DATASOURCES = MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = MONITORING / "grafana" / "provisioning" / "dashboards" / "ats.yml"
DASHBOARDS = MONITORING / "grafana" / "dashboards"
# Series Prometheus itself adds to every scrape.
PROMETHEUS_BUILTIN_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "increase", "irate",
    "histogram_quantile", "time", "and", "or", "unless", "on", "ignoring", "offset",
    "bool", "topk", "bottomk", "abs", "delta", "deriv", "clamp_min", "clamp_max",
}  # fmt: skip


def yaml_file(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def scrape_targets() -> dict[str, str]:
    """``host:port`` → job name."""
    config = yaml_file(PROMETHEUS_CONFIG)
    return {
        target: job["job_name"]
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }


def listening_ports(name: str, service: dict[str, Any]) -> set[int]:
    """Ports a compose service serves on inside the network."""
    ports: set[int] = set()
    environment = environment_of(service)
    for variable in METRICS_PORT_VARIABLES:
        if environment.get(variable):
            ports.add(int(environment[variable]))
    for word in command_of(service) if "command" in service else []:
        if match := re.search(r"(?:--bind=|--server\.port=)(?:[\d.]+:)?(\d+)$", word):
            ports.add(int(match.group(1)))
    if name == "prometheus":
        ports.add(9090)
    return ports


def test_every_scrape_target_is_a_compose_service_port() -> None:
    for target, job in scrape_targets().items():
        host, _, port = target.rpartition(":")
        if host == "127.0.0.1":
            assert job == "prometheus"
            continue
        assert host in services(), f"{job}: {host} is no compose service"
        assert int(port) in listening_ports(host, services()[host]), f"{job}: {target}"


def test_every_service_with_a_metrics_port_and_the_backend_are_scraped() -> None:
    targets = set(scrape_targets())
    for name, service in services().items():
        for variable in METRICS_PORT_VARIABLES:
            port = environment_of(service).get(variable)
            if port:
                assert f"{name}:{port}" in targets, name
    assert "backend:8000" in targets


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml_file(ALERTS)["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alert_rules_are_loaded_and_use_only_defined_metrics() -> None:
    rule_files = yaml_file(PROMETHEUS_CONFIG)["rule_files"]
    prometheus_volumes = services()["prometheus"]["volumes"]
    for path in rule_files:
        assert f"./monitoring/{Path(path).name}:{path}:ro" in prometheus_volumes
    rules = alert_rules()
    assert rules
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        unknown = series_names(rule["expr"]) - METRIC_NAMES - PROMETHEUS_BUILTIN_SERIES
        assert not unknown, f"{rule['alert']}: undefined metrics {sorted(unknown)}"
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


def test_grafana_datasource_points_at_the_prometheus_service() -> None:
    datasource = yaml_file(DATASOURCES)["datasources"][0]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert "prometheus" in services()


def test_grafana_mounts_match_the_provisioning_paths() -> None:
    grafana_volumes = services()["grafana"]["volumes"]
    mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in grafana_volumes}
    assert mounts["./monitoring/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml_file(DASHBOARD_PROVIDERS)["providers"][0]
    assert mounts["./monitoring/grafana/dashboards"] == provider["options"]["path"]
    prometheus_volumes = services()["prometheus"]["volumes"]
    assert "./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus_volumes
    assert "--config.file=/etc/prometheus/prometheus.yml" in command_of(services()["prometheus"])


def dashboards() -> list[dict[str, Any]]:
    files = sorted(DASHBOARDS.glob("*.json"))
    assert files, "no dashboard JSON"
    return [json.loads(path.read_text()) for path in files]


def panel_expressions(dashboard: dict[str, Any]) -> list[str]:
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def series_names(expression: str) -> set[str]:
    """Metric names in a PromQL expression (labels, functions and keywords removed)."""
    without_strings = re.sub(r'"[^"]*"', "", expression)
    without_matchers = re.sub(r"\{[^}]*\}", "", without_strings)
    without_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", without_matchers)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_groupings)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", without_ranges))
    return {word for word in words if word not in PROMQL_WORDS}


def test_dashboard_queries_only_defined_metrics() -> None:
    for dashboard in dashboards():
        expressions = panel_expressions(dashboard)
        assert expressions
        for expression in expressions:
            unknown = series_names(expression) - METRIC_NAMES - PROMETHEUS_BUILTIN_SERIES
            assert not unknown, f"{expression}: undefined metrics {sorted(unknown)}"


def test_dashboard_shows_every_shared_metric() -> None:
    used = {name for dashboard in dashboards() for e in panel_expressions(dashboard)
            for name in series_names(e)}  # fmt: skip
    families = {re.sub(r"_(bucket|sum|count)$", "", name) for name in METRIC_NAMES}
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert families <= shown, sorted(families - shown)


def test_series_name_extraction_sees_through_promql() -> None:
    expression = (
        "histogram_quantile(0.95, sum by (le, channel) "
        '(rate(ats_publish_to_consume_latency_seconds_bucket{channel="risk_updates"}[5m])))'
    )
    assert series_names(expression) == {"ats_publish_to_consume_latency_seconds_bucket"}
    assert series_names("ats_risk_state == 1") == {"ats_risk_state"}
    assert series_names("time() - ats_no_such_metric") == {"ats_no_such_metric"}


def test_dashboard_panels_use_the_provisioned_datasource_and_fit_the_grid() -> None:
    uid = yaml_file(DATASOURCES)["datasources"][0]["uid"]
    for dashboard in dashboards():
        assert dashboard["uid"]
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        for panel in dashboard["panels"]:
            position = panel["gridPos"]
            assert position["x"] + position["w"] <= 24, panel["title"]
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == uid, panel["title"]
                for target in panel["targets"]:
                    assert target["datasource"]["uid"] == uid, panel["title"]
