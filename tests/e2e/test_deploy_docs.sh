#!/usr/bin/env bash
# Checks of the deployment documentation: docs/deploy.md, the alerting rules and their unit
# tests (docs/alerts), and the Grafana dashboard (docs/grafana) name only metrics that
# `jitmem watch` exports; the dashboard is valid JSON and its queries parse; promtool accepts
# the rules and their tests pass.
. "$(dirname "$0")/lib.sh"

DEPLOY=docs/deploy.md
RULES=docs/alerts/jitmem-rules.yml
RULES_TEST=docs/alerts/jitmem-rules.test.yml
DASH=docs/grafana/jitmem-dashboard.json

# The metric families `jitmem watch` exports. This list mirrors src/live/watch.c
# (watch_prometheus): change both together.
METRICS=(
        jitmem_info
        jitmem_process_resident_memory_bytes
        jitmem_process_proportional_memory_bytes
        jitmem_process_private_memory_bytes
        jitmem_process_jit_code_bytes
        jitmem_process_jit_mappings
        jitmem_process_jit_debug_images
        jitmem_process_jit_debug_image_bytes
        jitmem_process_growth_slope_bytes_per_second
        jitmem_process_growth_class
        jitmem_processes
        jitmem_untracked_processes
        jitmem_total_resident_memory_bytes
        jitmem_total_proportional_memory_bytes
        jitmem_total_private_memory_bytes
        jitmem_total_jit_code_bytes
        jitmem_total_jit_debug_images
        jitmem_total_jit_debug_image_bytes
        jitmem_worker_restarts_total
        jitmem_growth_slope_bytes_per_second
        jitmem_growth_class
        jitmem_limit_bytes
        jitmem_time_to_limit_seconds
        jitmem_cgroup_memory_usage_bytes
        jitmem_cgroup_memory_working_set_bytes
        jitmem_cgroup_memory_limit_bytes
        jitmem_cgroup_oom_kills_total
        jitmem_self_cpu_seconds_total
        jitmem_self_max_resident_memory_bytes
        jitmem_ticks_total
)

known() { # known NAME: NAME is a listed metric
        local m
        for m in "${METRICS[@]}"; do [ "$m" = "$1" ] && return 0; done
        return 1
}
known_prefix() { # known_prefix PREFIX: some listed metric begins with PREFIX
        local m
        for m in "${METRICS[@]}"; do case $m in "$1"*) return 0 ;; esac; done
        return 1
}

# check_names FILE: every jitmem_ name in FILE is a listed metric; a name followed by ".*" (a
# relabeling regex) must begin one.
check_names() {
        local file=$1 names n bad=""
        names=$(grep -oE 'jitmem_[A-Za-z0-9_]*(\.\*)?' "$file" | sort -u)
        check "$file names metrics" -- test -n "$names"
        while IFS= read -r n; do
                [ -n "$n" ] || continue
                case $n in
                *'.*') known_prefix "${n%.\*}" || bad="$bad $n" ;;
                *) known "$n" || bad="$bad $n" ;;
                esac
        done <<<"$names"
        check_eq "$file names only metrics jitmem exports" "${bad# }" ""
}

for f in "$DEPLOY" "$RULES" "$RULES_TEST" "$DASH"; do
        check "$f exists" -- test -s "$f"
done

# The metrics named.
check_names "$DEPLOY"
check_names "$RULES"
check_names "$RULES_TEST"
check_names "$DASH"
# The table in deploy.md lists every metric.
missing=""
for m in "${METRICS[@]}"; do grep -qF "| \`$m\` |" "$DEPLOY" || missing="$missing $m"; done
check_eq "deploy.md's table lists every metric" "${missing# }" ""

# The dashboard.
"$PY" -m json.tool "$DASH" > /dev/null 2>&1
ok $? "dashboard is valid JSON"
jcheck "dashboard: schemaVersion 36 or later" "$DASH" "d['schemaVersion'] >= 36"
jcheck "dashboard: a prometheus datasource variable" "$DASH" \
        "any(v['name'] == 'datasource' and v['type'] == 'datasource' and v['query'] == 'prometheus' for v in d['templating']['list'])"
jcheck "dashboard: job and instance variables" "$DASH" \
        "{'job', 'instance'} <= {v['name'] for v in d['templating']['list'] if v['type'] == 'query'}"
jcheck "dashboard: every panel and query uses the datasource variable" "$DASH" \
        "all(p['datasource']['uid'] == '\${datasource}' and all(t['datasource']['uid'] == '\${datasource}' for t in p['targets']) for p in d['panels'])"
jcheck "dashboard: every query selects by job and instance" "$DASH" \
        "all('job=~\"\$job\"' in t['expr'] and 'instance=~\"\$instance\"' in t['expr'] for p in d['panels'] for t in p['targets'])"
jcheck "dashboard: panel ids unique" "$DASH" "len({p['id'] for p in d['panels']}) == len(d['panels'])"
jcheck "dashboard: time to the limit is a stat in seconds, thresholds at 1 h and 6 h" "$DASH" \
        "any(p['type'] == 'stat' and p['fieldConfig']['defaults']['unit'] == 's' and [s['value'] for s in p['fieldConfig']['defaults']['thresholds']['steps']][1:] == [3600, 21600] for p in d['panels'])"

# The YAML blocks of deploy.md parse.
if "$PY" -c 'import yaml' 2>/dev/null; then
        "$PY" - "$DEPLOY" <<'EOF'
import re, sys, yaml
text = open(sys.argv[1]).read()
blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
if not blocks:
    sys.exit("no yaml blocks")
for b in blocks:
    list(yaml.safe_load_all(b))
EOF
        ok $? "deploy.md: every yaml block parses"
else
        skip "PyYAML is not installed: the YAML blocks of docs/deploy.md were not parsed"
fi

# promtool: the rules, their tests, and the dashboard's queries.
if command -v promtool > /dev/null; then
        out=$(promtool check rules "$RULES" 2>&1)
        ok $? "promtool check rules $RULES"
        check "five rules" -- grep -q "SUCCESS: 5 rules found" <<<"$out"
        promtool test rules "$RULES_TEST" > "$TMP/test-rules.txt" 2>&1
        st=$?
        ok $st "promtool test rules $RULES_TEST"
        [ $st -eq 0 ] || cat "$TMP/test-rules.txt" >&2
        # Each query, with Grafana's variables given values, as a recording rule: promtool
        # parses them all.
        "$PY" - "$DASH" "$TMP/dash-rules.yml" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rules = []
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*")
        rules.append({"record": "dashboard:panel%d:%s" % (p["id"], t["refId"]), "expr": e})
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
EOF
        promtool check rules "$TMP/dash-rules.yml" > "$TMP/dash-rules.txt" 2>&1
        st=$?
        ok $st "the dashboard's queries parse (promtool)"
        [ $st -eq 0 ] || cat "$TMP/dash-rules.txt" >&2
else
        skip "promtool is not installed (Debian: apt-get install prometheus): the rules were not checked or tested"
fi

finish test_deploy_docs
