'use strict';

// Issue #7, part 1, "load held": one rsnet server holds N concurrent connections (opened
// by rsnet clients in another process, so each side stays under the open-files limit),
// each echoing a few messages with every byte answered; then M sequential connect/close
// cycles on one rsnet server and rsnet clients in this process, after which the open
// descriptor count is back where it started and RSS has stayed flat.
//
// argv[2]: { connections, messages, cycles, parallel, seed, rssGrowthMiB }

const path = require('node:path');
const { once } = require('node:events');
const { loadImpl, Checks, MiB, childOptions, fdCount, fdList, mib, prng, report, rss, rssSampler, socketFdCount,
  waitFor } =
  require('../lib/util');
const { spawnNode } = require('../lib/child');

const net = loadImpl();
const opts = childOptions();
const checks = new Checks();
const sampler = rssSampler();
const figures = {};
const gc = typeof global.gc === 'function' ? () => {
  global.gc();
  global.gc();
} : () => {};

function log(...args) {
  console.log('[load]', ...args);
}

async function startEchoServer(options = {}) {
  const server = net.createServer({ ...options });
  server.on('connection', (socket) => {
    socket.on('data', (chunk) => {
      // The "close from your side" request of a cycle (see cycle()).
      if (chunk.length === 1 && chunk[0] === 0x71 /* q */) socket.end('k');
      else socket.write(chunk);
    });
    socket.on('error', (err) => {
      server.socketErrors.set(err.code, (server.socketErrors.get(err.code) || 0) + 1);
    });
  });
  server.socketErrors = new Map();
  server.on('error', (err) => checks.fail(`server error: ${err.code} ${err.message}`));
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  return server;
}

function connectionCount(server) {
  return new Promise((resolve) => server.getConnections((err, n) => resolve(err ? -1 : n)));
}

async function held() {
  const n = opts.connections;
  const server = await startEchoServer();
  // Sockets only: spawning the clients' process opens pipes (and Node keeps a /dev/null).
  const fdsBefore = socketFdCount();
  const { port } = server.address();
  const t0 = Date.now();
  // The clients' process needs n descriptors and a few more.
  const peer = spawnNode(path.join(__dirname, '..', 'peers', 'hold-clients.js'), {
    options: { port, host: '127.0.0.1', connections: n, messages: opts.messages, parallel: opts.parallel,
      seed: opts.seed, impl: 'rsnet' },
    nofile: n + 256,
    ipc: true,
    stdout: 'inherit',
  });
  let peerStderr = '';
  peer.stderr.setEncoding('utf8');
  peer.stderr.on('data', (t) => {
    peerStderr += t;
  });
  const messages = [];
  let wake = null;
  peer.on('message', (m) => {
    messages.push(m);
    if (wake) wake();
  });
  // 'close': exited, and its stdio and IPC descriptors are closed on our side too.
  const peerExit = once(peer, 'close');
  const next = async (type, ms) => {
    const end = Date.now() + ms;
    for (;;) {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return messages.splice(i, 1)[0];
      if (Date.now() > end || peer.exitCode !== null) {
        throw new Error(`clients: no '${type}' within ${ms} ms (exit ${peer.exitCode}): ${peerStderr.slice(-500)}`);
      }
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
      wake = null;
    }
  };
  try {
    const up = await next('connected', opts.timeLimitMs);
    const connectMs = Date.now() - t0;
    checks.equal(up.errors, 0, 'held: connect errors in the clients');
    // The accept events may trail the clients' connect events a little.
    await waitFor(() => server._connections >= up.connected, 10000);
    const serverCount = await connectionCount(server);
    checks.equal(serverCount, n, 'held: connections the server counts while all are open');
    const fdsHeld = socketFdCount();
    checks.ok(fdsHeld >= fdsBefore + n, `held: server holds a descriptor per connection (${fdsHeld - fdsBefore})`);
    const rssHeld = sampler.sample();
    log(`${up.connected} connections held after ${connectMs} ms; server fds +${fdsHeld - fdsBefore}, ` +
      `RSS ${mib(rssHeld)} MiB; clients' RSS ${mib(up.rss)} MiB`);

    peer.send({ type: 'talk' });
    const talked = await next('talked', opts.timeLimitMs);
    checks.equal(talked.errors.length, 0, `held: client errors while talking ${talked.errors.slice(0, 3)}`);
    checks.equal(talked.mismatches, 0, 'held: echoes that differed from what was sent');
    log(`every connection echoed ${opts.messages} messages: ${talked.bytes} bytes, ${talked.mismatches} mismatches`);

    peer.send({ type: 'close' });
    await next('closed', 60000);
    peer.send({ type: 'exit' });
    await peerExit;
    checks.equal(peer.exitCode, 0, 'held: clients process exit code');
    checks.ok(!/Abort|FATAL|Segmentation|panicked/.test(peerStderr), `held: clients crashed: ${peerStderr}`);
    const drained = await waitFor(() => server._connections === 0, 20000);
    checks.ok(drained, `held: the server still counts ${server._connections} connections after the clients left`);
    const back = await waitFor(() => socketFdCount() === fdsBefore, 10000);
    checks.ok(back, `held: server socket descriptors ${socketFdCount()} after all closed, ${fdsBefore} before`);
    const errs = [...server.socketErrors].filter(([code]) => code !== 'ECONNRESET');
    checks.equal(errs.length, 0, `held: unexpected server socket errors ${JSON.stringify(errs)}`);
    Object.assign(figures, {
      connectionsHeld: serverCount,
      heldMessages: opts.messages,
      heldBytes: talked.bytes * 2,
      heldConnectMs: connectMs,
      heldServerRssMiB: Number(mib(rssHeld)),
      heldClientsRssMiB: Number(mib(up.peakRss)),
    });
  } catch (err) {
    checks.fail(`held: ${err.message}`);
    if (peer.exitCode === null) peer.kill('SIGKILL');
  }
  server.close();
  await once(server, 'close');
}

// One connect/close cycle, in one of four ways, resolved on the client's 'close'.
function cycle(port, i) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const variant = i % 4;
    let error = null;
    socket.on('error', (err) => {
      error = err;
    });
    socket.on('close', () => resolve(error));
    // From a tick after 'connect': destroying inside the 'connect' listener itself is a
    // separate check (faults.js), as it throws in rsnet.
    socket.on('connect', () => process.nextTick(() => {
      if (variant === 0) {
        socket.destroy();
      } else if (variant === 1) {
        socket.write('ping');
        socket.once('data', () => socket.end());
      } else if (variant === 2) {
        // The server closes first: it answers 'k' and ends.
        socket.write('q');
        socket.resume();
      } else {
        socket.resetAndDestroy();
      }
    }));
  });
}

async function cycles() {
  const m = opts.cycles;
  const server = await startEchoServer();
  const { port } = server.address();
  const warmup = Math.min(2000, Math.ceil(m / 10));
  let errors = 0;
  const errorCodes = new Map();
  const run = async (count) => {
    for (let i = 0; i < count; i++) {
      const err = await cycle(port, i);
      if (err) {
        errors++;
        errorCodes.set(err.code, (errorCodes.get(err.code) || 0) + 1);
      }
    }
  };
  // Warm up (JIT, pools, the heap's first growth), then take the baseline.
  await run(warmup);
  await waitFor(() => server._connections === 0, 5000);
  gc();
  const fdStart = fdCount();
  const rssStart = rss();
  const t0 = Date.now();
  const samples = [];
  const step = Math.max(1, Math.floor(m / 20));
  for (let done = 0; done < m; done += step) {
    await run(Math.min(step, m - done));
    samples.push(rss());
  }
  const ms = Date.now() - t0;
  const drained = await waitFor(() => server._connections === 0, 10000);
  checks.ok(drained, `cycles: the server still counts ${server._connections} connections`);
  gc();
  const fdsBack = await waitFor(() => fdCount() <= fdStart, 5000);
  const fdEnd = fdCount();
  checks.ok(fdsBack, `cycles: open descriptors ${fdEnd} after ${m} cycles, ${fdStart} at the start: ${
    fdEnd > fdStart ? fdList().slice(-5).join(', ') : ''}`);
  const rssEnd = rss();
  const growth = rssEnd - rssStart;
  // Flat: bounded total growth, and the second half grows no faster than the bound allows.
  const half = samples.slice(Math.floor(samples.length / 2));
  const lateGrowth = half.length > 1 ? half[half.length - 1] - half[0] : 0;
  checks.ok(growth <= opts.rssGrowthMiB * MiB,
    `cycles: RSS grew ${mib(growth)} MiB over ${m} cycles (bound ${opts.rssGrowthMiB} MiB)`);
  checks.ok(lateGrowth <= (opts.rssGrowthMiB / 2) * MiB,
    `cycles: RSS grew ${mib(lateGrowth)} MiB over the second half (bound ${opts.rssGrowthMiB / 2} MiB)`);
  checks.equal(errors, 0, `cycles: client errors ${JSON.stringify([...errorCodes])}`);
  const serverErrs = [...server.socketErrors].filter(([code]) => code !== 'ECONNRESET');
  checks.equal(serverErrs.length, 0, `cycles: unexpected server socket errors ${JSON.stringify(serverErrs)}`);
  log(`${m} cycles in ${ms} ms (${Math.round(m / (ms / 1000))}/s); fds ${fdStart} -> ${fdEnd}; ` +
    `RSS ${mib(rssStart)} -> ${mib(rssEnd)} MiB (peak ${mib(Math.max(...samples))}), second half +${mib(lateGrowth)}`);
  Object.assign(figures, {
    cycles: m + warmup,
    cyclesMs: ms,
    cyclesFdStart: fdStart,
    cyclesFdEnd: fdEnd,
    cyclesRssStartMiB: Number(mib(rssStart)),
    cyclesRssEndMiB: Number(mib(rssEnd)),
    cyclesRssGrowthMiB: Number(mib(growth)),
  });
  server.close();
  await once(server, 'close');
}

async function main() {
  prng(opts.seed);
  await held();
  await cycles();
  report({ failures: checks.failures, passed: checks.passed, figures: { ...figures, peakRss: sampler.peak } });
}

main().catch((err) => {
  checks.fail(`load: ${err.stack}`);
  report({ failures: checks.failures, passed: checks.passed, figures: { ...figures, peakRss: sampler.peak } });
  process.exitCode = 1;
});
