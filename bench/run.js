#!/usr/bin/env node
'use strict';
// rsnet benchmark runner: node's net vs rsnet, alternating rounds, fresh
// process under test every round. See bench/README.md.

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseBytes } = require('./lib/util');
const { ENV, implModule } = require('../scripts/impl');

const BENCH = __dirname;
const ROOT = path.resolve(BENCH, '..');
const LOADGEN_DIR = path.join(BENCH, 'loadgen');
const LOADGEN = path.join(LOADGEN_DIR, 'target', 'release', 'loadgen');
const NODE = process.execPath;
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------
// workloads

// kind 'server': a JS server (bench/servers) under test, driven by the loadgen.
// kind 'client': a JS client (bench/clients) under test, against a native loadgen server.
// metric: the field of the result JSON reported (higher is better, unless lowerIsBetter).
// ops(r): the number of operations in the measured window, for CPU per op.
// timed: runs --secs after a warm-up; bulk: moves --bytes; neither: one shot of fixed size.
// detail(r): optional extra text for the per-round progress line.
const WORKLOADS = {
  pingpong: {
    desc: '1 connection, 64 B request/response, serial',
    kind: 'server', server: 'echo.js', timed: true,
    loadgen: (o) => ['pingpong', '--size', '64', '--secs', o.secs],
    metric: 'ops_per_sec', unit: 'ops/s', ops: (r) => r.ops, per: 'op', latency: true,
  },
  echo: {
    desc: '16 connections x 16 pipelined 1 KiB messages',
    kind: 'server', server: 'echo.js', timed: true,
    loadgen: (o) => ['echo', '--conns', '16', '--size', '1024', '--inflight', '16', '--secs', o.secs],
    metric: 'msgs_per_sec', unit: 'msg/s', ops: (r) => r.messages, per: 'msg',
  },
  'echo-small': {
    desc: '64 connections x 1 outstanding 64 B message',
    kind: 'server', server: 'echo.js', timed: true,
    loadgen: (o) => ['echo-small', '--conns', '64', '--size', '64', '--inflight', '1', '--secs', o.secs],
    metric: 'msgs_per_sec', unit: 'msg/s', ops: (r) => r.messages, per: 'msg',
  },
  connect: {
    desc: '8 loops of connect, 1 B echo, close',
    kind: 'server', server: 'echo.js', timed: true,
    loadgen: (o) => ['connect', '--loops', '8', '--secs', o.secs],
    metric: 'conns_per_sec', unit: 'conn/s', ops: (r) => r.connections, per: 'conn',
  },
  http: {
    desc: 'node http on top: 50 keep-alive connections x 1 GET in flight',
    kind: 'server', server: 'http.js', timed: true,
    loadgen: (o) => ['http', '--conns', '50', '--secs', o.secs],
    metric: 'reqs_per_sec', unit: 'req/s', ops: (r) => r.requests, per: 'req', latency: true,
  },
  'idle-memory': {
    desc: 'server RSS per idle connection, 10,000 connections (lower is better)',
    kind: 'server', server: 'echo.js',
    loadgen: () => ['idle-memory', '--conns', '10000'],
    metric: 'bytes_per_conn', unit: 'B/conn', lowerIsBetter: true, ops: (r) => r.conns, per: 'conn',
    detail: (r) => `RSS ${fmtNum(r.rss_before / MiB)} -> ${fmtNum(r.rss_after / MiB)} MiB`,
  },
  'bulk-recv': {
    desc: 'server writes N bytes (64 KiB chunks, drain), loadgen reads',
    kind: 'server', server: 'bulk-source.js', bulk: true,
    loadgen: (o) => ['bulk-recv', '--bytes', o.bytes],
    metric: 'gb_per_sec', unit: 'GB/s', ops: (r) => r.bytes / MiB, per: 'MiB',
  },
  'bulk-send': {
    desc: 'loadgen writes N bytes, server counts and acks',
    kind: 'server', server: 'bulk-sink.js', bulk: true,
    loadgen: (o) => ['bulk-send', '--bytes', o.bytes],
    metric: 'gb_per_sec', unit: 'GB/s', ops: (r) => r.bytes / MiB, per: 'MiB',
  },
  'client-pingpong': {
    desc: 'JS client, 64 B ping-pong against native echo server',
    kind: 'client', timed: true,
    native: () => ['server-echo'],
    client: 'pingpong.js', clientArgs: (o) => ['--size', '64', '--secs', o.secs],
    metric: 'ops_per_sec', unit: 'ops/s', ops: (r) => r.ops, per: 'op', latency: true,
  },
  'client-bulk': {
    desc: 'JS client reads N bytes from native source',
    kind: 'client', bulk: true,
    native: (o) => ['server-bulk', '--mode', 'source', '--bytes', o.bytes],
    client: 'bulk.js', clientArgs: (o) => ['--dir', 'recv', '--bytes', o.bytes],
    metric: 'gb_per_sec', unit: 'GB/s', ops: (r) => r.bytes / MiB, per: 'MiB',
  },
  'client-bulk-send': {
    desc: 'JS client writes N bytes (64 KiB chunks, drain) to native sink',
    kind: 'client', bulk: true,
    native: () => ['server-bulk', '--mode', 'sink'],
    client: 'bulk.js', clientArgs: (o) => ['--dir', 'send', '--bytes', o.bytes],
    metric: 'gb_per_sec', unit: 'GB/s', ops: (r) => r.bytes / MiB, per: 'MiB',
  },
};

// ---------------------------------------------------------------------------
// options

const USAGE = `usage: node bench/run.js [options]
  --only a,b        workloads to run (default: all): ${Object.keys(WORKLOADS).join(', ')}
  --rounds N        rounds per implementation (default 5)
  --secs S          measured seconds for timed workloads (default 3, plus 0.5 s warm-up)
  --bytes N         bytes for bulk workloads, suffixes K/M/G (default 1G)
  --impls A,B       the two implementations compared, B/A (default net,rsnet; net,net to test the suite;
                    a path names another rsnet checkout, to compare two builds: rsnet,/tmp/rsnet-b;
                    bun runs the scripts on Bun's node:net, installed on demand by scripts/bun.js);
                    the processes under test get each as RSNET_IMPL (scripts/impl.js)
  --busy            keep one core awake with a nice 19 busy loop during the run
  --json            print machine-readable results on stdout (progress stays on stderr)
  --list            list the workloads and exit`;

function parseOptions(argv) {
  const o = { only: null, rounds: 5, secs: 3, bytes: 2 ** 30, impls: ['net', 'rsnet'], busy: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) die(`missing value for ${a}\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--only': o.only = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--rounds': o.rounds = posInt(val(), a); break;
      case '--secs': o.secs = posNum(val(), a); break;
      case '--bytes': {
        const v = val();
        try { o.bytes = parseBytes(v); } catch { die(`bad value for --bytes: ${v}`); }
        if (!(o.bytes > 0)) die('--bytes must be > 0');
        break;
      }
      case '--impls': {
        // Each is a value of RSNET_IMPL (scripts/impl.js); a path is made absolute, as the
        // processes under test run in the repository root.
        const known = (x) => {
          try {
            return x === 'net' || x === 'rsnet' || x === 'bun' ? x : implModule(x);
          } catch {
            return null;
          }
        };
        o.impls = val().split(',').map((s) => known(s.trim()));
        if (o.impls.length !== 2 || o.impls.includes(null)) {
          die('--impls takes two of net|rsnet|bun|path/to/another/rsnet, e.g. net,rsnet, net,bun or net,net');
        }
        break;
      }
      case '--busy': o.busy = true; break;
      case '--json': o.json = true; break;
      case '--list':
        for (const [k, w] of Object.entries(WORKLOADS)) console.log(`${k.padEnd(18)} ${w.desc}`);
        process.exit(0);
        break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: die(`unknown option ${a}\n${USAGE}`);
    }
  }
  if (o.only) {
    for (const w of o.only) if (!WORKLOADS[w]) die(`unknown workload ${w}; known: ${Object.keys(WORKLOADS).join(', ')}`);
  }
  return o;
}

function posInt(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) die(`${name} must be a positive integer`);
  return n;
}
function posNum(v, name) {
  const n = Number(v);
  if (!(n > 0)) die(`${name} must be a positive number`);
  return n;
}

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// child processes: every one tracked and killed on exit

const children = new Set();

function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping\n`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (e) => {
  process.stderr.write(`bench: ${e && e.stack || e}\n`);
  killAll();
  process.exit(1);
});

function spawnTracked(cmd, args, env) {
  const child = spawn(cmd, args.map(String), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  child.stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    child.stderrText = (child.stderrText + d).slice(-4000);
  });
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => resolve({ code: null, signal: null, err }));
  });
  return child;
}

function tail(s, n = 6) {
  const lines = String(s || '').trim().split('\n').filter(Boolean);
  return lines.slice(-n).join(' | ');
}

// Resolves with the port from the first stdout line {"port":N}.
function readPort(child, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let buf = '';
    let settled = false;
    const finish = (fn, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(v);
    };
    const timer = setTimeout(() => finish(reject, new Error(`${what} did not report a port within ${timeoutMs / 1000}s; stderr: ${tail(child.stderrText)}`)), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        const port = JSON.parse(buf.slice(0, nl)).port;
        if (!Number.isInteger(port) || port <= 0) throw new Error('no port');
        finish(resolve, port);
      } catch {
        finish(reject, new Error(`${what} printed ${JSON.stringify(buf.slice(0, nl))} instead of {"port":N}`));
      }
    });
    child.exited.then(({ code, signal, err }) => {
      setImmediate(() => {
        const why = err ? err.message : code === 3 ? 'implementation failed to load' : `exited (${signal || code})`;
        finish(reject, new Error(`${what} ${why} before listening; stderr: ${tail(child.stderrText)}`));
      });
    });
  });
}

// Runs a process to completion; resolves with its last JSON stdout line.
async function runJson(cmd, args, env, timeoutMs, what) {
  const child = spawnTracked(cmd, args, env);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => { out += d; });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  const { code, signal, err } = await child.exited;
  clearTimeout(timer);
  if (err) throw new Error(`${what}: ${err.message}`);
  if (timedOut) throw new Error(`${what} timed out after ${timeoutMs / 1000}s`);
  const lines = out.trim().split('\n').filter(Boolean);
  let res = null;
  try { res = JSON.parse(lines[lines.length - 1]); } catch { /* below */ }
  if (res && res.ok === false) throw new Error(`${what}: ${res.error}`);
  if (code === 3) throw new Error(`${what}: implementation failed to load: ${tail(child.stderrText, 3)}`);
  if (!res || code !== 0) {
    throw new Error(`${what} exited (${signal || code}) without a result; stderr: ${tail(child.stderrText)}`);
  }
  return res;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await Promise.race([child.exited, sleep(5000)]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// setup

function ensureLoadgen() {
  const srcs = [path.join(LOADGEN_DIR, 'Cargo.toml'), path.join(LOADGEN_DIR, 'src', 'main.rs')];
  let stale = !fs.existsSync(LOADGEN);
  if (!stale) {
    const bin = fs.statSync(LOADGEN).mtimeMs;
    stale = srcs.some((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs > bin);
  }
  if (!stale) return;
  log('building the load generator (cargo build --release) ...');
  const r = spawnSync('cargo', ['build', '--release', '--manifest-path', path.join(LOADGEN_DIR, 'Cargo.toml')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: path.join(LOADGEN_DIR, 'target') },
  });
  if (r.status !== 0 || !fs.existsSync(LOADGEN)) {
    if (fs.existsSync(LOADGEN)) {
      log('warning: rebuilding the load generator failed; using the existing binary');
      return;
    }
    die(`could not build the load generator (${r.error ? r.error.message : `cargo exit ${r.status}`})`);
  }
}

// The command and environment that run a bench script on `impl`: Node with RSNET_IMPL,
// or for 'bun', Bun's own node:net (Bun installed on demand by scripts/bun.js).
function runtime(impl) {
  if (impl === 'bun') return { cmd: require('../scripts/bun').ensureBun(), env: { [ENV]: 'net' } };
  return { cmd: NODE, env: { [ENV]: impl } };
}

// Can this implementation be loaded at all? Returns null if yes, else the reason.
function checkImpl(name) {
  if (name === 'net') return null;
  if (name === 'bun') {
    try {
      runtime('bun');
      return null;
    } catch (err) {
      return err.message;
    }
  }
  const code = `const m = require(${JSON.stringify(implModule(name))});
    for (const f of ['createServer', 'connect']) if (typeof m[f] !== 'function') { console.error('module has no ' + f + '()'); process.exit(3); }`;
  const r = spawnSync(NODE, ['-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
  if (r.error) return r.error.message;
  if (r.status === 0) return null;
  const lines = String(r.stderr || '').split('\n').map((s) => s.trim()).filter(Boolean);
  const msg = lines.find((l) => /Error|error:|Cannot find/.test(l)) || lines[0] || `exit ${r.status ?? r.signal}`;
  return msg.length > 200 ? msg.slice(0, 200) + '...' : msg;
}

function startBusy() {
  // A spinning, lowest-priority process keeps the second core out of deep
  // idle states without taking time from the benchmark processes.
  const child = spawnTracked('nice', ['-n', '19', NODE, '-e', 'for(;;){}'], {});
  child.on('error', () => {});
  return child;
}

function log(msg) {
  process.stderr.write(msg + '\n');
}

// ---------------------------------------------------------------------------
// one round

async function runRound(name, w, impl, o) {
  const bytes = String(o.bytes);
  const limitMs = w.timed
    ? (0.5 + o.secs + 15) * 1000
    : w.bulk ? (30 + o.bytes / 50e6) * 1000 : 60 * 1000; // bulk: at least 50 MB/s
  let peer = null;
  try {
    let res;
    if (w.kind === 'server') {
      const { cmd, env } = runtime(impl);
      peer = spawnTracked(cmd, [path.join(BENCH, 'servers', w.server)], { ...env, BENCH_BYTES: bytes });
      const port = await readPort(peer, 15000, `server ${w.server} (${impl})`);
      const args = [...w.loadgen({ ...o, bytes }), '--port', port, '--cpu-pid', peer.pid];
      res = await runJson(LOADGEN, args, {}, limitMs, `loadgen ${args[0]}`);
      if (peer.exitCode !== null || peer.signalCode !== null) {
        throw new Error(`server ${w.server} (${impl}) died during the round; stderr: ${tail(peer.stderrText)}`);
      }
    } else {
      peer = spawnTracked(LOADGEN, [...w.native({ ...o, bytes }), '--port', '0'], {});
      const port = await readPort(peer, 15000, 'native loadgen server');
      const args = [path.join(BENCH, 'clients', w.client), '--port', port, ...w.clientArgs({ ...o, bytes })];
      const { cmd, env } = runtime(impl);
      res = await runJson(cmd, args, env, limitMs, `client ${w.client} (${impl})`);
    }
    const value = Number(res[w.metric]);
    if (!Number.isFinite(value)) throw new Error(`result has no ${w.metric}: ${JSON.stringify(res)}`);
    const ops = w.ops(res);
    const cpuPerOp = res.cpu_us != null && ops > 0 ? res.cpu_us / ops : null;
    return { ok: true, value, cpuPerOp, raw: res };
  } catch (e) {
    let error = e.message;
    if (peer && (peer.exitCode !== null || peer.signalCode !== null) && !/died during|before listening/.test(error)) {
      // The peer crashing is usually the real story (e.g. a panic in the addon).
      error += ` (${w.kind === 'server' ? 'server under test' : 'native server'} exited with ${peer.signalCode || peer.exitCode}; stderr: ${tail(peer.stderrText)})`;
    }
    return { ok: false, error };
  } finally {
    await stop(peer);
  }
}

// ---------------------------------------------------------------------------
// statistics and formatting

function median(xs) {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(rounds, w) {
  const ok = rounds.filter((r) => r.ok);
  const vals = ok.map((r) => r.value);
  const s = {
    rounds: rounds.length,
    ok: ok.length,
    median: median(vals),
    min: vals.length ? Math.min(...vals) : null,
    max: vals.length ? Math.max(...vals) : null,
    cpuPerOp: median(ok.map((r) => r.cpuPerOp)),
    // Errors the loadgen counted in successful rounds (http: non-200 responses).
    opErrors: ok.reduce((n, r) => n + (Number(r.raw.errors) || 0), 0),
    errors: rounds.filter((r) => !r.ok).map((r) => r.error),
  };
  if (w.latency) {
    s.p50_us = median(ok.map((r) => r.raw.p50_us));
    s.p99_us = median(ok.map((r) => r.raw.p99_us));
  }
  return s;
}

function fmtNum(v) {
  if (v == null || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 1 : 2) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(a >= 1e5 ? 0 : 1) + 'k';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

// " (e.g. status 404)" / " (e.g. <message>)" for a loadgen result that counted errors.
function errorStatus(raw) {
  if (raw.error_status) return ` (e.g. status ${raw.error_status})`;
  if (raw.last_error) return ` (e.g. ${raw.last_error})`;
  return '';
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

// ---------------------------------------------------------------------------

async function main() {
  const o = parseOptions(process.argv.slice(2));
  const names = o.only || Object.keys(WORKLOADS);
  const [A, B] = o.impls;
  const labels = A === B ? [`${A}#1`, `${B}#2`] : [A, B];

  ensureLoadgen();

  const unavailable = {};
  for (const impl of new Set(o.impls)) {
    const why = checkImpl(impl);
    if (why) {
      unavailable[impl] = why;
      log(`bench: ERROR: ${impl} failed to load (${why}); running ${impl === A ? B : A} only, ${impl} reported as n/a`);
    }
  }

  const busy = o.busy ? startBusy() : null;
  const mode = busy ? 'busy (nice 19 spinner keeps a core awake)' : 'idle';
  log(`bench: ${names.length} workloads x ${o.rounds} rounds x [${labels.join(', ')}], secs=${o.secs}, bytes=${o.bytes}, mode=${mode}`);

  const results = {};
  const started = Date.now();
  for (const name of names) {
    const w = WORKLOADS[name];
    const per = [[], []];
    const giveUp = [false, false];
    for (let r = 0; r < o.rounds; r++) {
      // ABBA order so neither side always runs first.
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const side of order) {
        const impl = o.impls[side];
        if (unavailable[impl] || giveUp[side]) continue;
        const res = await runRound(name, w, impl, o);
        per[side].push(res);
        const tag = `[${name}] round ${r + 1}/${o.rounds} ${labels[side].padEnd(7)}`;
        if (res.ok) {
          const cpu = res.cpuPerOp != null ? `, cpu ${fmtNum(res.cpuPerOp)} us/${w.per}` : '';
          const lat = w.latency ? `, p50 ${fmtNum(res.raw.p50_us)} us, p99 ${fmtNum(res.raw.p99_us)} us` : '';
          const detail = w.detail ? `, ${w.detail(res.raw)}` : '';
          const errs = res.raw.errors ? `, ${res.raw.errors} errors${errorStatus(res.raw)}` : '';
          log(`${tag} ${fmtNum(res.value)} ${w.unit}${lat}${detail}${cpu}${errs}`);
        } else {
          log(`${tag} FAILED: ${res.error}`);
          // Two failures and no success: stop wasting time on this side.
          if (per[side].length >= 2 && per[side].every((x) => !x.ok)) {
            giveUp[side] = true;
            log(`[${name}] ${labels[side]}: failing repeatedly, skipping its remaining rounds`);
          }
        }
      }
    }
    results[name] = {
      unit: w.unit,
      per: w.per,
      lowerIsBetter: Boolean(w.lowerIsBetter),
      [labels[0]]: unavailable[A] ? { na: unavailable[A] } : summarize(per[0], w),
      [labels[1]]: unavailable[B] ? { na: unavailable[B] } : summarize(per[1], w),
      rounds: { [labels[0]]: per[0], [labels[1]]: per[1] },
    };
  }
  await stop(busy);
  const elapsed = (Date.now() - started) / 1000;

  if (o.json) {
    process.stdout.write(JSON.stringify({
      config: {
        rounds: o.rounds, secs: o.secs, bytes: o.bytes, impls: labels, mode,
        cpus: os.cpus().length, node: process.version, elapsed_s: elapsed,
      },
      unavailable,
      results,
    }, null, 2) + '\n');
    return;
  }

  const [la, lb] = labels;
  const rows = [['workload', 'unit', `${la} median`, `${lb} median`, `${lb} vs ${la}`, `${la} min-max`, `${lb} min-max`, `${la} CPU/op`, `${lb} CPU/op`]];
  const lat = [['workload', `${la} p50 us`, `${la} p99 us`, `${lb} p50 us`, `${lb} p99 us`]];
  const failures = [];
  for (const name of names) {
    const r = results[name];
    const a = r[la];
    const b = r[lb];
    const med = (s) => (s.na ? 'n/a' : fmtNum(s.median));
    const spread = (s) => (s.na || s.min == null ? 'n/a' : `${fmtNum(s.min)}-${fmtNum(s.max)}`);
    const cpu = (s) => (s.na || s.cpuPerOp == null ? 'n/a' : `${fmtNum(s.cpuPerOp)}us/${r.per}`);
    // Above 1 means lb is better: lb/la, or la/lb where lower is better.
    const [num, den] = r.lowerIsBetter ? [a.median, b.median] : [b.median, a.median];
    const ratio = !a.na && !b.na && num != null && den ? (num / den).toFixed(2) + 'x' : 'n/a';
    const unit = r.lowerIsBetter ? `${r.unit} (lower=better)` : r.unit;
    rows.push([name, unit, med(a), med(b), ratio, spread(a), spread(b), cpu(a), cpu(b)]);
    if (WORKLOADS[name].latency) {
      const l = (s, k) => (s.na || s[k] == null ? 'n/a' : fmtNum(s[k]));
      lat.push([name, l(a, 'p50_us'), l(a, 'p99_us'), l(b, 'p50_us'), l(b, 'p99_us')]);
    }
    for (const [label, s] of [[la, a], [lb, b]]) {
      if (s.errors && s.errors.length) failures.push(`${name} ${label}: ${s.errors.length} failed round(s): ${s.errors[0]}`);
      if (s.opErrors) {
        const raw = r.rounds[label].find((x) => x.ok && x.raw.errors).raw;
        failures.push(`${name} ${label}: ${s.opErrors} error(s) counted by the loadgen${errorStatus(raw)}`);
      }
    }
  }
  console.log('');
  console.log(`rounds=${o.rounds} secs=${o.secs} bytes=${o.bytes} mode=${mode} cpus=${os.cpus().length} node=${process.version} (${elapsed.toFixed(0)} s)`);
  console.log('higher is better unless marked lower=better; ' +
    `${lb} vs ${la} = ratio of medians, above 1 means ${lb} is better; ` +
    'CPU/op = median CPU time of the process under test per op');
  console.log(table(rows));
  if (lat.length > 1) {
    console.log('\nlatency (median over rounds):');
    console.log(table(lat));
  }
  for (const [impl, why] of Object.entries(unavailable)) console.log(`\n${impl}: n/a, failed to load: ${why}`);
  if (failures.length) {
    console.log('\nfailures:');
    for (const f of failures) console.log('  ' + f);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`bench: ${e && e.stack || e}\n`);
    killAll();
    process.exit(1);
  });
}

module.exports = { WORKLOADS, runRound, ensureLoadgen, checkImpl, killAll };
