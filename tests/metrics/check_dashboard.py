#!/usr/bin/python3
"""Checks docs/grafana/softwire.json against docs/metrics.md.

- The file is JSON and a Grafana dashboard: title, uid, schemaVersion,
  panels with unique ids, a type, a title and a grid position inside the 24
  columns; every query panel uses the ${datasource} variable, which exists.
- The panels the metrics issue asks for exist: throughput, drops by reason,
  top sessions, spoofing attempts, control-plane health.
- Every metric a query names is documented in docs/metrics.md (histogram
  series through their _bucket/_sum/_count), and every label a selector or a
  by()/without() clause names is a documented label of a metric of that
  query.
- Every query is valid PromQL: promtool check rules parses them as recording
  rules (with Grafana's variables replaced by values).

Then it proves that these checks can fail: a dashboard with an undocumented
metric, an unknown label, broken PromQL or a duplicate panel id must each be
rejected.
"""
import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

REQUIRED_PANELS = [
    "throughput by port",
    "drops by reason",
    "top sessions by throughput",
    "spoofing attempts",
    "command latency",
]
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "${top}": "10",
    "$top": "10",
}
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "topk", "bottomk", "rate", "irate", "increase",
    "changes", "histogram_quantile", "by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "offset", "bool", "time", "le",
}


def read_doc(path):
    """{metric: (type, set of labels)} from the tables of docs/metrics.md."""
    row = re.compile(r"^\| `([a-z_:][a-z0-9_:]*)` \|\s*(\w+)\s*\|([^|]*)\|")
    metrics = {}
    with open(path) as f:
        for line in f:
            m = row.match(line)
            if m:
                metrics[m.group(1)] = (m.group(2), set(re.findall(r"`(\w+)`", m.group(3))))
    if not metrics:
        raise SystemExit(f"{path}: no metric table rows found")
    return metrics


def all_panels(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        for inner in panel.get("panels", []):  # collapsed rows
            yield inner


def expand(expr):
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def documented_series(name, doc):
    """The documented metric behind a series name, and its extra labels."""
    if name in doc:
        return name, set()
    for suffix, extra in (("_bucket", {"le"}), ("_sum", set()), ("_count", set())):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and doc.get(base, ("",))[0] in ("histogram", "summary"):
            return base, extra
    return None, set()


def check_expr(where, expr, doc, errors):
    if "$" in expr:
        errors.append(f"{where}: unknown Grafana variable in {expr!r}")
    # Drop string literals so that label values are not taken for names.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    labels_here = set()
    for name in set(re.findall(r"\b(softwire_[a-z0-9_]+)", bare)):
        base, extra = documented_series(name, doc)
        if base is None:
            errors.append(f"{where}: {name} is not in docs/metrics.md")
            continue
        labels = doc[base][1] | extra
        labels_here |= labels
        for selector in re.findall(re.escape(name) + r"\{([^}]*)\}", bare):
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector):
                if label not in labels:
                    errors.append(f"{where}: {name} has no label {label!r}")
    for clause in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", bare):
        for label in re.findall(r"\w+", clause):
            if label not in labels_here:
                errors.append(f"{where}: no metric of the query has the label {label!r}")
    for word in re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", bare):
        if not word.startswith("softwire_") and word not in PROMQL_WORDS:
            errors.append(f"{where}: unexpected function {word!r}")


def check_promql(exprs, promtool, errors):
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": expr} for i, (_, expr) in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(rules, f)  # JSON is YAML
        path = f.name
    try:
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        errors.append("promtool check rules: " + (r.stdout + r.stderr).strip())


def check(dashboard, doc, promtool):
    errors = []
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        if key not in dashboard:
            errors.append(f"dashboard has no {key!r}")
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource":
        errors.append("no datasource variable")
    ids = set()
    titles = []
    exprs = []
    for panel in all_panels(dashboard):
        title = panel.get("title", "")
        where = f"panel {panel.get('id')} {title!r}"
        if panel.get("id") in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(panel.get("id"))
        if not title or "type" not in panel:
            errors.append(f"{where}: no title or type")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in "hwxy") or grid["x"] + grid["w"] > 24:
            errors.append(f"{where}: bad gridPos {grid}")
        titles.append(title.lower())
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets", [])
        if not targets:
            errors.append(f"{where}: no query")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"{where}: datasource is not ${{datasource}}")
        for target in targets:
            expr = target.get("expr", "")
            if not expr:
                errors.append(f"{where}: empty query {target.get('refId')}")
                continue
            exprs.append((where, expand(expr)))
    for required in REQUIRED_PANELS:
        if not any(required in t for t in titles):
            errors.append(f"no panel titled like {required!r}")
    for where, expr in exprs:
        check_expr(where, expr, doc, errors)
    check_promql(exprs, promtool, errors)
    return errors


def first_query_panel(dashboard):
    return next(p for p in all_panels(dashboard) if p.get("targets"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dashboard", required=True)
    parser.add_argument("--doc", required=True)
    parser.add_argument("--promtool", required=True)
    args = parser.parse_args()

    with open(args.dashboard) as f:
        dashboard = json.load(f)  # raises on invalid JSON
    doc = read_doc(args.doc)
    errors = check(dashboard, doc, args.promtool)
    for e in errors:
        print("FAIL:", e)
    queries = sum(len(p.get("targets", [])) for p in all_panels(dashboard))
    print(f"{args.dashboard}: {len(list(all_panels(dashboard)))} panels, {queries} queries, "
          f"{len(doc)} documented metrics")

    # The checks can fail.
    mutations = {
        "undocumented metric": lambda d: first_query_panel(d)["targets"][0].update(
            expr="rate(softwire_no_such_metric_total[5m])"),
        "unknown label": lambda d: first_query_panel(d)["targets"][0].update(
            expr='sum by (colour) (softwire_port_bytes_total{colour="red"})'),
        "broken PromQL": lambda d: first_query_panel(d)["targets"][0].update(
            expr="sum(rate(softwire_port_bytes_total[5m])"),
        "duplicate panel id": lambda d: d["panels"].append(copy.deepcopy(first_query_panel(d))),
        "missing panel": lambda d: d.update(
            panels=[p for p in d["panels"] if "spoofing" not in p.get("title", "").lower()]),
    }
    for what, mutate in mutations.items():
        broken = copy.deepcopy(dashboard)
        mutate(broken)
        if not check(broken, doc, args.promtool):
            errors.append(f"self-check: a dashboard with a {what} was accepted")
            print("FAIL:", errors[-1])
    if errors:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
