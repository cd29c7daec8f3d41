'use strict';

// The differential fuzzer's runner (issue #11, part 5): scenarios/parity.js runs the same
// seed on Node's net and on rsnet, each in a child process of the running Node; this
// compares their records call by call. A control run (Node's net twice) proves the
// comparison sound: it must find nothing.
//
//   node stress/lib/parity.js [--calls=N] [--seed=N] [--control] [--show=N] [--verbose] [--json=FILE]
//
// --verbose prints, under each difference, the case's calls with their arguments (as
// net's run recorded them), which an async difference otherwise does not show.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runChild, endProblems, tail } = require('./child');

const SCRIPT = path.join(__dirname, '..', 'scenarios', 'parity.js');

async function runOne(impl, { seed, calls, timeoutMs, log }) {
  const out = path.join(os.tmpdir(), `rsnet-parity-${process.pid}-${impl}-${Date.now()}.json`);
  const res = await runChild(SCRIPT, {
    options: { impl, seed, calls, out },
    timeoutMs,
    afterResultMs: 5000,
    execArgv: ['--no-warnings'],
    onLine: log,
  });
  const problems = endProblems(res, { what: `parity on ${impl}` });
  let data = null;
  try {
    data = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    problems.push(`parity on ${impl}: no records: ${tail(res.stderr, 800)}`);
  }
  fs.rmSync(out, { force: true });
  return { data, problems, ms: res.ms };
}

const text = (v) => JSON.stringify(v);

// A case's async log, per object and per callback: the order within each is compared,
// not the order between two sockets' events (which is the loop's and the kernel's timing).
function byWho(log) {
  const out = {};
  for (const [kind, who, what] of log) (out[`${kind} ${who}`] ??= []).push(what);
  return Object.keys(out).sort().map((k) => [k, out[k]]);
}

// Differences between two runs: one per call whose synchronous outcome differs, one per
// case whose async errors or callbacks differ.
function compare(a, b) {
  const diffs = [];
  const n = Math.min(a.records.length, b.records.length);
  for (let i = 0; i < n; i++) {
    const ra = a.records[i];
    const rb = b.records[i];
    const m = Math.max(ra.calls.length, rb.calls.length);
    for (let j = 0; j < m; j++) {
      const ca = ra.calls[j];
      const cb = rb.calls[j];
      if (text(ca) !== text(cb)) {
        diffs.push({ kind: 'sync', case: ra.id, call: j, where: (ca || cb)[0], a: ca && ca[1], b: cb && cb[1],
          before: ra.calls.slice(0, j) });
        break; // What follows a differing call in the same case is its consequence.
      }
    }
    if (text(byWho(ra.async)) !== text(byWho(rb.async))) {
      diffs.push({ kind: 'async', case: ra.id, where: `${ra.state}: ${ra.calls.map((c) => c[0]).join(', ')}`,
        a: ra.async, b: rb.async, before: ra.calls });
    }
  }
  if (text(a.uncaught) !== text(b.uncaught)) diffs.push({ kind: 'uncaught', a: a.uncaught, b: b.uncaught });
  return diffs;
}

/**
 * @returns {Promise<{ failures: string[], figures: object, ms: number }>}
 *   figures: calls, cases, differences (sync calls + async cases), sync, async,
 *   control (net against net; null without it), seed, node, ms per run
 */
async function parity({ seed, calls, control = true, timeoutMs = 120000, log = () => {}, show = 10, verbose = false }) {
  const started = Date.now();
  const failures = [];
  const node = await runOne('node', { seed, calls, timeoutMs, log });
  const rs = await runOne('rsnet', { seed, calls, timeoutMs, log });
  const again = control ? await runOne('node', { seed, calls, timeoutMs, log }) : null;
  for (const r of [node, rs, again]) if (r) failures.push(...r.problems);
  const figures = { seed, node: process.version, calls: 0, cases: 0, differences: null, control: null };
  if (node.data && again && again.data) {
    const c = compare(node.data, again.data);
    figures.control = c.length;
    for (const d of c.slice(0, show)) failures.push(`CONTROL (net vs net) ${format(d, verbose)}`);
  }
  if (node.data && rs.data) {
    const d = compare(node.data, rs.data);
    figures.calls = rs.data.calls;
    figures.cases = rs.data.records.length;
    figures.differences = d.length;
    figures.sync = d.filter((x) => x.kind === 'sync').length;
    figures.async = d.filter((x) => x.kind !== 'sync').length;
    figures.msNode = node.data.ms;
    figures.msRsnet = rs.data.ms;
    for (const x of d.slice(0, show)) failures.push(format(x, verbose));
    if (d.length > show) failures.push(`... and ${d.length - show} more differences`);
    Object.defineProperty(figures, 'all', { value: d, enumerable: false });
  }
  if (figures.control === null && control) failures.push('the control run (net against net) gave no records');
  return { failures, figures, ms: Date.now() - started };
}

function format(d, verbose = false) {
  if (d.kind === 'uncaught') return `uncaught exceptions differ:\n    net:   ${text(d.a)}\n    rsnet: ${text(d.b)}`;
  const at = d.kind === 'sync' ? `case ${d.case} call ${d.call} ${d.where}` : `case ${d.case} async (${d.where})`;
  let out = `${at}\n    net:   ${text(d.a)}\n    rsnet: ${text(d.b)}`;
  if (verbose) for (const [where, record] of d.before || []) out += `\n    after ${where}: ${text(record)}`;
  return out;
}

module.exports = { parity, compare, format };

if (require.main === module) {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v === undefined ? true : v];
  }));
  const seed = args.seed !== undefined ? Number(args.seed) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  const calls = Number(args.calls || 3000);
  parity({ seed, calls, control: Boolean(args.control), show: Number(args.show || 20),
    verbose: Boolean(args.verbose) }).then((res) => {
    const f = res.figures;
    for (const line of res.failures) console.log(line);
    console.log(`node ${f.node}, seed ${seed}: ${f.calls} calls in ${f.cases} cases; differences ${f.differences} ` +
      `(sync ${f.sync}, async ${f.async}); control ${f.control === null ? 'not run' : f.control}; ` +
      `${(res.ms / 1000).toFixed(1)} s (net ${f.msNode} ms, rsnet ${f.msRsnet} ms)`);
    if (args.json) fs.writeFileSync(args.json, JSON.stringify(f.all || [], null, 1));
    process.exitCode = res.failures.length ? 1 : 0;
  });
}
