#!/usr/bin/env bash
# System test: the deployment files (deploy/, docker-compose.yml, .env.example) are valid
# and keep the contract of DESIGN.md: binary names, FRESHET_ADMIN_ADDR ports, /healthz and
# /readyz, metric names, stop timeouts above FRESHET_GRACE, non-root images. Needs no
# running service (it ignores FRESHET_TEST_*). A check whose tool is missing is skipped
# with a "skip -" line, never failed.
#
# Tools (Debian packages): docker-compose, yamllint, prometheus (promtool), shellcheck,
# systemd (systemd-analyze), python3 + python3-yaml, binutils (readelf), dpkg, apt
# (apt-cache), git. Ends with "N passed, N failed"; exits 1 when anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BIN=${FRESHET_BIN:-$ROOT/bin}
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/freshet-deploy.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

pass() { T_PASSED=$((T_PASSED + 1)); echo "ok - $1"; }
fail() {
    T_FAILED=$((T_FAILED + 1))
    echo "not ok - $1"
    [ $# -gt 1 ] && [ -n "$2" ] && printf '%s\n' "$2" | head -n 20 | sed 's/^/#   /'
    return 0
}
skip() { T_SKIPPED=$((T_SKIPPED + 1)); echo "skip - $1 ($2)"; }
note() { echo "# $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# check NAME CMD...: passes when CMD exits 0; shows the end of its output otherwise.
check() {
    local name=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then pass "$name"; else
        fail "$name" "$(tail -n 15 "$TMP/check.out")"
    fi
}

# Python with PyYAML for the structural checks (python3-yaml).
PY=""
for p in python3 /usr/bin/python3; do
    if have "$p" && "$p" -c 'import yaml' >/dev/null 2>&1; then PY=$p; break; fi
done

# pycheck SECTION: runs a section of the Python checker; its lines
# "ok NAME", "fail NAME<TAB>DETAIL", "skip NAME<TAB>WHY", "note TEXT" are counted here.
pycheck() {
    if [ -z "$PY" ]; then skip "$1 checks" "no python3 with the yaml module (python3-yaml)"; return; fi
    "$PY" "$TMP/checks.py" "$@" >"$TMP/py.out" 2>&1 || echo "fail $1 checker crashed	$(tail -n 5 "$TMP/py.out")" >>"$TMP/py.out"
    count_lines "$TMP/py.out"
}

# count_lines FILE: counts a checker's "ok NAME", "fail NAME<TAB>DETAIL", "skip NAME<TAB>WHY"
# and "note TEXT" lines (pycheck, tests/containers/k8s/check.sh).
count_lines() {
    local kind rest name detail line
    while IFS= read -r line; do
        kind=${line%% *}
        rest=${line#* }
        name=${rest%%$'\t'*}
        detail=""
        [ "$name" != "$rest" ] && detail=${rest#*$'\t'}
        case "$kind" in
        ok) pass "$name" ;;
        fail) fail "$name" "${detail//$'\v'/$'\n'}" ;;
        skip) skip "$name" "$detail" ;;
        note) note "$rest" ;;
        *) echo "$line" ;;
        esac
    done <"$1"
}

cat >"$TMP/checks.py" <<'PYTHON'
import glob, json, os, re, subprocess, sys
import yaml

ROOT = os.getcwd()
KNOWN_VAR = re.compile(r'\b(?:FRESHET|KEEPA|DATABASE|REDIS)_[A-Z0-9_]+\b')
# Variables docker-compose.yml and the manifests use besides the programs' own.
COMPOSE_ONLY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "FRESHET_IMAGE",
                "GRAFANA_ADMIN_PASSWORD", "COMPOSE_PROFILES", "REDIS_ADDRESS"}
PROPOSED_METRICS = {"freshet_consecutive_failed_runs"}
BUILTIN_METRICS = {"up"}


def out(kind, name, detail=""):
    detail = str(detail).replace("\n", "\v")
    print(f"{kind} {name}" + (f"\t{detail}" if detail else ""))


def result(name, problems):
    if problems:
        out("fail", name, "; ".join(str(p) for p in problems[:12]))
    else:
        out("ok", name)


def dur(s):
    """'8s', '12s', '1m30s', '2m', 15 (seconds) -> seconds."""
    if isinstance(s, (int, float)):
        return float(s)
    total, units = 0.0, {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r'(\d+(?:\.\d+)?)(ms|s|m|h|d)', str(s))
    if not parts or "".join(a + b for a, b in parts) != str(s).strip():
        raise ValueError(f"not a duration: {s!r}")
    for n, u in parts:
        total += float(n) * units[u]
    return total


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def readme_vars():
    return set(KNOWN_VAR.findall(read("README.md")))


def help_vars():
    b = os.environ.get("FRESHET_BIN_DIR", "bin")
    found = set()
    for prog in ("freshet-scout", "freshet-processor", "freshet-refresher"):
        path = os.path.join(b, prog)
        if os.access(path, os.X_OK):
            r = subprocess.run([path, "--help"], capture_output=True, text=True)
            found |= set(KNOWN_VAR.findall(r.stdout))
    return found


def env_file_vars(path):
    """(set: VAR=... lines, documented: VAR anywhere, commented or not)."""
    text = read(path)
    assigned = set(re.findall(r'^([A-Z][A-Z0-9_]*)=', text, re.M))
    documented = set(re.findall(r'^#?\s*([A-Z][A-Z0-9_]*)=', text, re.M)) | set(KNOWN_VAR.findall(text))
    return assigned, documented


def exported_metrics():
    names = set()
    for d in ("common", "scout", "processor", "refresher", "ctl"):
        for path in glob.glob(os.path.join(ROOT, d, "**", "*.c"), recursive=True):
            with open(path, errors="replace") as f:
                names |= set(re.findall(r'"(freshet_[a-z0-9_]+)"', f.read()))
    return names


def metric_refs(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values are not metric names
    return set(re.findall(r'(?<![A-Za-z0-9_$])(freshet_[a-zA-Z0-9_]+)', expr))


def unknown_metrics(refs, exported, extra=()):
    bad = set()
    for m in refs:
        base = re.sub(r'_(bucket|sum|count)$', '', m)
        if m not in exported and base not in exported and m not in extra:
            bad.add(m)
    return bad


# ---------------------------------------------------------------------------------------
def sec_env():
    known = readme_vars() | help_vars()
    assigned, documented = env_file_vars(".env.example")
    result(".env.example documents every README.md variable",
           sorted(readme_vars() - documented))
    hv = help_vars()
    if hv:
        result(".env.example documents every variable of the daemons' --help", sorted(hv - documented))
    else:
        out("skip", ".env.example documents every variable of --help", "bin/ not built")
    compose = read("docker-compose.yml")
    refs = set(re.findall(r'\$\{([A-Z_][A-Z0-9_]*)', compose))
    result(".env.example documents every ${VAR} of docker-compose.yml", sorted(refs - documented))
    result(".env.example sets no unknown variable (typos are silently ignored)",
           sorted(v for v in assigned if v not in known | COMPOSE_ONLY))
    for v in ("DATABASE_URL", "REDIS_URL", "KEEPA_API_KEY", "POSTGRES_PASSWORD"):
        if v not in assigned:
            out("fail", f".env.example sets {v}", "required by docker-compose.yml")
    lines = [l for l in read(".env.example").splitlines() if re.match(r'^[A-Z][A-Z0-9_]*=', l)]
    result(".env.example values carry no quotes or trailing comments (env_file syntax)",
           [l for l in lines if re.search(r'["\']|\s#', l)])
    s_assigned, s_documented = env_file_vars("deploy/systemd/freshet.env.example")
    result("systemd freshet.env.example documents every README.md variable",
           sorted(readme_vars() - s_documented))
    result("systemd freshet.env.example sets no unknown variable", sorted(s_assigned - known))
    result("systemd freshet.env.example does not set FRESHET_ADMIN_ADDR (one port per unit)",
           ["FRESHET_ADMIN_ADDR is set"] if "FRESHET_ADMIN_ADDR" in s_assigned else [])


def sec_compose(cfg_path, grace):
    cfg = yaml.safe_load(open(cfg_path))
    svcs = cfg.get("services", {})
    ports = {"scout": 9101, "processor": 9102, "refresher": 9103}
    for name in ("redis", "postgres", "migrate", "scout", "processor", "refresher"):
        if name not in svcs:
            out("fail", f"compose: service {name} exists", "missing")
    redis = svcs.get("redis", {})
    cmd = " ".join(redis.get("command", []) if isinstance(redis.get("command"), list) else [str(redis.get("command"))])
    p = []
    if "noeviction" not in cmd: p.append("no --maxmemory-policy noeviction")
    if "appendonly" not in cmd: p.append("no --appendonly yes")
    if "ping" not in json.dumps(redis.get("healthcheck", {})): p.append("no redis-cli ping healthcheck")
    result("compose: redis runs noeviction + appendonly with a ping healthcheck", p)
    pg = svcs.get("postgres", {})
    p = []
    if "pg_isready" not in json.dumps(pg.get("healthcheck", {})): p.append("no pg_isready healthcheck")
    if not any(str(v).split(":")[0] in cfg.get("volumes", {}) for v in pg.get("volumes", [])
               if isinstance(v, str)) and not any(isinstance(v, dict) and v.get("type") == "volume"
                                                  for v in pg.get("volumes", [])):
        p.append("no named volume")
    result("compose: postgres has a named volume and a pg_isready healthcheck", p)
    mig = svcs.get("migrate", {})
    p = []
    if mig.get("command") != ["freshetctl", "migrate"]: p.append(f"command {mig.get('command')}")
    if (mig.get("depends_on") or {}).get("postgres", {}).get("condition") != "service_healthy":
        p.append("does not wait for postgres healthy")
    if mig.get("restart", "no") not in ("no", None): p.append(f"restart {mig.get('restart')}")
    result("compose: migrate is a one-shot freshetctl migrate after postgres is healthy", p)
    for name, port in ports.items():
        s = svcs.get(name, {})
        p = []
        if s.get("command", [None])[0] != f"freshet-{name}": p.append(f"command {s.get('command')}")
        env = s.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        if env.get("FRESHET_ADMIN_ADDR") != f"0.0.0.0:{port}":
            p.append(f"FRESHET_ADMIN_ADDR={env.get('FRESHET_ADMIN_ADDR')} (want 0.0.0.0:{port})")
        hc = json.dumps(s.get("healthcheck", {}))
        if f":{port}/healthz" not in hc: p.append(f"healthcheck does not GET :{port}/healthz")
        if s.get("restart") != "unless-stopped": p.append(f"restart {s.get('restart')}")
        try:
            if dur(s.get("stop_grace_period", "10s")) <= grace:
                p.append(f"stop_grace_period {s.get('stop_grace_period')} <= FRESHET_GRACE {grace}s")
        except ValueError as e:
            p.append(str(e))
        dep = s.get("depends_on") or {}
        if dep.get("migrate", {}).get("condition") != "service_completed_successfully":
            p.append("does not wait for migrate to complete")
        if dep.get("redis", {}).get("condition") != "service_healthy":
            p.append("does not wait for redis healthy")
        # docker-compose 1.x inlines env_file into environment; v2 keeps env_file.
        if not any(".env" in str(e) for e in (s.get("env_file") or [])) and "DATABASE_URL" not in env:
            p.append("no env_file .env")
        result(f"compose: {name} (command, admin 0.0.0.0:{port}, /healthz, restart, grace, depends_on, .env)", p)
    proc = svcs.get("processor", {})
    p = []
    if "container_name" in proc: p.append("container_name set")
    if proc.get("ports"): p.append(f"ports published {proc.get('ports')}")
    if int((proc.get("deploy") or {}).get("replicas", 1)) < 2: p.append("deploy.replicas < 2")
    result("compose: processor is scalable (deploy.replicas >= 2, no container_name, no ports)", p)


def sec_compose_demo(cfg_path):
    cfg = yaml.safe_load(open(cfg_path))
    fk = cfg.get("services", {}).get("fake-keepa")
    p = []
    if not fk:
        p.append("no fake-keepa service")
    else:
        c = " ".join(map(str, fk.get("command", [])))
        for want in ("freshet-fake-keepa", "--listen 0.0.0.0:8080", "--products 20000", "--key demo:20000"):
            if want not in c: p.append(f"command lacks '{want}'")
        if "demo" not in (fk.get("profiles") or []): p.append("not in the demo profile")
    env = read(".env.example")
    if not re.search(r'^#?\s*KEEPA_BASE_URL=http://fake-keepa:8080', env, re.M):
        p.append(".env.example does not show KEEPA_BASE_URL=http://fake-keepa:8080")
    result("compose --profile demo: fake-keepa with 20000 products and key demo, fleet pointer documented", p)


def sec_k8s():
    d = "deploy/k8s"
    files = sorted(glob.glob(os.path.join(ROOT, d, "*.yaml")) + glob.glob(os.path.join(ROOT, d, "*.yml")))
    docs, p = [], []
    for f in files:
        try:
            for doc in yaml.safe_load_all(open(f)):
                if doc is not None:
                    docs.append((os.path.basename(f), doc))
        except yaml.YAMLError as e:
            p.append(f"{f}: {e}")
    for f, doc in docs:
        if not doc.get("apiVersion") or not doc.get("kind"):
            p.append(f"{f}: no apiVersion/kind")
        elif doc["kind"] != "Kustomization" and not (doc.get("metadata") or {}).get("name"):
            p.append(f"{f}: {doc['kind']} without metadata.name")
        if (doc.get("metadata") or {}).get("namespace"):
            p.append(f"{f}: sets metadata.namespace (the manifests are namespace-less)")
    result(f"k8s: {len(docs)} documents have apiVersion, kind, metadata.name and no namespace", p)
    kust = [doc for f, doc in docs if doc.get("kind") == "Kustomization"]
    p = []
    if not kust:
        p.append("no kustomization.yaml")
    else:
        res = kust[0].get("resources", [])
        for r in res:
            if not os.path.exists(os.path.join(ROOT, d, r)): p.append(f"lists missing {r}")
        for f in files:
            b = os.path.basename(f)
            if b not in res and b not in ("kustomization.yaml", "kustomization.yml"):
                p.append(f"does not list {b}")
    result("k8s: kustomization.yaml lists exactly the manifests of deploy/k8s", p)
    by_kind = {}
    for f, doc in docs:
        by_kind.setdefault(doc.get("kind"), []).append(doc)
    cms = by_kind.get("ConfigMap", [])
    cm = cms[0].get("data", {}) if cms else {}
    try:
        grace = dur(cm.get("FRESHET_GRACE", "8s"))
    except ValueError:
        grace = 8.0
    known = readme_vars() | COMPOSE_ONLY
    result("k8s: ConfigMap holds only known variables and no secret",
           [k for k in cm if k not in known] + [k for k in cm if k in ("KEEPA_API_KEY", "DATABASE_URL", "REDIS_URL")]
           + (["no ConfigMap"] if not cms else []))
    secrets = by_kind.get("Secret", [])
    sd = (secrets[0].get("stringData") or {}) if secrets else {}
    result("k8s: Secret has KEEPA_API_KEY, DATABASE_URL, REDIS_URL as stringData",
           [k for k in ("KEEPA_API_KEY", "DATABASE_URL", "REDIS_URL") if k not in sd])
    jobs = by_kind.get("Job", [])
    p = []
    if not jobs:
        p.append("no Job")
    for j in jobs:
        c = j["spec"]["template"]["spec"]["containers"][0]
        if (c.get("command") or []) + (c.get("args") or []) != ["freshetctl", "migrate"]:
            p.append(f"command {c.get('command')}")
        if j["spec"]["template"]["spec"].get("restartPolicy") not in ("OnFailure", "Never"):
            p.append("restartPolicy must be OnFailure or Never")
    result("k8s: a Job runs freshetctl migrate", p)
    ports = {"scout": 9101, "processor": 9102, "refresher": 9103}
    deps = {x["metadata"]["name"]: x for x in by_kind.get("Deployment", [])}
    for name, port in ports.items():
        dep = deps.get(f"freshet-{name}")
        p = []
        if not dep:
            result(f"k8s: Deployment freshet-{name}", ["missing"])
            continue
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        sel = spec.get("selector", {}).get("matchLabels", {})
        tl = spec["template"].get("metadata", {}).get("labels", {})
        if not sel or any(tl.get(k) != v for k, v in sel.items()): p.append("selector does not match the pod labels")
        c = pod["containers"][0]
        if c.get("command") != [f"freshet-{name}"]: p.append(f"command {c.get('command')}")
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        if env.get("FRESHET_ADMIN_ADDR") != f"0.0.0.0:{port}": p.append(f"FRESHET_ADMIN_ADDR {env.get('FRESHET_ADMIN_ADDR')}")
        cports = {pp.get("name"): pp.get("containerPort") for pp in c.get("ports", [])}
        if port not in cports.values(): p.append(f"containerPort {port} missing")

        def probe(kind, path):
            pr = (c.get(kind) or {}).get("httpGet") or {}
            pt = pr.get("port")
            pt = cports.get(pt, pt)
            if pr.get("path") != path or pt != port:
                p.append(f"{kind} is not GET {path} on {port}")
        probe("livenessProbe", "/healthz")
        probe("readinessProbe", "/readyz")
        tg = pod.get("terminationGracePeriodSeconds", 30)
        if tg <= grace: p.append(f"terminationGracePeriodSeconds {tg} <= FRESHET_GRACE {grace}s")
        psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
        if not (psc.get("runAsNonRoot") or csc.get("runAsNonRoot")): p.append("runAsNonRoot not set")
        if not csc.get("readOnlyRootFilesystem"): p.append("readOnlyRootFilesystem not set")
        if csc.get("allowPrivilegeEscalation") is not False: p.append("allowPrivilegeEscalation not false")
        res = c.get("resources", {})
        if not res.get("requests") or not (res.get("limits") or {}).get("memory"):
            p.append("resources requests / memory limit missing")
        ann = spec["template"].get("metadata", {}).get("annotations", {})
        if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != str(port):
            p.append("prometheus.io/scrape + port annotations missing or wrong")
        refs = [e.get("configMapRef", e.get("secretRef", {})).get("name") for e in c.get("envFrom", [])]
        for want in [x["metadata"]["name"] for x in cms + secrets]:
            if want not in refs: p.append(f"envFrom lacks {want}")
        result(f"k8s: Deployment freshet-{name} (command, admin :{port}, probes, grace, non-root, "
               "read-only fs, resources, scrape annotations)", p)
    sos = by_kind.get("ScaledObject", [])
    p = []
    if not sos:
        p.append("no ScaledObject")
    for so in sos:
        if not so.get("apiVersion", "").startswith("keda.sh/"): p.append(f"apiVersion {so.get('apiVersion')}")
        tgt = so["spec"]["scaleTargetRef"]["name"]
        if tgt not in deps: p.append(f"scaleTargetRef {tgt} is no Deployment here")
        if not (0 <= so["spec"].get("minReplicaCount", 0) <= so["spec"].get("maxReplicaCount", 100)):
            p.append("min/max replicas")
        trig = [t for t in so["spec"].get("triggers", []) if t.get("type") == "redis"]
        lists = sorted(t["metadata"].get("listName", "") for t in trig)
        if lists != ["freshet:{keepa}:queue", "freshet:{keepa}:queue:hot"]:
            p.append(f"redis triggers on {lists}")
        for t in trig:
            m = t["metadata"]
            if "listLength" not in m: p.append("listLength missing")
            a = m.get("addressFromEnv")
            if not a and not m.get("address"): p.append("no address")
            if a and a not in cm: p.append(f"addressFromEnv {a} not in the ConfigMap")
    result("k8s: KEDA ScaledObject scales freshet-processor on queue and queue:hot", p)


def sec_rules(exported):
    doc = yaml.safe_load(open(os.path.join(ROOT, "deploy/prometheus/rules.yml")))
    p, refs, alerts = [], set(), set()
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            if "alert" not in r:
                continue
            alerts.add(r["alert"])
            if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                p.append(f"{r['alert']}: no severity label")
            for a in ("summary", "description"):
                if not r.get("annotations", {}).get(a):
                    p.append(f"{r['alert']}: no {a}")
            refs |= metric_refs(r["expr"])
    result("prometheus rules: every alert has severity, summary and description", p)
    want = {"FreshetNoDataIngested", "FreshetUpstreamErrorRate", "FreshetConsecutiveFailedRuns",
            "FreshetStalenessP99High", "FreshetDeadLettersGrowing", "FreshetTokenBudgetExhausted"}
    result("prometheus rules: the six required alerts exist", sorted(want - alerts))
    result("prometheus rules: only exported (or proposed) metric names",
           sorted(unknown_metrics(refs, exported, PROPOSED_METRICS)))
    for m in sorted(PROPOSED_METRICS & refs):
        if m not in exported:
            out("note", f"{m} is proposed for FreshetConsecutiveFailedRuns and not exported yet")
    tested = set(re.findall(r'alertname:\s*(\w+)', read("deploy/prometheus/rules.test.yml")))
    result("prometheus rules: unit tests cover at least three alerts",
           [] if len(tested & alerts) >= 3 else [f"only {sorted(tested & alerts)}"])


def sec_grafana(exported, promql_out):
    path = os.path.join(ROOT, "deploy/grafana/freshet.json")
    try:
        dash = json.load(open(path))
    except ValueError as e:
        result("grafana: freshet.json is valid JSON", [e])
        return
    out("ok", "grafana: freshet.json is valid JSON")
    p = []
    if int(dash.get("schemaVersion", 0)) < 36: p.append(f"schemaVersion {dash.get('schemaVersion')}")
    tv = [v for v in dash.get("templating", {}).get("list", [])
          if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    if not tv: p.append("no Prometheus datasource variable")
    result("grafana: schemaVersion >= 36 with a Prometheus datasource variable", p)
    panels = []
    for pn in dash.get("panels", []):
        panels.append(pn)
        panels.extend(pn.get("panels", []))
    ids = [pn.get("id") for pn in panels]
    p = []
    if len(ids) != len(set(ids)): p.append("duplicate panel ids")
    exprs = []
    for pn in panels:
        if pn.get("type") == "row":
            continue
        g = pn.get("gridPos", {})
        if g.get("x", 0) + g.get("w", 0) > 24: p.append(f"{pn.get('title')}: wider than 24")
        ds = json.dumps(pn.get("datasource", {}))
        if tv and "${" + tv[0]["name"] + "}" not in ds and "$" + tv[0]["name"] not in ds:
            p.append(f"{pn.get('title')}: datasource is not the variable")
        for t in pn.get("targets", []):
            if t.get("expr"):
                exprs.append((pn.get("title"), t["expr"]))
    result("grafana: panel ids unique, layout within 24 columns, datasource from the variable", p)
    titles = " | ".join(pn.get("title", "").lower() for pn in panels)
    need = {"throughput": "throughput", "queue depth": "queue", "staleness": "staleness",
            "tokens left": "tokens", "requests by code": "requests by code", "error rate": "error rate",
            "breaker": "breaker", "stage latency": "stage latency"}
    result("grafana: panels for throughput, queue, staleness, tokens, codes, error rate, breaker, latency",
           [k for k, w in need.items() if w not in titles])
    bad = {}
    for title, e in exprs:
        u = unknown_metrics(metric_refs(e), exported)
        if u:
            bad[title] = sorted(u)
        if not metric_refs(e) and not re.search(r'\bup\b', e):
            bad[title] = ["references no freshet metric"]
    result(f"grafana: all {len(exprs)} PromQL expressions use only exported metric names",
           [f"{k}: {v}" for k, v in bad.items()])
    # Every expression as a recording rule, so that promtool can parse it (Grafana variables
    # replaced by plain values).
    rules = [{"record": f"freshet:grafana_expr_{i}",
              "expr": e.replace("$__rate_interval", "5m").replace("$__interval", "1m")
                       .replace("${source}", ".*").replace("$source", ".*")}
             for i, (_, e) in enumerate(exprs)]
    with open(promql_out, "w") as f:
        yaml.safe_dump({"groups": [{"name": "grafana", "rules": rules}]}, f)


def sec_dockerfile(install_deps_path):
    text = read("deploy/Dockerfile")
    joined = re.sub(r'\\\n', ' ', text)
    stages = re.split(r'(?m)^FROM\s+', joined)[1:]
    p = []
    if len(stages) < 2:
        result("Dockerfile: multi-stage debian:12 build, debian:12-slim runtime", ["fewer than two stages"])
        return
    froms = [s.split()[0] for s in stages]
    args = dict(re.findall(r'(?m)^ARG\s+([A-Z_]+)=(\S+)', joined))
    froms = [re.sub(r'\$\{(\w+)\}', lambda m: args.get(m.group(1), m.group(0)), f) for f in froms]
    if froms[0] not in ("debian:12", "debian:bookworm"): p.append(f"build FROM {froms[0]}")
    if froms[-1] not in ("debian:12-slim", "debian:bookworm-slim"): p.append(f"runtime FROM {froms[-1]}")
    result("Dockerfile: multi-stage debian:12 build, debian:12-slim runtime", p)

    def apt_pkgs(stage):
        pk = []
        for m in re.finditer(r'apt-get install([^&;]*)', stage):
            pk += [w for w in m.group(1).split() if not w.startswith("-")]
        return pk
    build, runtime = apt_pkgs(stages[0]), apt_pkgs(stages[-1])
    with open("/dev/null" if not install_deps_path else install_deps_path) as f:
        inst = re.sub(r'\\\n', ' ', f.read())

    def var(name):
        m = re.search(name + r'="([^"]*)"', inst)
        return m.group(1).split() if m else None
    bp, rp = var("BUILD_PKGS"), var("RUNTIME_PKGS")
    p = []
    if bp is not None and sorted(set(bp)) != sorted(set(build)):
        p.append(f"build stage {sorted(build)} != install-deps.sh BUILD_PKGS {sorted(bp)}")
    if rp is not None and set(rp) - set(runtime):
        p.append(f"runtime stage lacks {sorted(set(rp) - set(runtime))} of RUNTIME_PKGS")
    if bp is None or rp is None:
        p.append("deploy/install-deps.sh: BUILD_PKGS / RUNTIME_PKGS not found")
    result("Dockerfile: apt packages agree with deploy/install-deps.sh (BUILD_PKGS, RUNTIME_PKGS)", p)
    rt = stages[-1]
    p = []
    m = re.search(r'(?m)^USER\s+(\S+)', rt)
    if not m or m.group(1).split(":")[0] in ("0", "root"): p.append("no non-root USER")
    elif m.group(1).split(":")[0] not in ("10001", "freshet"): p.append(f"USER {m.group(1)} (want 10001)")
    if "10001" not in rt: p.append("uid 10001 not created")
    if re.search(r'(?m)^HEALTHCHECK', joined): p.append("HEALTHCHECK set (compose/k8s probe instead)")
    if not re.search(r'(?m)^LABEL', rt): p.append("no LABEL")
    if not re.search(r'(?m)^COPY\s+--from=\S+\s+\S*bin/?\s+/usr/local/bin/?', rt): p.append("binaries not copied to /usr/local/bin")
    if re.search(r'(?m)^ENTRYPOINT', rt): p.append("ENTRYPOINT set (compose/k8s name the binary)")
    cmd = re.search(r'(?m)^CMD\s+(.*)$', rt)
    if not cmd or "--help" not in cmd.group(1): p.append("CMD is not a --help")
    if re.search(r'-dev\b', " ".join(runtime)): p.append("-dev package in the runtime stage")
    result("Dockerfile: runtime non-root uid 10001, labels, /usr/local/bin, CMD --help, no HEALTHCHECK", p)
    with open(os.environ["RUNTIME_PKGS_OUT"], "w") as f:
        f.write("\n".join(runtime) + "\n")
    di = [l.strip() for l in read(".dockerignore").splitlines()]
    result(".dockerignore excludes build/, bin/, .run/, .git",
           [x for x in ("build", "bin", ".run", ".git") if not any(l.rstrip("/").lstrip("/") == x for l in di)])


def sec_systemd(grace):
    d = os.path.join(ROOT, "deploy/systemd")
    ports = {"scout": 9101, "processor": 9102, "refresher": 9103}

    def ini(path):
        kv = {}
        for line in open(path):
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            k, _, v = line.partition("=")
            kv.setdefault(k.strip(), []).append(v.strip())
        return kv
    for name, port in ports.items():
        path = os.path.join(d, f"freshet-{name}.service")
        if not os.path.exists(path):
            result(f"systemd: freshet-{name}.service", ["missing"])
            continue
        u, p = ini(path), []
        g = lambda k: " ".join(u.get(k, []))
        if g("User") != "freshet": p.append(f"User={g('User')}")
        if "/etc/freshet/freshet.env" not in g("EnvironmentFile"): p.append("no EnvironmentFile=/etc/freshet/freshet.env")
        if g("Restart") != "on-failure": p.append(f"Restart={g('Restart')}")
        if g("KillSignal") not in ("SIGTERM", "TERM", "15"): p.append(f"KillSignal={g('KillSignal')}")
        try:
            if dur(g("TimeoutStopSec") or "90s") <= grace: p.append(f"TimeoutStopSec {g('TimeoutStopSec')} <= FRESHET_GRACE")
        except ValueError as e:
            p.append(str(e))
        for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes")):
            if g(k) != v: p.append(f"{k}={g(k)}")
        for w in ("network-online.target", "freshet-migrate.service"):
            if w not in g("After"): p.append(f"not After={w}")
        if "network-online.target" not in g("Wants"): p.append("not Wants=network-online.target")
        if f"/usr/local/bin/freshet-{name}" not in g("ExecStart"): p.append(f"ExecStart={g('ExecStart')}")
        if f"FRESHET_ADMIN_ADDR=127.0.0.1:{port}" not in g("Environment"): p.append(f"admin not on 127.0.0.1:{port}")
        result(f"systemd: freshet-{name}.service (user, env file, restart, SIGTERM, TimeoutStopSec > grace, "
               "hardening, ordering)", p)
    path = os.path.join(d, "freshet-migrate.service")
    u = ini(path) if os.path.exists(path) else {}
    p = []
    if u.get("Type") != ["oneshot"]: p.append(f"Type={u.get('Type')}")
    if "/usr/local/bin/freshetctl migrate" not in " ".join(u.get("ExecStart", [])): p.append("ExecStart")
    if u.get("User") != ["freshet"]: p.append("User")
    result("systemd: freshet-migrate.service is a oneshot freshetctl migrate", p)


if __name__ == "__main__":
    sec = sys.argv[1]
    if sec == "env":
        sec_env()
    elif sec == "compose":
        sec_compose(sys.argv[2], float(sys.argv[3]))
    elif sec == "compose-demo":
        sec_compose_demo(sys.argv[2])
    elif sec == "k8s":
        sec_k8s()
    elif sec == "rules":
        sec_rules(exported_metrics())
    elif sec == "grafana":
        sec_grafana(exported_metrics(), sys.argv[2])
    elif sec == "dockerfile":
        sec_dockerfile(sys.argv[2] if len(sys.argv) > 2 else "")
    elif sec == "systemd":
        sec_systemd(float(sys.argv[2]))
    elif sec == "grace":
        print(dur(sys.argv[2]))
PYTHON
export FRESHET_BIN_DIR=$BIN RUNTIME_PKGS_OUT=$TMP/runtime-pkgs

echo "# deployment files"
missing=""
for f in deploy/Dockerfile .dockerignore docker-compose.yml .env.example .yamllint deploy/README.md \
    deploy/k8s/kustomization.yaml deploy/prometheus/prometheus.yml deploy/prometheus/rules.yml \
    deploy/prometheus/rules.test.yml deploy/grafana/freshet.json deploy/systemd/freshet-scout.service \
    deploy/systemd/freshet-processor.service deploy/systemd/freshet-refresher.service \
    deploy/systemd/freshet-migrate.service deploy/systemd/freshet.env.example; do
    [ -f "$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass "all deployment files exist"; else fail "all deployment files exist" "missing:$missing"; fi

# FRESHET_GRACE as the deployments configure it (default 8s).
GRACE=8
if [ -n "$PY" ]; then
    g=$(sed -n 's/^#\{0,1\} *FRESHET_GRACE=\([0-9a-z.]*\).*/\1/p' .env.example | head -n 1)
    GRACE=$("$PY" "$TMP/checks.py" grace "${g:-8s}" 2>/dev/null || echo 8)
fi

echo "# configuration files"
pycheck env

echo "# docker-compose"
if have docker-compose; then
    # As an operator does it: cp .env.example .env; the build context and mounts are not read.
    mkdir -p "$TMP/compose"
    cp docker-compose.yml "$TMP/compose/"
    cp .env.example "$TMP/compose/.env"
    ln -s "$ROOT/deploy" "$TMP/compose/deploy"
    dc() {
        (cd "$TMP/compose" && env -u COMPOSE_FILE -u COMPOSE_PROFILES -u COMPOSE_PROJECT_NAME \
            -u POSTGRES_PASSWORD -u FRESHET_IMAGE docker-compose "$@")
    }
    if dc config >"$TMP/compose.yml" 2>"$TMP/compose.err"; then
        pass "docker-compose config validates (with .env from .env.example)"
        pycheck compose "$TMP/compose.yml" "$GRACE"
    else
        fail "docker-compose config validates (with .env from .env.example)" "$(cat "$TMP/compose.err")"
    fi
    if dc --profile demo config >"$TMP/compose-demo.yml" 2>"$TMP/compose.err"; then
        pass "docker-compose --profile demo config validates"
        pycheck compose-demo "$TMP/compose-demo.yml"
    else
        fail "docker-compose --profile demo config validates" "$(cat "$TMP/compose.err")"
    fi
    check "docker-compose --profile monitoring config validates" dc --profile monitoring config -q
    # Without a .env the file must refuse to start rather than run without a database password.
    rm "$TMP/compose/.env"
    : >"$TMP/compose/.env"
    if dc config -q >/dev/null 2>&1; then
        fail "docker-compose refuses an .env without POSTGRES_PASSWORD"
    else
        pass "docker-compose refuses an .env without POSTGRES_PASSWORD"
    fi
else
    skip "docker-compose config" "docker-compose not installed (Debian package docker-compose)"
fi

echo "# yamllint"
if have yamllint; then
    check "yamllint deploy/ docker-compose.yml .yamllint" yamllint -s -c .yamllint deploy docker-compose.yml .yamllint
else
    skip "yamllint" "yamllint not installed (Debian package yamllint)"
fi

echo "# Kubernetes manifests"
pycheck k8s
# Against the Kubernetes API schemas and KEDA's documented fields (npm packages that
# make test-containers installs; a "skip" line when they are not installed).
bash tests/containers/k8s/check.sh >"$TMP/k8s.out" 2>&1
count_lines "$TMP/k8s.out"

echo "# Prometheus"
if have promtool; then
    check "promtool check rules deploy/prometheus/rules.yml" promtool check rules deploy/prometheus/rules.yml
    check "promtool test rules deploy/prometheus/rules.test.yml" promtool test rules deploy/prometheus/rules.test.yml
    check "promtool check config deploy/prometheus/prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
    if [ -f deploy/prometheus/prometheus-k8s.yml ]; then
        if promtool check config deploy/prometheus/prometheus-k8s.yml >"$TMP/p.out" 2>&1; then
            pass "promtool check config deploy/prometheus/prometheus-k8s.yml"
        elif grep -q 'field kubernetes_sd_configs not found' "$TMP/p.out"; then
            skip "promtool check config deploy/prometheus/prometheus-k8s.yml" \
                "this promtool lacks Kubernetes discovery, as Debian's build does"
        else
            fail "promtool check config deploy/prometheus/prometheus-k8s.yml" "$(cat "$TMP/p.out")"
        fi
    fi
else
    skip "promtool check/test rules, check config" "promtool not installed (Debian package prometheus)"
fi
pycheck rules

echo "# Grafana"
pycheck grafana "$TMP/grafana-rules.yml"
if have promtool && [ -s "$TMP/grafana-rules.yml" ]; then
    check "grafana: every PromQL expression parses (promtool)" promtool check rules "$TMP/grafana-rules.yml"
elif [ -s "$TMP/grafana-rules.yml" ]; then
    skip "grafana: PromQL parses" "promtool not installed (Debian package prometheus)"
fi

echo "# Dockerfile"
pycheck dockerfile deploy/install-deps.sh
# Every shared library a binary needs comes from a package of the runtime stage's apt-get
# line (or from libc6, which debian:12-slim has); transitive ones from their dependencies.
bins=()
for b in freshet-scout freshet-processor freshet-refresher freshetctl freshet-fake-keepa; do
    [ -x "$BIN/$b" ] && bins+=("$BIN/$b")
done
if [ ${#bins[@]} -eq 0 ]; then
    skip "Dockerfile runtime packages cover the binaries' libraries" "no binaries in $BIN (run make)"
elif ! have ldd || ! have dpkg || ! have readelf || [ ! -s "$TMP/runtime-pkgs" ]; then
    skip "Dockerfile runtime packages cover the binaries' libraries" "needs ldd, readelf (binutils), dpkg, python3-yaml"
else
    base="libc6 libgcc-s1"   # present in debian:12-slim (Essential / required)
    # pkg_of PATH: the Debian package that ships the file (usr-merge aware).
    pkg_of() {
        local p=$1 r
        for cand in "$p" "$(readlink -f "$p")" "${p#/usr}" "/usr$p" "$(readlink -f "$p" | sed 's|^/usr||')"; do
            r=$(dpkg -S "$cand" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$r" ] && { echo "$r"; return; }
        done
        echo "?"
    }
    direct_bad=""
    needed_pkgs=""
    declare -A seen=()
    for b in "${bins[@]}"; do
        ldd "$b" >"$TMP/ldd.out" 2>&1
        for so in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            path=$(awk -v so="$so" '$1 == so && $2 == "=>" { print $3 }' "$TMP/ldd.out")
            if [ -z "$path" ] || [ "$path" = "not" ]; then
                direct_bad="$direct_bad $(basename "$b"):$so(not found)"
                continue
            fi
            pkg=${seen[$path]:-}
            [ -n "$pkg" ] || { pkg=$(pkg_of "$path"); seen[$path]=$pkg; }
            needed_pkgs="$needed_pkgs $pkg"
            if ! grep -qx "$pkg" "$TMP/runtime-pkgs" && ! [[ " $base " == *" $pkg "* ]]; then
                direct_bad="$direct_bad $(basename "$b"):$so($pkg)"
            fi
        done
    done
    if [ -z "$direct_bad" ]; then
        pass "Dockerfile runtime apt-get line has the package of every NEEDED library ($(echo "$needed_pkgs" | tr ' ' '\n' | sort -u | grep -v '^$' | tr '\n' ' '))"
    else
        fail "Dockerfile runtime apt-get line has the package of every NEEDED library" "missing:$direct_bad"
    fi
    # Library packages on the runtime line that no binary needs (stale entries).
    stale=""
    while read -r p; do
        case "$p" in lib* | zlib1g) ;; *) continue ;; esac
        [[ " $needed_pkgs " == *" $p "* ]] || stale="$stale $p"
    done <"$TMP/runtime-pkgs"
    if [ -z "$stale" ]; then pass "Dockerfile runtime apt-get line has no library package the binaries do not need"
    else fail "Dockerfile runtime apt-get line has no library package the binaries do not need" "unneeded:$stale"; fi
    # Transitive libraries (libssl3, libkrb5-3, ...) arrive as dependencies of those packages.
    if have apt-cache; then
        # shellcheck disable=SC2046 # one package per word
        apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances $(cat "$TMP/runtime-pkgs") 2>/dev/null |
            sed -n 's/^ *\(Pre\)\{0,1\}Depends: <\{0,1\}\([^>: ]*\).*/\2/p; s/^\([a-z0-9][^ :]*\)$/\1/p' |
            sort -u >"$TMP/closure"
        trans_bad=""
        for b in "${bins[@]}"; do
            for path in $(ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
                pkg=${seen[$path]:-}
                [ -n "$pkg" ] || { pkg=$(pkg_of "$path"); seen[$path]=$pkg; }
                grep -qx "$pkg" "$TMP/closure" || [[ " $base " == *" $pkg "* ]] ||
                    [[ " $trans_bad " == *" $pkg "* ]] || trans_bad="$trans_bad $pkg"
            done
        done
        if [ -s "$TMP/closure" ] && [ -z "$trans_bad" ]; then
            pass "every library in ldd's output comes with the runtime packages' dependencies"
        elif [ ! -s "$TMP/closure" ]; then
            skip "transitive libraries come with the runtime packages" "apt-cache knows none of them (no apt lists?)"
        else
            fail "every library in ldd's output comes with the runtime packages' dependencies" "not pulled in:$trans_bad"
        fi
    else
        skip "transitive libraries come with the runtime packages" "apt-cache not available"
    fi
fi

echo "# systemd"
pycheck systemd "$GRACE"
if have systemd-analyze; then
    # Offline, against a scratch root holding the units, the binaries and systemd's own units.
    R=$TMP/root
    mkdir -p "$R/usr/local/bin" "$R/etc/systemd/system" "$R/usr/lib/systemd"
    for b in freshet-scout freshet-processor freshet-refresher freshetctl; do
        if [ -x "$BIN/$b" ]; then cp "$BIN/$b" "$R/usr/local/bin/"; else
            printf '#!/bin/sh\n' >"$R/usr/local/bin/$b"; chmod +x "$R/usr/local/bin/$b"; fi
    done
    for d in /usr/lib/systemd/system /lib/systemd/system; do
        [ -d "$d" ] && { cp -a "$d" "$R/usr/lib/systemd/" 2>/dev/null; break; }
    done
    cp deploy/systemd/*.service deploy/systemd/*.target "$R/etc/systemd/system/" 2>/dev/null
    units=""
    for u in deploy/systemd/*.service deploy/systemd/*.target; do
        [ -f "$u" ] && units="$units ${u##*/}"
    done
    units=${units# }
    # shellcheck disable=SC2086 # one unit per word
    if SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --root="$R" $units >"$TMP/sa.out" 2>&1 &&
        ! grep -q . "$TMP/sa.out"; then
        pass "systemd-analyze verify $units"
    elif grep -qiE 'unrecognized option|unknown option|Failed to (initialize|set up) manager|Operation not permitted' "$TMP/sa.out"; then
        skip "systemd-analyze verify" "cannot run here: $(head -n 1 "$TMP/sa.out")"
    else
        fail "systemd-analyze verify $units" "$(cat "$TMP/sa.out")"
    fi
else
    skip "systemd-analyze verify" "systemd-analyze not installed (Debian package systemd)"
fi

echo "# shellcheck"
if have shellcheck; then
    # Every shell script of the repository; only the deployment scripts (deploy/*.sh and
    # this test) count as assertions here, the others are reported for their owners.
    scripts=$( { git -c safe.directory='*' ls-files '*.sh' 2>/dev/null
                 git -c safe.directory='*' ls-files --others --exclude-standard '*.sh' 2>/dev/null
                 echo tests/run.sh; echo .ci/run; echo tests/system/deploy.sh; } | sort -u)
    others_bad=""
    for s in $scripts; do
        [ -f "$s" ] || continue
        if shellcheck -x -P SCRIPTDIR -S warning "$s" >"$TMP/sc.out" 2>&1; then
            ok=1
        else
            ok=0
        fi
        case "$s" in
        deploy/*.sh | tests/system/deploy.sh)
            if [ "$ok" = 1 ]; then pass "shellcheck $s"; else fail "shellcheck $s" "$(cat "$TMP/sc.out")"; fi
            ;;
        *)
            if [ "$ok" = 0 ]; then
                others_bad="$others_bad $s"
                note "shellcheck (not counted, for its owner): $s"
                shellcheck -x -P SCRIPTDIR -S warning -f gcc "$s" 2>&1 | sed 's/^/#     /'
            fi
            ;;
        esac
    done
    [ -z "$others_bad" ] && note "shellcheck: every other script of the repository is clean too"
else
    skip "shellcheck" "shellcheck not installed (Debian package shellcheck)"
fi

echo
echo "$T_SKIPPED skipped"
echo "$T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
