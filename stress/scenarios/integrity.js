'use strict';

// Issue #7, part 2, "no byte lost": several connections each send many MiB of seeded
// random data in random-sized writes (Buffers, views, and strings in latin1/hex/base64)
// to an echo server in another process, with random pause/resume and cork/uncork on
// both sides, and both sides honouring backpressure. The client hashes (sha256) what it
// sent and what came back; the server hashes what it received; all three must agree, and
// so must the byte counts. Lanes cover TCP over IPv4 and IPv6 and Unix sockets, with
// rsnet on both ends, and Node's net on one end against rsnet on the other.
//
// argv[2]: { lanes: [{ transport, client, server, bytes, readMode }], seed, timeLimitMs }

const path = require('node:path');
const { loadImpl, ByteSource, Checks, childOptions, mib, prng, report, rssSampler, sha256, tmpDir } =
  require('../lib/util');
const { spawnNode } = require('../lib/child');

const rsnet = loadImpl();
const nodeNet = require('node:net');
const opts = childOptions();
const checks = new Checks();
const sampler = rssSampler();
const rng = prng(opts.seed);
const MAX_WRITE = 256 * 1024;

function log(...args) {
  console.log('[integrity]', ...args);
}

// Starts an echo server process; resolves with it and its addresses.
function startServer(impl, dir) {
  const child = spawnNode(path.join(__dirname, '..', 'peers', 'echo-server.js'), {
    options: { impl, seed: rng.int(0, 2 ** 31), unixPath: path.join(dir, `echo-${impl}.sock`) },
    ipc: true,
    stdout: 'inherit',
  });
  child.stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t) => {
    child.stderrText += t;
  });
  child.reports = new Map();
  return new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.type === 'listening') resolve({ child, addresses: m.addresses });
      else if (m.type === 'conn') {
        child.reports.set(m.id, m);
        if (child.onReport) child.onReport(m);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`echo server (${impl}) exited: ${code} ${signal} ${
      child.stderrText.slice(-500)}`)));
  });
}

// Writes `chunk` (a Buffer) in a randomly chosen form; returns write()'s result.
function writeSome(socket, r, chunk, onCallback) {
  const form = r.random();
  const cb = r.chance(0.1) ? onCallback : undefined;
  if (form < 0.06 && chunk.length <= 64 * 1024) return socket.write(chunk.toString('latin1'), 'latin1', cb);
  if (form < 0.09 && chunk.length <= 16 * 1024) return socket.write(chunk.toString('hex'), 'hex', cb);
  if (form < 0.12 && chunk.length <= 16 * 1024) return socket.write(chunk.toString('base64'), 'base64', cb);
  if (form < 0.2) {
    // A Uint8Array view into the middle of a larger buffer.
    const outer = new Uint8Array(chunk.length + 32);
    outer.set(chunk, 16);
    return socket.write(outer.subarray(16, 16 + chunk.length), cb);
  }
  return socket.write(chunk, cb);
}

function runLane(lane, index, server) {
  const net = lane.client === 'node' ? nodeNet : rsnet;
  const r = rng.fork();
  const id = index + 1;
  const source = new ByteSource(opts.seed, `lane-${id}`);
  const sentHash = sha256();
  const recvHash = sha256();
  let sent = 0;
  let received = 0;
  let callbacks = 0;
  let callbackErrors = 0;
  let drains = 0;
  const errors = [];
  const address = server.addresses[lane.transport];
  const target = lane.transport === 'unix' ? { path: address } : { port: address.port, host: address.address };
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(target);
    let randomPause = false;
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      resolve({ why, sent, received, sentHash: sentHash.digest('hex'), recvHash: recvHash.digest('hex'),
        errors, callbacks, callbackErrors, drains, ms: Date.now() - started });
    };
    socket.on('error', (err) => errors.push(err.code || err.message));
    socket.on('close', () => finish('close'));
    const limit = lane.timeLimitMs || opts.timeLimitMs;
    const timer = setTimeout(() => {
      errors.push(`not done within ${limit} ms (sent ${sent}, received ${received})`);
      socket.destroy();
    }, limit);
    socket.on('close', () => clearTimeout(timer));

    const onCallback = (err) => {
      callbacks++;
      if (err) callbackErrors++;
    };
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id, 0);
    const pump = () => {
      // A bounded batch per turn, so reading gets its turns too.
      for (let batch = 0; batch < 64; batch++) {
        if (sent >= lane.bytes) {
          socket.end();
          return;
        }
        let corked = false;
        if (r.chance(0.05)) {
          socket.cork();
          corked = true;
        }
        let ok = true;
        const pieces = corked ? r.int(1, 8) : 1;
        for (let p = 0; p < pieces && sent < lane.bytes; p++) {
          let chunk;
          if (sent === 0) {
            chunk = header;
          } else {
            chunk = source.take(Math.min(r.size(MAX_WRITE), lane.bytes - sent));
          }
          sentHash.update(chunk);
          sent += chunk.length;
          ok = writeSome(socket, r, chunk, onCallback);
        }
        if (corked) {
          if (r.chance(0.5)) socket.uncork();
          else process.nextTick(() => socket.uncork());
        }
        if (!ok) {
          socket.once('drain', () => {
            drains++;
            pump();
          });
          return;
        }
      }
      setImmediate(pump);
    };
    socket.on('connect', pump);

    const onChunk = (chunk) => {
      recvHash.update(chunk);
      received += chunk.length;
      if (!randomPause && r.chance(0.01)) {
        randomPause = true;
        socket.pause();
        setTimeout(() => {
          randomPause = false;
          socket.resume();
        }, r.int(0, 25));
      }
    };
    if (lane.readMode === 'readable' || lane.readMode === 'readable-early') {
      // Paused mode: read() in random amounts as data becomes readable, with pauses.
      // 'readable-early' adds the listener before the socket is connected, as a user may.
      let stalled = false;
      const drainReadable = () => {
        if (stalled) return;
        for (;;) {
          const want = r.chance(0.5) ? undefined : r.size(128 * 1024);
          let chunk = socket.read(want);
          if (chunk === null && want !== undefined) chunk = socket.read();
          if (chunk === null) return;
          recvHash.update(chunk);
          received += chunk.length;
          if (r.chance(0.01)) {
            stalled = true;
            setTimeout(() => {
              stalled = false;
              drainReadable();
            }, r.int(0, 25));
            return;
          }
        }
      };
      if (lane.readMode === 'readable-early') socket.on('readable', drainReadable);
      else socket.once('connect', () => socket.on('readable', drainReadable));
    } else {
      socket.on('data', onChunk);
    }
  });
}

async function main() {
  const dir = tmpDir();
  const impls = [...new Set(opts.lanes.map((l) => l.server))];
  const servers = {};
  for (const impl of impls) servers[impl] = await startServer(impl, dir);
  log(`lanes: ${opts.lanes.map((l) => `${l.client}->${l.server}/${l.transport}/${mib(l.bytes)}MiB`).join(', ')}`);
  const t0 = Date.now();
  const results = await Promise.all(opts.lanes.map((lane, i) => runLane(lane, i, servers[lane.server])));
  const ms = Date.now() - t0;
  // The server reports each connection as it closes, which can trail the client's 'close'.
  const reportOf = async (server, id) => {
    const end = Date.now() + 10000;
    while (!server.child.reports.has(id) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return server.child.reports.get(id);
  };
  let bytesChecked = 0;
  let serverPeak = 0;
  for (let i = 0; i < results.length; i++) {
    const lane = opts.lanes[i];
    const res = results[i];
    const name = `lane ${i + 1} (${lane.client}->${lane.server} ${lane.transport} ${lane.readMode || 'flowing'})`;
    const seen = await reportOf(servers[lane.server], i + 1);
    // A lane that failed outright gets one line, not one per figure.
    if (!checks.ok(res.errors.length === 0, `${name}: ${res.errors.join(', ')}`)) continue;
    checks.equal(res.sent, lane.bytes, `${name}: bytes sent`);
    checks.equal(res.received, res.sent, `${name}: bytes echoed back`);
    checks.equal(res.recvHash, res.sentHash, `${name}: sha256 of the echo vs what was sent`);
    checks.equal(res.callbackErrors, 0, `${name}: write callbacks with errors`);
    if (checks.ok(seen, `${name}: no report from the server`)) {
      checks.equal(seen.bytes, res.sent, `${name}: bytes the server received`);
      checks.equal(seen.hash, res.sentHash, `${name}: sha256 of what the server received`);
      checks.equal(seen.errors.length, 0, `${name}: server socket errors ${seen.errors.join(', ')}`);
      checks.equal(seen.writeErrors, 0, `${name}: server write callbacks with errors`);
      serverPeak = Math.max(serverPeak, seen.peakRss);
    }
    if (res.recvHash === res.sentHash && seen && seen.hash === res.sentHash) bytesChecked += res.sent + res.received;
    log(`${name}: ${mib(res.sent)} MiB each way in ${res.ms} ms, ${res.drains} drains, ${res.callbacks} callbacks, ` +
      `hash ${res.recvHash === res.sentHash ? 'ok' : 'MISMATCH'}`);
  }
  for (const impl of impls) {
    const { child } = servers[impl];
    child.removeAllListeners('exit');
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.send({ type: 'close' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await closed;
    clearTimeout(timer);
    checks.equal(child.exitCode, 0, `echo server (${impl}) exit code (${child.signalCode || ''})`);
    checks.ok(!/Abort|FATAL|Segmentation|panicked/.test(child.stderrText),
      `echo server (${impl}) crashed: ${child.stderrText.slice(-500)}`);
  }
  const total = opts.lanes.reduce((sum, l) => sum + l.bytes, 0);
  log(`${mib(total)} MiB sent and echoed in ${ms} ms (${mib((2 * total) / (ms / 1000))} MiB/s both ways)`);
  report({ failures: checks.failures, passed: checks.passed,
    figures: { bytesChecked, lanes: opts.lanes.length, ms, peakRss: Math.max(sampler.peak, serverPeak) } });
}

main().catch((err) => {
  checks.fail(`integrity: ${err.stack}`);
  report({ failures: checks.failures, passed: checks.passed, figures: { peakRss: sampler.peak } });
  process.exitCode = 1;
});
