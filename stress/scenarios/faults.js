'use strict';

// Issue #7, part 4, "faults survived". Each fault runs as its own process (stress/faults/),
// so that an abort or a crash is seen from outside: the exit code or signal must be the
// expected one, stderr must show no abort, fatal error, segfault or panic, and it must
// end within its time bound. Most faults run on Node's net too: Node's run checks that
// the scenario observes what it should, and where the outcome is deterministic rsnet's
// observations must equal Node's.
//
// argv[2]: { repeats, refusedCount, exitDelays, workerCount, workerParallel, aliveMs, boundMs, seed, only }

const path = require('node:path');
const util = require('node:util');
const { Checks, childOptions, prng, report } = require('../lib/util');
const line = require('../../lib/node-line');
const { runChild, endProblems, tail } = require('../lib/child');

const opts = childOptions();
const checks = new Checks();
const rng = prng(opts.seed);
const FAULTS = path.join(__dirname, '..', 'faults');
const figures = { faults: 0, runs: 0 };

function log(...args) {
  console.log('[faults]', ...args);
}

// Runs one fault script; checks how it ended; returns its observations (or null).
async function run(script, options, { code = 0, signal = null, timeoutMs = 30000, name } = {}) {
  const res = await runChild(path.join(FAULTS, `${script}.js`), { options, timeoutMs });
  figures.runs++;
  const what = name || `${script} ${JSON.stringify(options)}`;
  const problems = endProblems(res, { code, signal, what });
  for (const p of problems) checks.fail(p);
  if (problems.length && res.stderr.trim()) log(`${what}: stderr: ${tail(res.stderr, 1000)}`);
  return res.result ? res.result.observed : null;
}

const same = (a, b) => util.isDeepStrictEqual(a, b);
const show = (v) => JSON.stringify(v);

async function peerReset() {
  for (const variant of ['client-writing', 'server-writing', 'reading', 'impl-resets']) {
    for (let i = 0; i < opts.repeats; i++) {
      for (const impl of ['node', 'rsnet']) {
        const name = `peer reset (${variant}) on ${impl}`;
        const o = await run('peer-reset', { impl, variant }, { name });
        if (!checks.ok(o, `${name}: no report`)) continue;
        checks.ok(o.closed, `${name}: no 'close'`);
        if (variant === 'impl-resets') {
          checks.ok(['ECONNRESET', 'EPIPE'].includes(o.peerError), `${name}: the peer saw ${o.peerError}, not a reset`);
          checks.equal(o.errors.length, 0, `${name}: errors on the socket that reset ${o.errors}`);
        } else {
          checks.ok(o.errors.length === 1 && ['ECONNRESET', 'EPIPE'].includes(o.errors[0]),
            `${name}: 'error' events ${show(o.errors)} (expected one ECONNRESET or EPIPE)`);
          checks.equal(o.hadError, true, `${name}: 'close' hadError`);
          checks.equal(o.called, o.issued, `${name}: write callbacks called (of ${o.issued})`);
          // From Node 22 a write the reset's close cancels calls back with ECANCELED.
          const allowed = ['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', ...(line.cancelledWriteFails ? ['ECANCELED'] : [])];
          checks.ok(o.cbErrors.every((c) => allowed.includes(c)),
            `${name}: write callback errors ${show(o.cbErrors)}`);
        }
        if (impl === 'rsnet') figures.faults++;
      }
    }
  }
}

async function killPeer() {
  for (const variant of ['peer-writing', 'impl-writing']) {
    for (let i = 0; i < opts.repeats; i++) {
      for (const impl of ['node', 'rsnet']) {
        const name = `peer SIGKILLed (${variant}) on ${impl}`;
        const o = await run('kill-peer', { impl, variant }, { name });
        if (!checks.ok(o, `${name}: no report`)) continue;
        checks.ok(o.killed && o.peerSignal === 'SIGKILL', `${name}: the peer was not killed (${o.peerSignal})`);
        checks.ok(o.closed, `${name}: no 'close'`);
        if (variant === 'peer-writing') {
          checks.ok(o.ended || o.errors.includes('ECONNRESET'), `${name}: neither 'end' nor ECONNRESET`);
          checks.ok(o.errors.every((c) => c === 'ECONNRESET'), `${name}: errors ${show(o.errors)}`);
          checks.equal(o.afterEcho, 'ping', `${name}: the server's echo after the kill (${o.afterError})`);
        } else {
          checks.ok(o.errors.length === 1 && ['ECONNRESET', 'EPIPE'].includes(o.errors[0]),
            `${name}: 'error' events ${show(o.errors)} (expected one ECONNRESET or EPIPE)`);
          checks.equal(o.called, o.issued, `${name}: write callbacks called (of ${o.issued})`);
        }
        if (impl === 'rsnet') figures.faults++;
      }
    }
  }
}

async function refused() {
  const results = {};
  for (const impl of ['node', 'rsnet']) {
    const name = `connect where nothing listens on ${impl}`;
    const o = await run('refused', { impl, count: opts.refusedCount }, { name, timeoutMs: 60000 });
    results[impl] = o;
    if (!checks.ok(o, `${name}: no report`)) continue;
    checks.equal(o.failures, opts.refusedCount, `${name}: attempts that failed`);
    checks.equal(o.unexpected.length, 0, `${name}: attempts that did not fail cleanly ${show(o.unexpected.slice(0, 3))}`);
    checks.ok(o.fdsAfter <= o.fdsBefore,
      `${name}: ${o.fdsAfter} open descriptors after ${opts.refusedCount} attempts, ${o.fdsBefore} before`);
    if (impl === 'rsnet') figures.faults += o.attempts;
  }
  if (results.node && results.rsnet) {
    for (const kind of Object.keys(results.node.shapes)) {
      const a = results.node.shapes[kind];
      const b = results.rsnet.shapes[kind];
      checks.ok(same(a, b), `connect where nothing listens (${kind}): rsnet's error ${show(b)}, net's ${show(a)}`);
    }
  }
}

async function serverClose() {
  for (let i = 0; i < opts.repeats; i++) {
    for (const impl of ['node', 'rsnet']) {
      const name = `server closed mid-transfer on ${impl}`;
      const o = await run('server-close', { impl }, { name });
      if (!checks.ok(o, `${name}: no report`)) continue;
      checks.equal(o.newConnection, 'ECONNREFUSED', `${name}: a connection after close()`);
      checks.equal(o.listeningAfterClose, false, `${name}: server.listening after close()`);
      checks.ok(o.bytesAfterClose > 0, `${name}: no data moved on the open connections after close()`);
      checks.ok(o.closeEvent, `${name}: no 'close' on the server`);
      checks.equal(o.closeCallback, 'undefined', `${name}: close() callback's argument`);
      checks.equal(o.clientsClosed, o.connectionsAtClose, `${name}: clients closed`);
      checks.equal(o.serverSocketErrors.length, 0, `${name}: server socket errors ${show(o.serverSocketErrors)}`);
      if (impl === 'rsnet') figures.faults++;
    }
  }
}

async function closeInConnection() {
  for (let i = 0; i < opts.repeats; i++) {
    for (const impl of ['node', 'rsnet']) {
      const name = `server closed from its 'connection' listener on ${impl}`;
      const o = await run('close-in-connection', { impl, clients: 8, boundMs: opts.boundMs }, { name });
      if (!checks.ok(o, `${name}: no report`)) continue;
      checks.ok(!o.timedOut, `${name}: the process did not exit by itself (${o.clientsClosed} of 8 clients closed, ` +
        `${o.connections} 'connection' events)`);
      checks.equal(o.clientsClosed, 8, `${name}: clients closed`);
      checks.ok(o.serverClosed, `${name}: the server's close() callback`);
      checks.ok(o.clientErrors.every((c) => c === 'ECONNRESET'), `${name}: client errors ${show(o.clientErrors)}`);
      if (impl === 'rsnet') figures.faults++;
    }
  }
}

async function destroyPending() {
  for (const variant of ['destroy', 'destroy-error', 'end-then-destroy']) {
    for (const transport of ['tcp', 'unix']) {
      const seen = {};
      const name = (impl) => `destroy() with writes pending (${variant}, ${transport}) on ${impl}`;
      [seen.node, seen.rsnet] = await Promise.all(['node', 'rsnet'].map((impl) =>
        run('destroy-pending', { impl, variant, transport }, { name: name(impl) })));
      for (const impl of ['node', 'rsnet']) {
        if (!checks.ok(seen[impl], `${name(impl)}: no report`)) continue;
        checks.ok(seen[impl].callbacks.every((c) => c !== 'not called'),
          `${name(impl)}: write callbacks not called ${show(seen[impl].callbacks)}`);
        if (impl === 'rsnet') figures.faults++;
      }
      if (seen.node && seen.rsnet) {
        checks.ok(same(seen.node, seen.rsnet), `destroy() with writes pending (${variant}, ${transport}): ` +
          `rsnet ${show(seen.rsnet)}, net ${show(seen.node)}`);
      }
    }
  }
}

async function destroyInHandlers() {
  const seen = {};
  for (const impl of ['node', 'rsnet']) {
    const name = `destroy() inside event listeners on ${impl}`;
    seen[impl] = await run('destroy-in-handlers', { impl }, { name });
    if (!checks.ok(seen[impl], `${name}: no report`)) continue;
    for (const [label, events] of Object.entries(seen[impl].cases)) {
      checks.ok(/\bclose\b/.test(events) && !/no close/.test(events), `${name}, ${label}: ${events}`);
      if (impl === 'rsnet') figures.faults++;
    }
  }
  if (seen.node && seen.rsnet) {
    for (const label of Object.keys(seen.node.cases)) {
      checks.equal(seen.rsnet.cases[label], seen.node.cases[label], `${label}: events after the destroy (rsnet vs net)`);
    }
  }
}

async function wrongState() {
  const seen = {};
  for (const impl of ['node', 'rsnet']) {
    const name = `calls in the wrong state on ${impl}`;
    seen[impl] = await run('wrong-state', { impl }, { name });
    checks.ok(seen[impl], `${name}: no report`);
  }
  if (seen.node && seen.rsnet) {
    for (const label of Object.keys(seen.node.cases)) {
      checks.equal(seen.rsnet.cases[label], seen.node.cases[label], `${label}: what the caller sees (rsnet vs net)`);
      figures.faults++;
    }
  }
}

async function exitDuringTraffic() {
  const expect = {
    exit: { code: 7 },
    'exit-in-data': { code: 7 },
    throw: { code: 1 },
    sigterm: { code: null, signal: 'SIGTERM' },
  };
  for (const delayMs of opts.exitDelays) {
    for (const [variant, end] of Object.entries(expect)) {
      const name = `${variant} during heavy traffic after ${delayMs} ms on rsnet`;
      const options = { impl: 'rsnet', variant, delayMs, bytes: rng.int(1, 64) << 20 };
      const res = await runChild(path.join(FAULTS, 'exit-traffic.js'), { options, timeoutMs: 20000 });
      figures.runs++;
      for (const p of endProblems(res, { ...end, what: name })) checks.fail(p);
      if (variant === 'throw') checks.ok(/deliberate uncaught exception/.test(res.stderr), `${name}: stderr lacks the error`);
      figures.faults++;
    }
  }
}

async function workers() {
  for (const impl of ['node', 'rsnet']) {
    const name = `worker threads ended mid-traffic on ${impl}`;
    const count = impl === 'node' ? Math.min(20, opts.workerCount) : opts.workerCount;
    const o = await run('worker-terminate', { impl, count, parallel: opts.workerParallel, seed: rng.int(0, 1e9) },
      { name, timeoutMs: 120000 });
    if (!checks.ok(o, `${name}: no report`)) continue;
    checks.equal(o.ended, count, `${name}: workers that ended`);
    checks.equal(o.unexpectedErrors.length, 0, `${name}: unexpected worker errors ${show(o.unexpectedErrors.slice(0, 3))}`);
    checks.ok(o.drained, `${name}: ${o.connectionsLeft} connections from dead workers still counted by the server`);
    checks.ok(o.fdsAfter <= o.fdsBefore, `${name}: open descriptors ${o.fdsAfter} after, ${o.fdsBefore} before ${
      show(o.extraFds || [])}`);
    checks.equal(o.echo, 'still here', `${name}: the main thread's server afterwards`);
    if (impl === 'rsnet') figures.faults += o.ended;
  }
}

// Exited by itself (`exit N`) or still alive after `aliveMs`, as on Node's net.
async function lifetime() {
  const expected = {
    'all-closed': 'exit 0',
    listening: 'alive',
    'server-unref': 'exit 0',
    'connected-reading': 'alive',
    'sockets-unref': 'exit 0',
    'paused-idle': 'exit 0',
    'pending-write-unref': 'alive',
    'timeout-idle': 'exit 0',
    'connect-refused': 'exit 0',
    'server-close-later': 'exit 0',
    'half-open': 'alive',
    'connect-throws': 'exit 0',
    'close-in-connection': 'exit 0',
    'accept-throws': 'exit 0',
    'close-during-lookup': 'exit 0',
  };
  const once = async (impl, c, timeoutMs) => {
    const res = await runChild(path.join(FAULTS, 'lifetime.js'), { options: { impl, case: c }, timeoutMs });
    figures.runs++;
    if (res.crash) checks.fail(`lifetime ${c} on ${impl}: stderr shows a crash: ${tail(res.stderr)}`);
    return res.timedOut ? 'alive' : res.signal ? `signal ${res.signal}` : `exit ${res.code}`;
  };
  // 'alive' where an exit is expected is looked at again with more time, so that a slow
  // start on a busy machine does not pass for a process that would not exit.
  const outcome = async (impl, c) => {
    const first = await once(impl, c, opts.aliveMs);
    return first === 'alive' && expected[c] !== 'alive' ? once(impl, c, opts.aliveMs * 4) : first;
  };
  // Three cases at a time, each on both implementations.
  const cases = Object.entries(expected);
  const lane = async () => {
    while (cases.length) {
      const [c, want] = cases.shift();
      const [node, rs] = await Promise.all([outcome('node', c), outcome('rsnet', c)]);
      checks.equal(node, want, `process lifetime, ${c}: Node's net (the reference)`);
      checks.equal(rs, node, `process lifetime, ${c}: rsnet vs net`);
      figures.faults++;
    }
  };
  await Promise.all([lane(), lane(), lane()]);
}

const PARTS = { peerReset, killPeer, refused, serverClose, closeInConnection, destroyPending, destroyInHandlers,
  wrongState, exitDuringTraffic, workers, lifetime };

async function main() {
  for (const [name, part] of Object.entries(PARTS)) {
    if (opts.only && !opts.only.includes(name)) continue;
    const t0 = Date.now();
    const before = checks.failures.length;
    await part();
    log(`${name}: ${checks.failures.length - before} failed checks, ${Date.now() - t0} ms`);
  }
  report({ failures: checks.failures, passed: checks.passed, figures });
}

main().catch((err) => {
  checks.fail(`faults: ${err.stack}`);
  report({ failures: checks.failures, passed: checks.passed, figures });
  process.exitCode = 1;
});
