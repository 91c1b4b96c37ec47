#!/usr/bin/env node
// validate.js TOOL_DIR MANIFEST_DIR — checks the Kubernetes manifests of MANIFEST_DIR
// (deploy/k8s) against:
//   1. the Kubernetes API's JSON schemas as the npm package kubernetes-models ships them
//      (generated from Kubernetes' OpenAPI document; types, formats, required fields), and
//      KEDA's CRD schema as @kubernetes-models/keda ships it;
//   2. the same packages' TypeScript declarations, compiled with tsc: every object of a
//      manifest is an object literal of its declared type, so a field the API does not have
//      (a typo, a field at the wrong level) is an error -- the JSON schemas alone allow
//      unknown fields, as the API server's non-strict decoding does;
//   3. KEDA's documented fields for the ScaledObject and the redis (Redis Lists) scaler,
//      whose trigger metadata the CRD leaves as free string keys.
// TOOL_DIR holds package.json and node_modules (tests/containers/k8s/check.sh installs it).
// Prints one line per check: "ok NAME", "fail NAME<TAB>DETAIL" (detail lines joined by
// \v) or "note TEXT"; check.sh and the callers count them.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [toolDir, manifestDir] = process.argv.slice(2);
if (!toolDir || !manifestDir) {
    console.error('usage: validate.js TOOL_DIR MANIFEST_DIR');
    process.exit(2);
}
const toolRequire = createRequire(path.join(path.resolve(toolDir), 'package.json'));
const yaml = toolRequire('js-yaml');
const ts = toolRequire('typescript');
const version = (p) => toolRequire(`${p}/package.json`).version;

const out = (kind, name, detail) =>
    console.log(`${kind} ${name}` + (detail ? `\t${String(detail).replace(/\n/g, '\v')}` : ''));
const result = (name, problems) =>
    problems.length ? out('fail', name, problems.slice(0, 15).join('\n')) : out('ok', name);

// ---- load every document --------------------------------------------------------------
const files = fs.readdirSync(manifestDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const docs = []; // {file, index, doc}
const loadProblems = [];
for (const f of files) {
    try {
        yaml.loadAll(fs.readFileSync(path.join(manifestDir, f), 'utf8'), (doc) => {
            if (doc != null) docs.push({ file: f, index: docs.filter((d) => d.file === f).length, doc });
        });
    } catch (e) {
        loadProblems.push(`${f}: ${e.message}`);
    }
}
result(`k8s schema: ${files.length} files of ${path.basename(manifestDir)}/ parse as YAML`, loadProblems);
out('note', `kubernetes-models ${version('kubernetes-models')}, @kubernetes-models/keda ${version('@kubernetes-models/keda')}, typescript ${version('typescript')}`);

// apiVersion + kind -> the module of its model, or null when no schema applies.
function modelModule(apiVersion, kind) {
    const [group, ver] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    if (group === 'kustomize.config.k8s.io') return null;
    if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${ver}/${kind}`;
    return group ? `kubernetes-models/${group}/${ver}/${kind}` : `kubernetes-models/${ver}/${kind}`;
}
const label = (d) => `${d.file}${d.index ? `#${d.index}` : ''} (${d.doc.kind} ${(d.doc.metadata || {}).name || ''})`.replace(/ \)$/, ')');

// ---- 1. JSON schemas ------------------------------------------------------------------
const typed = []; // documents with a model: {d, mod}
for (const d of docs) {
    const { apiVersion, kind } = d.doc;
    if (!apiVersion || !kind) {
        out('fail', `k8s schema: ${d.file}#${d.index}`, 'no apiVersion or kind');
        continue;
    }
    const mod = modelModule(apiVersion, kind);
    if (!mod) {
        out('note', `${label(d)}: kustomize's own file, not a Kubernetes API object (not schema-checked)`);
        continue;
    }
    let Model;
    try {
        Model = toolRequire(mod)[kind];
    } catch (e) {
        Model = undefined;
    }
    if (typeof Model !== 'function') {
        out('fail', `k8s schema: ${label(d)}`, `no schema for ${apiVersion} ${kind} in the installed packages`);
        continue;
    }
    typed.push({ d, mod });
    try {
        new Model(d.doc).validate();
        out('ok', `k8s schema: ${label(d)} valid against the ${apiVersion} ${kind} schema`);
    } catch (e) {
        const errs = (e.errors || []).map((x) => `${x.instancePath || '/'} ${x.message}${x.params ? ' ' + JSON.stringify(x.params) : ''}`);
        out('fail', `k8s schema: ${label(d)} valid against the ${apiVersion} ${kind} schema`, errs.length ? errs.join('\n') : e.message);
    }
}

// ---- 2. unknown fields: the declared types, through tsc ---------------------------------
if (typed.length) {
    const tmp = fs.mkdtempSync(path.join(path.resolve(toolDir), 'check-'));
    const src = path.join(tmp, 'manifests.ts');
    let text = '';
    const ranges = []; // [firstLine, lastLine, label]
    typed.forEach(({ d, mod }, i) => {
        text += `import { I${d.doc.kind} as T${i} } from ${JSON.stringify(mod)};\n`;
    });
    typed.forEach(({ d }, i) => {
        const body = JSON.stringify(d.doc, null, 2);
        const first = text.split('\n').length;
        text += `export const m${i}: T${i} = ${body};\n`;
        ranges.push([first, text.split('\n').length - 1, label(d)]);
    });
    fs.writeFileSync(src, text);
    const program = ts.createProgram([src], {
        noEmit: true, strict: true, skipLibCheck: true, target: ts.ScriptTarget.ES2019,
        module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 || ts.ModuleResolutionKind.NodeJs,
        types: [],
    });
    const lines = text.split('\n');
    const byDoc = new Map(ranges.map((r) => [r[2], []]));
    const other = [];
    for (const diag of ts.getPreEmitDiagnostics(program)) {
        const msg = ts.flattenDiagnosticMessageText(diag.messageText, ' ');
        if (!diag.file || diag.file.fileName !== src) {
            other.push(msg);
            continue;
        }
        const line = diag.file.getLineAndCharacterOfPosition(diag.start).line + 1;
        const r = ranges.find(([a, b]) => line >= a && line <= b);
        const where = (lines[line - 1] || '').trim().replace(/,$/, '');
        (r ? byDoc.get(r[2]) : other).push(`${where}: ${msg}`);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const [name, problems] of byDoc) {
        result(`k8s fields: ${name} has only fields its type declares (tsc, strict)`, problems);
    }
    if (other.length) out('fail', 'k8s fields: type declarations load', other.join('\n'));
}

// ---- 3. KEDA's documented fields ------------------------------------------------------
// From KEDA's documentation (keda.sh, docs 2.21): "ScaledObject specification" and the
// scaler "Redis Lists" (trigger type redis).
const SO_SPEC = ['scaleTargetRef', 'pollingInterval', 'cooldownPeriod', 'initialCooldownPeriod',
    'idleReplicaCount', 'minReplicaCount', 'maxReplicaCount', 'fallback', 'advanced', 'triggers'];
const SO_TARGET = ['apiVersion', 'kind', 'name', 'envSourceContainerName'];
const TRIGGER = ['type', 'metadata', 'name', 'useCachedMetrics', 'authenticationRef', 'metricType'];
const REDIS = ['address', 'host', 'port', 'usernameFromEnv', 'passwordFromEnv', 'listName', 'listLength',
    'activationListLength', 'enableTLS', 'unsafeSsl', 'databaseIndex', 'addressFromEnv', 'hostFromEnv', 'portFromEnv'];
const byKind = (k) => docs.filter((d) => d.doc.kind === k).map((d) => d.doc);
const configMaps = Object.fromEntries(byKind('ConfigMap').map((c) => [c.metadata.name, c.data || {}]));
const secrets = Object.fromEntries(byKind('Secret').map((s) => [s.metadata.name, { ...(s.data || {}), ...(s.stringData || {}) }]));
const deployments = Object.fromEntries(byKind('Deployment').map((x) => [x.metadata.name, x]));
const unknown = (obj, allowed, where) => Object.keys(obj || {}).filter((k) => !allowed.includes(k)).map((k) => `${where}.${k} is not a documented field`);
const isInt = (v) => typeof v === 'string' && /^[0-9]+$/.test(v);

for (const so of byKind('ScaledObject')) {
    const name = `KEDA: ScaledObject ${so.metadata.name} uses only documented fields with valid values`;
    const p = [];
    const spec = so.spec || {};
    p.push(...unknown(spec, SO_SPEC, 'spec'));
    const tgt = spec.scaleTargetRef || {};
    p.push(...unknown(tgt, SO_TARGET, 'spec.scaleTargetRef'));
    if (!tgt.name) p.push('spec.scaleTargetRef.name is mandatory');
    const min = spec.minReplicaCount ?? 0;
    const max = spec.maxReplicaCount ?? 100;
    if (min > max) p.push(`minReplicaCount ${min} > maxReplicaCount ${max}`);
    if (spec.idleReplicaCount !== undefined && !(spec.idleReplicaCount < min)) p.push('idleReplicaCount must be less than minReplicaCount');
    if (spec.fallback && (spec.fallback.failureThreshold === undefined || spec.fallback.replicas === undefined)) {
        p.push('fallback needs failureThreshold and replicas');
    }
    if (!Array.isArray(spec.triggers) || !spec.triggers.length) p.push('no triggers');
    (spec.triggers || []).forEach((t, i) => {
        const w = `spec.triggers[${i}]`;
        p.push(...unknown(t, TRIGGER, w));
        if (!t.type || !t.metadata) p.push(`${w}: type and metadata are mandatory`);
        if (t.metricType && !['AverageValue', 'Value'].includes(t.metricType)) p.push(`${w}.metricType ${t.metricType} (redis: AverageValue or Value)`);
        if (t.type !== 'redis') {
            p.push(`${w}.type ${t.type}: only the redis scaler's fields are known to this check`);
            return;
        }
        const m = t.metadata || {};
        p.push(...unknown(m, REDIS, `${w}.metadata`));
        for (const k of ['listName', 'listLength']) if (!m[k]) p.push(`${w}.metadata.${k} is required`);
        for (const k of ['listLength', 'activationListLength', 'databaseIndex']) {
            if (m[k] !== undefined && !isInt(m[k])) p.push(`${w}.metadata.${k} ${JSON.stringify(m[k])} is not an integer string`);
        }
        for (const k of ['enableTLS', 'unsafeSsl']) {
            if (m[k] !== undefined && !['true', 'false'].includes(m[k])) p.push(`${w}.metadata.${k} must be "true" or "false"`);
        }
        if (m.unsafeSsl === 'true' && m.enableTLS !== 'true') p.push(`${w}.metadata.unsafeSsl requires enableTLS "true"`);
        const ways = [m.address, m.addressFromEnv, (m.host || m.hostFromEnv) && (m.port || m.portFromEnv)].filter(Boolean).length;
        if (ways !== 1) p.push(`${w}.metadata: give exactly one of address, addressFromEnv, host+port (or their FromEnv)`);
        // *FromEnv names are read from the scale target's container (docs: "an environment
        // variable on the scale target").
        const dep = deployments[tgt.name];
        const pod = dep && dep.spec && dep.spec.template && dep.spec.template.spec;
        const containers = (pod && pod.containers) || [];
        const c = tgt.envSourceContainerName ? containers.find((x) => x.name === tgt.envSourceContainerName) : containers[0];
        const env = new Set();
        if (c) {
            for (const e of c.env || []) env.add(e.name);
            for (const e of c.envFrom || []) {
                const src = e.configMapRef ? configMaps[e.configMapRef.name] : e.secretRef ? secrets[e.secretRef.name] : null;
                for (const k of Object.keys(src || {})) env.add((e.prefix || '') + k);
            }
        }
        for (const k of Object.keys(m).filter((x) => x.endsWith('FromEnv'))) {
            if (!c) p.push(`${w}.metadata.${k}: scale target ${tgt.name} has no such container here`);
            else if (!env.has(m[k])) p.push(`${w}.metadata.${k}: ${m[k]} is not in the environment of ${tgt.name}'s container ${c.name}`);
        }
    });
    result(name, p);
    const dep = deployments[tgt.name];
    const dp = [];
    if (!dep) dp.push(`no Deployment ${tgt.name} in these manifests (scaleTargetRef kind defaults to Deployment)`);
    else if ((tgt.kind || 'Deployment') !== 'Deployment' || (tgt.apiVersion || 'apps/v1') !== 'apps/v1') dp.push(`target ${tgt.apiVersion} ${tgt.kind}`);
    else if (dep.spec.replicas !== undefined) dp.push(`Deployment ${tgt.name} sets spec.replicas; the HPA that KEDA creates owns it, and each apply would reset it`);
    result(`KEDA: ScaledObject ${so.metadata.name} targets Deployment ${tgt.name}, which leaves replicas to KEDA`, dp);
}
