"""The smsgw chart's offline checks; scripts/check-chart runs them in its tool venv.

Helm comes from PyPI's helm-python-sdk (Helm's Go SDK as a shared library; no
helm binary is published for Linux on PyPI): its lint is `helm lint --strict`,
its render `helm template`. For every ci/*-values.yaml: lint, render and
compare with tests/rendered/<name>.yaml, parse each rendered smsgw.toml and
compare it with the values it came from, and `kubernetes-validate --strict`
against two Kubernetes versions. tests/invalid/*.yaml must each be refused with
the message in its "# expect:" line. The alert rules are checked and
unit-tested with promtool, every PromQL expression of the dashboard is parsed
with promtool, and the smsgw_* metrics both use are listed in
tests/metric-names.txt.

    python check.py --promtool PATH [--update]
"""

import argparse
import copy
import difflib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib

import yaml
import helm_python as helm
from helm_python import _native

CHART = pathlib.Path(__file__).resolve().parents[1]
TESTS = CHART / "tests"
RELEASE = {"name": "smsgw", "namespace": "smsgw"}
# Capabilities.KubeVersion of the committed renders; validation runs against
# this one and the newest kubernetes-validate bundles.
KUBE_RENDER = "1.30.0"
MONITORING_API = "monitoring.coreos.com/v1"
CRD_GROUPS = ("monitoring.coreos.com/", "kafka.strimzi.io/")
ENV_NAME = re.compile(
    r"^SMSGW__(KAFKA__[A-Z0-9_]+|CONNECTIONS__[A-Z0-9_]+__(PASSWORD|PIN|CALLBACK_TOKEN|AUTH_USER|AUTH_PASSWORD|AUTH_TOKEN))$"
)

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL {message}")


def render(values, api_versions=()):
    """Template path -> text, like `helm template smsgw CHART -n smsgw`."""
    opts = dict(RELEASE, kube_version=f"v{KUBE_RENDER}")
    if api_versions:
        opts["api_versions"] = list(api_versions)
    with helm.Chart.load(str(CHART)) as chart:
        # helm_render takes kube_version and api_versions (helm template's
        # --kube-version, --api-versions); Chart.render does not pass them on.
        raw = _native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(opts))
    return json.loads(raw)


def merged_values(values):
    with helm.Chart.load(str(CHART)) as chart:
        return chart.merge_values(values)


def manifest(rendered):
    """The documents in helm template's form, then NOTES.txt as comments."""
    out = []
    notes = ""
    for path in sorted(rendered):
        if path.endswith("NOTES.txt"):
            notes = rendered[path]
            continue
        for doc in re.split(r"^---\s*$", rendered[path], flags=re.M):
            if doc.strip():
                out.append(f"---\n# Source: {path}\n{doc.strip()}\n")
    if notes.strip():
        out.append("# NOTES.txt:\n" + "".join(f"#{' ' if line else ''}{line}\n" for line in notes.strip().splitlines()))
    return "".join(out)


def documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def compare(path, text, update):
    rel = path.relative_to(CHART.parent.parent)
    if update:
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"  updated {rel}")
        return
    if not path.exists():
        fail(f"{rel} is missing (scripts/check-chart --update writes it)")
        return
    old = path.read_text()
    if old != text:
        diff = difflib.unified_diff(old.splitlines(), text.splitlines(), str(rel), "rendered now", lineterm="")
        print("\n".join(list(diff)[:80]))
        fail(f"{rel} differs from the render (scripts/check-chart --update after checking the diff)")


def lint(name, values):
    report = helm.lint(str(CHART), values, strict=True, kube_version=f"v{KUBE_RENDER}")
    for m in report.get("messages") or []:
        if m["severity"] >= 2:
            fail(f"{name}: helm lint --strict: {m['path']}: {m['error'].strip()}")
    for e in report.get("errors") or []:
        fail(f"{name}: helm lint: {e.strip()}")


def drop_empty(value):
    """The config as the TOML renderer writes it: no nulls, no empty tables."""
    if isinstance(value, dict):
        kept = {k: drop_empty(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if not (isinstance(v, dict) and not v)}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_toml(name, values, docs):
    """Each rendered smsgw.toml parses, and says what the values say."""
    merged = merged_values(values)
    port = merged["metrics"]["port"]
    modem_nodes = merged["modemHost"]["nodes"] if merged["modemHost"]["enabled"] else {}
    if merged.get("configToml"):
        shared = tomllib.loads(merged["configToml"])
    else:
        shared = copy.deepcopy(merged["config"])
        shared.setdefault("telemetry", {})["metrics_listen"] = f"0.0.0.0:{port}"
        shared["connections"] = list(shared.get("connections") or [])
        for node in modem_nodes.values():
            shared["connections"] += node["connections"]
    expected = {"config": drop_empty(shared)}
    for node, spec in modem_nodes.items():
        router_only = ("router", "routes", "lists", "optout", "quotas", "tracker", "connections")
        per_node = {k: v for k, v in shared.items() if k not in router_only}
        per_node["connections"] = spec["connections"]
        expected[node] = drop_empty(per_node)
    seen = set()
    for doc in docs:
        if doc["kind"] != "ConfigMap" or "smsgw.toml" not in doc.get("data", {}):
            continue
        try:
            parsed = tomllib.loads(doc["data"]["smsgw.toml"])
        except tomllib.TOMLDecodeError as e:
            fail(f"{name}: {doc['metadata']['name']}: smsgw.toml is not TOML: {e}")
            continue
        component = doc["metadata"]["labels"].get("app.kubernetes.io/component")
        key = "config"
        if component == "modem-host":
            key = next((n for n in modem_nodes if n in doc["data"]["smsgw.toml"].splitlines()[0]), None)
        seen.add(key)
        if key not in expected or parsed != expected[key]:
            fail(f"{name}: {doc['metadata']['name']}: smsgw.toml {json.dumps(parsed, sort_keys=True)} "
                 f"is not the values' {json.dumps(expected.get(key), sort_keys=True)}")
    if seen != set(expected):
        fail(f"{name}: smsgw.toml ConfigMaps for {sorted(map(str, seen))}, expected {sorted(expected)}")


def check_pods(name, docs):
    """Pods: strict security context (the privileged modem host excepted), env names by the contract."""
    for doc in docs:
        if doc["kind"] not in ("Deployment", "DaemonSet"):
            continue
        spec = doc["spec"]["template"]["spec"]
        if spec.get("automountServiceAccountToken") is not False:
            fail(f"{name}: {doc['metadata']['name']}: automountServiceAccountToken is not false")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            privileged = sc.get("privileged", False)
            if not privileged and (sc.get("allowPrivilegeEscalation") is not False or sc.get("capabilities", {}).get("drop") != ["ALL"]):
                fail(f"{name}: {doc['metadata']['name']}: container security context is not strict")
            if privileged and doc["kind"] != "DaemonSet":
                fail(f"{name}: {doc['metadata']['name']}: privileged outside the modem host")
            if not sc.get("readOnlyRootFilesystem"):
                fail(f"{name}: {doc['metadata']['name']}: root file system is writable")
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and env["name"].startswith("SMSGW__") and not ENV_NAME.match(env["name"]):
                    fail(f"{name}: {doc['metadata']['name']}: {env['name']} is not a smsgw secret variable name")


def kubernetes_validate(name, path, versions):
    for version in versions:
        run = subprocess.run(
            [str(pathlib.Path(sys.executable).parent / "kubernetes-validate"), "--strict", "--quiet", "-k", version, str(path)],
            capture_output=True, text=True)
        lines = [line for line in run.stdout.splitlines() if line.strip()]
        # Custom resources have no schema there: ServiceMonitor, PrometheusRule, KafkaTopic.
        unexpected = [line for line in lines
                      if not (line.startswith("WARN") and any(f"api version {g}" in line for g in CRD_GROUPS))]
        if run.returncode != 0 or unexpected:
            fail(f"{name}: kubernetes-validate --strict -k {version}:\n" + "\n".join(unexpected + [run.stderr.strip()]))


def check_invalid():
    for path in sorted((TESTS / "invalid").glob("*.yaml")):
        text = path.read_text()
        expect = re.search(r"^# expect: (.+)$", text, flags=re.M).group(1).strip()
        try:
            render(yaml.safe_load(text))
        except helm.HelmError as e:
            if expect not in str(e):
                fail(f"invalid/{path.name}: refused, but not with {expect!r}: {e}")
            else:
                print(f"  invalid/{path.name}: refused ({expect})")
            continue
        fail(f"invalid/{path.name}: accepted; it must be refused with {expect!r}")


def check_capabilities():
    """ServiceMonitor and PrometheusRule follow the monitoring API unless forced."""
    def kinds(api_versions):
        return {d["kind"] for d in documents(manifest(render({}, api_versions)))}
    with_api, without = kinds([MONITORING_API]), kinds([])
    if not {"ServiceMonitor", "PrometheusRule"} <= with_api:
        fail(f"defaults with {MONITORING_API}: no ServiceMonitor/PrometheusRule")
    if {"ServiceMonitor", "PrometheusRule"} & without:
        fail(f"defaults without {MONITORING_API}: ServiceMonitor/PrometheusRule rendered")


def exprs(node):
    """Every "expr" string in a parsed JSON/YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


def grafana_to_promql(expr):
    # Grafana's variables, as Prometheus would see them after substitution.
    for var, value in (("$__rate_interval", "5m"), ("$__interval", "1m"), ("$__range", "1h")):
        expr = expr.replace(var, value)
    return re.sub(r"\$\{?(\w+)\}?", ".*", expr)


def check_rules_and_dashboard(promtool, update):
    rules_dir = CHART / "rules"
    for args in (["check", "rules", "smsgw.rules.yaml"], ["test", "rules", "smsgw.rules.test.yaml"]):
        run = subprocess.run([promtool, *args], cwd=rules_dir, capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"promtool {' '.join(args)}:\n{run.stdout}{run.stderr}")
        else:
            print(f"  promtool {' '.join(args)}: ok")
    rules = yaml.safe_load((rules_dir / "smsgw.rules.yaml").read_text())
    dashboard = json.loads((CHART / "dashboards" / "smsgw.json").read_text())
    panel_exprs = list(exprs(dashboard))
    queries = [v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
               for v in dashboard.get("templating", {}).get("list", [])]
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "dashboard.rules.yaml"
        records = [{"record": f"dashboard:expr_{i}", "expr": grafana_to_promql(e)} for i, e in enumerate(panel_exprs)]
        # label_values(SELECTOR, label): the selector is PromQL too.
        for i, q in enumerate(queries):
            m = re.match(r"^label_values\((.+),\s*\w+\)$", q or "")
            if m:
                records.append({"record": f"dashboard:variable_{i}", "expr": grafana_to_promql(m.group(1))})
        path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
        run = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"dashboard PromQL does not parse:\n{run.stdout}{run.stderr}")
        else:
            print(f"  dashboard: {len(records)} PromQL expressions parse")
    names = set()
    for e in list(exprs(rules)) + panel_exprs + queries:
        names.update(re.findall(r"\bsmsgw_[a-zA-Z0-9_]*", e or ""))
    compare(TESTS / "metric-names.txt", "".join(f"{n}\n" for n in sorted(names)), update)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--update", action="store_true", help="rewrite tests/rendered and tests/metric-names.txt")
    args = parser.parse_args()
    import kubernetes_validate.utils as kv
    versions = [KUBE_RENDER, kv.latest_version()]
    print(f"helm SDK {helm.helm_sdk_version()} (helm-c {helm.helm_c_version()}), "
          f"kubernetes-validate against {', '.join(versions)}")

    rendered_dir = TESTS / "rendered"
    rendered_dir.mkdir(exist_ok=True)
    cases = sorted((CHART / "ci").glob("*-values.yaml"))
    for path in cases:
        name = path.name[: -len("-values.yaml")]
        print(f"ci/{path.name}")
        values = yaml.safe_load(path.read_text()) or {}
        lint(name, values)
        try:
            text = manifest(render(values))
        except helm.HelmError as e:
            fail(f"{name}: helm template: {e}")
            continue
        out = rendered_dir / f"{name}.yaml"
        compare(out, text, args.update)
        docs = documents(text)
        check_toml(name, values, docs)
        check_pods(name, docs)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(text)
            f.flush()
            kubernetes_validate(name, f.name, versions)
    known = {f"{p.name[: -len('-values.yaml')]}.yaml" for p in cases}
    for stale in rendered_dir.glob("*.yaml"):
        if stale.name not in known:
            if args.update:
                stale.unlink()
                print(f"  removed {stale.relative_to(CHART.parent.parent)}")
            else:
                fail(f"{stale.relative_to(CHART.parent.parent)} has no ci/ values file")

    print("values that must be refused")
    check_invalid()
    print("capabilities")
    check_capabilities()
    print("alert rules and dashboard")
    check_rules_and_dashboard(args.promtool, args.update)

    if failures:
        print(f"\n{len(failures)} check(s) failed")
        return 1
    print(f"\nchart checks passed ({len(cases)} values files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
