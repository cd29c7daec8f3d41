'use strict';

// Issue #7, part 6, "clean under tools", the part that works for a socket-heavy Node
// program (valgrind is far too slow for one): run with --expose-gc, make many
// connections in rounds (TCP and Unix, servers opened and closed, data both ways, ends
// graceful, destroyed and reset), and after each round and a full GC check that the
// open descriptor count is back to its baseline and that RSS does not grow round after
// round.
//
// argv[2]: { rounds, warmupRounds, connectionsPerRound, parallel, rssGrowthMiB, lateGrowthMiB, seed }

const path = require('node:path');
const { once } = require('node:events');
const { loadImpl, Checks, MiB, childOptions, delay, fdCount, fdList, mib, prng, report, rss, rssSampler, tmpDir,
  waitFor } = require('../lib/util');

const net = loadImpl();
const opts = childOptions();
const checks = new Checks();
const sampler = rssSampler();
const rng = prng(opts.seed);
const dir = tmpDir('rsnet-gc-');

if (typeof global.gc !== 'function') {
  console.error('gc.js needs --expose-gc');
  process.exit(1);
}

async function collect() {
  // Finalizers of external buffers run on a later turn: collect, let them run, again.
  for (let i = 0; i < 3; i++) {
    global.gc();
    await delay(20);
  }
}

async function round(index) {
  const servers = [];
  const tcp = net.createServer({ allowHalfOpen: rng.chance(0.5) });
  const unix = net.createServer();
  for (const server of [tcp, unix]) {
    server.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('data', (d) => socket.write(d));
      socket.on('end', () => socket.end());
    });
    servers.push(server);
  }
  tcp.listen(0, '127.0.0.1');
  unix.listen(path.join(dir, `r${index + 100}.sock`));
  await Promise.all(servers.map((s) => once(s, 'listening')));
  let errors = 0;
  let bytes = 0;
  const one = (i) => new Promise((resolve) => {
    const r = rng.fork();
    const target = i % 3 === 2 ? { path: unix.address() } : { port: tcp.address().port, host: '127.0.0.1' };
    const socket = net.connect(target);
    const payload = Buffer.alloc(r.size(64 * 1024), i & 0xff);
    let got = 0;
    socket.on('error', (err) => {
      if (err.code !== 'ECONNRESET') errors++;
    });
    socket.on('close', resolve);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d) => {
      got += d.length;
      if (got < payload.length) return;
      bytes += got;
      // resetAndDestroy() is for TCP only (a Unix socket throws ERR_INVALID_HANDLE_TYPE, as in Node).
      const how = r.int(0, target.path ? 1 : 2);
      if (how === 0) socket.end();
      else if (how === 1) socket.destroy();
      else socket.resetAndDestroy();
    });
  });
  let next = 0;
  const lane = async () => {
    while (next < opts.connectionsPerRound) await one(next++);
  };
  await Promise.all(Array.from({ length: opts.parallel }, lane));
  await waitFor(() => servers.every((s) => s._connections === 0), 10000);
  for (const server of servers) server.close();
  await Promise.all(servers.map((s) => once(s, 'close')));
  return { errors, bytes };
}

async function main() {
  // Warm-up rounds: what lives for the process (the I/O thread, pools, the heap's working
  // size) exists after them.
  for (let i = 0; i < (opts.warmupRounds || 1); i++) await round(-1 - i);
  // The first write to stdout sets it up (Node may open a descriptor for it): before the baseline.
  console.log('[gc] warm-up round done');
  await collect();
  // The baseline: the fewest descriptors seen over a moment (a socket of the warm-up may
  // still be on its way to closing); afterwards there must never be more.
  let fdStart = fdCount();
  for (let i = 0; i < 10; i++) {
    await delay(30);
    fdStart = Math.min(fdStart, fdCount());
  }
  const listStart = fdList();
  const rssStart = rss();
  const after = [];
  let bytes = 0;
  for (let i = 1; i <= opts.rounds; i++) {
    const res = await round(i);
    bytes += res.bytes;
    checks.equal(res.errors, 0, `round ${i}: socket errors`);
    await collect();
    await waitFor(() => fdCount() <= fdStart, 5000);
    const fds = fdCount();
    const now = rss();
    after.push(now);
    checks.ok(fds <= fdStart, `round ${i}: ${fds} open descriptors after a full GC, ${fdStart} at the start: ${
      fdList().filter((l) => !listStart.includes(l)).join(', ')}`);
    console.log(`[gc] round ${i}: ${opts.connectionsPerRound} connections, fds ${fds} (baseline ${fdStart}), ` +
      `RSS after GC ${mib(now)} MiB (baseline ${mib(rssStart)})`);
  }
  const growth = after[after.length - 1] - rssStart;
  // Allocators and the heap settle in the first rounds; from the middle round on, flat.
  const middle = after[Math.floor((after.length - 1) / 2)];
  const lateGrowth = after[after.length - 1] - middle;
  checks.ok(growth <= opts.rssGrowthMiB * MiB,
    `RSS after GC grew ${mib(growth)} MiB over ${opts.rounds} rounds (bound ${opts.rssGrowthMiB} MiB)`);
  // With few rounds (CI's size) the heap may still be settling: the total bound is the check.
  if (opts.rounds >= 5) {
    checks.ok(lateGrowth <= opts.lateGrowthMiB * MiB,
      `RSS after GC grew ${mib(lateGrowth)} MiB from the middle round to the last (bound ${opts.lateGrowthMiB} MiB)`);
  }
  report({
    failures: checks.failures,
    passed: checks.passed,
    figures: {
      connections: (opts.rounds + (opts.warmupRounds || 1)) * opts.connectionsPerRound,
      bytesEchoed: bytes,
      fdStart,
      fdEnd: fdCount(),
      rssStartMiB: Number(mib(rssStart)),
      rssEndMiB: Number(mib(after[after.length - 1])),
      peakRss: sampler.peak,
    },
  });
}

main().catch((err) => {
  checks.fail(`gc: ${err.stack}`);
  report({ failures: checks.failures, passed: checks.passed, figures: { peakRss: sampler.peak } });
  process.exitCode = 1;
});
