'use strict';

// Issue #7, part 3, "memory bounded". The fast or slow peer is Node's net in another
// process (peers/flow-peer.js), so that the memory measured here is rsnet's alone.
//   paused receiver: an rsnet socket (server side, then client side) is paused while a
//     fast sender keeps writing: what the socket buffers stays within its high-water mark
//     (plus one batch of reads), RSS stays flat, and the sender stalls, because reading
//     stopped in the kernel. After resume every byte arrives (sha256).
//   slow reader: an rsnet socket read a little at a time while the sender is fast: the
//     same bound holds while far more data than the bound passes through.
//   fast writer, slow peer: an rsnet writer (client, then server side) sees write()
//     return false with no more than its high-water mark (plus one chunk) buffered, waits
//     for 'drain', and its RSS stays flat; the peer gets every byte (sha256).
//
// argv[2]: { pauseMs, slowBytes, writeBytes, hwms: [..], seed, slackMiB, rssBoundMiB }

const path = require('node:path');
const { once } = require('node:events');
const { loadImpl, ByteSource, Checks, MiB, childOptions, mib, report, rss, rssSampler, sha256, delay } =
  require('../lib/util');
const { spawnNode } = require('../lib/child');

const net = loadImpl();
const opts = childOptions();
const checks = new Checks();
const sampler = rssSampler(20);
const figures = { bytesChecked: 0, cases: 0 };
const CHUNK = 64 * 1024;
const gc = typeof global.gc === 'function' ? () => {
  global.gc();
  global.gc();
} : () => {};

function log(...args) {
  console.log('[memory]', ...args);
}

function startPeer(options) {
  const child = spawnNode(path.join(__dirname, '..', 'peers', 'flow-peer.js'), {
    options: { seed: opts.seed, ...options },
    ipc: true,
    stdout: 'inherit',
  });
  child.progress = 0;
  child.stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t) => {
    child.stderrText += t;
  });
  child.done = new Promise((resolve) => {
    child.on('message', (m) => {
      if (m.type === 'progress') child.progress = m.bytes;
      else if (m.type === 'done') resolve(m);
      else if (m.type === 'listening') child.emit('listening', m.port);
      else if (m.type === 'error') child.peerError = m.code;
    });
    child.on('exit', () => resolve(null));
  });
  child.closed = once(child, 'close');
  return child;
}

async function stopPeer(child, name) {
  if (child.connected) child.send({ type: 'exit' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await child.closed;
  clearTimeout(timer);
  checks.equal(child.exitCode, 0, `${name}: peer exit code`);
}

// Watches a socket's buffered bytes and this process's RSS: `maxRss` is what RSS grew
// by after a full GC (memory still held, not garbage waiting for a collection), sampled
// every `gcEvery` ms; `maxRawRss` is the largest growth seen at all.
function watch(socket, base, gcEvery = 250) {
  const w = { maxBuffered: 0, maxRss: 0, maxRawRss: 0 };
  const sample = (collect) => {
    w.maxBuffered = Math.max(w.maxBuffered, socket.readableLength + socket.writableLength);
    w.maxRawRss = Math.max(w.maxRawRss, rss() - base);
    if (collect) {
      gc();
      w.maxRss = Math.max(w.maxRss, rss() - base);
    }
  };
  let last = Date.now();
  w.timer = setInterval(() => {
    const collect = Date.now() - last >= gcEvery;
    if (collect) last = Date.now();
    sample(collect);
  }, 5);
  w.sample = sample;
  w.stop = () => {
    sample(true);
    clearInterval(w.timer);
  };
  return w;
}

// A paused rsnet receiver (`side`: 'server' or 'client'), highWaterMark `hwm`.
async function pausedReceiver(side, hwm) {
  const name = `paused ${side} (highWaterMark ${hwm})`;
  const bound = hwm + opts.slackMiB * MiB;
  gc();
  const base = rss();
  let socket;
  let server = null;
  let peer;
  if (side === 'server') {
    server = net.createServer({ highWaterMark: hwm });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    peer = startPeer({ role: 'send', port: server.address().port, host: '127.0.0.1', bytes: opts.pausedBytes });
    [socket] = await once(server, 'connection');
    server.closed = once(server, 'close');
    server.close();
  } else {
    peer = startPeer({ role: 'send', listen: true, bytes: opts.pausedBytes });
    const [port] = await once(peer, 'listening');
    socket = net.connect({ port, host: '127.0.0.1', highWaterMark: hwm });
    await once(socket, 'connect');
  }
  // Flowing until some data has come, then paused mid-stream.
  const hash = sha256();
  let got = 0;
  let gotWhilePaused = 0;
  socket.on('data', (chunk) => {
    hash.update(chunk);
    got += chunk.length;
    if (socket.isPaused()) gotWhilePaused += chunk.length;
  });
  socket.resume();
  while (got < MiB && !socket.readableEnded) await delay(1);
  socket.pause();
  const gotBeforePause = got;
  const w = watch(socket, base);
  // Paused: let the sender fill everything it can, then see that it stalled.
  await delay(opts.pauseMs / 2);
  const sentMid = peer.progress;
  await delay(opts.pauseMs / 2);
  const sentEnd = peer.progress;
  w.sample(true);
  const rssWhilePaused = w.maxRss;
  const bufferedWhilePaused = socket.readableLength;
  socket.resume();
  const [done] = await Promise.all([peer.done, once(socket, 'end')]);
  w.stop();
  const hex = hash.digest('hex');
  checks.equal(gotWhilePaused, 0, `${name}: 'data' while paused`);
  checks.ok(bufferedWhilePaused <= bound,
    `${name}: ${bufferedWhilePaused} bytes buffered while paused (bound ${bound})`);
  checks.ok(w.maxBuffered <= bound, `${name}: up to ${w.maxBuffered} bytes buffered (bound ${bound})`);
  checks.ok(sentEnd - sentMid <= 1 * MiB,
    `${name}: the sender went on from ${sentMid} to ${sentEnd} bytes in the second half of the pause`);
  checks.ok(rssWhilePaused <= opts.pausedRssBoundMiB * MiB,
    `${name}: RSS grew ${mib(rssWhilePaused)} MiB while paused (bound ${opts.pausedRssBoundMiB})`);
  checks.ok(w.maxRss <= opts.rssBoundMiB * MiB, `${name}: RSS grew ${mib(w.maxRss)} MiB (bound ${opts.rssBoundMiB})`);
  if (checks.ok(done, `${name}: the sender did not finish`)) {
    checks.equal(got, done.bytes, `${name}: bytes received`);
    checks.equal(hex, done.hash, `${name}: sha256 of what was received`);
    if (hex === done.hash) figures.bytesChecked += got;
  }
  socket.destroy();
  await stopPeer(peer, name);
  log(`${name}: paused after ${mib(gotBeforePause)} MiB, sender stalled at ${mib(sentEnd)} MiB; ${bufferedWhilePaused} bytes buffered while paused, ` +
    `max ${w.maxBuffered}; RSS after GC +${mib(rssWhilePaused)} MiB while paused, +${mib(w.maxRss)} MiB in all; then ${mib(got)} MiB received, hash ${hex === (done && done.hash)
      ? 'ok' : 'MISMATCH'}`);
  figures.cases++;
  figures.maxBufferedPaused = Math.max(figures.maxBufferedPaused || 0, w.maxBuffered);
  if (server) await server.closed;
}

// An rsnet server socket read slowly, `bytes` at most per millisecond, by read() calls.
async function slowReader(hwm) {
  const name = `slow reader (highWaterMark ${hwm})`;
  const bound = hwm + opts.slackMiB * MiB;
  gc();
  const base = rss();
  const server = net.createServer({ highWaterMark: hwm, pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer = startPeer({ role: 'send', port: server.address().port, host: '127.0.0.1', bytes: opts.slowBytes });
  const [socket] = await once(server, 'connection');
  const serverClosed = once(server, 'close');
  server.close();
  const hash = sha256();
  let got = 0;
  const w = watch(socket, base);
  const t0 = Date.now();
  const ended = once(socket, 'end');
  // At most 16 KiB a millisecond.
  const reader = setInterval(() => {
    const chunk = socket.read(Math.min(16 * 1024, socket.readableLength)) || socket.read();
    if (chunk === null) return;
    hash.update(chunk);
    got += chunk.length;
  }, 1);
  socket.on('readable', () => {});
  let limit;
  await Promise.race([ended, new Promise((resolve) => {
    limit = setTimeout(resolve, opts.timeLimitMs);
  })]);
  clearTimeout(limit);
  clearInterval(reader);
  // Whatever is left after 'end'.
  for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) {
    hash.update(chunk);
    got += chunk.length;
  }
  const done = await peer.done;
  w.stop();
  const ms = Date.now() - t0;
  const hex = hash.digest('hex');
  checks.ok(w.maxBuffered <= bound, `${name}: up to ${w.maxBuffered} bytes buffered (bound ${bound})`);
  checks.ok(w.maxRss <= opts.rssBoundMiB * MiB, `${name}: RSS grew ${mib(w.maxRss)} MiB (bound ${opts.rssBoundMiB})`);
  if (checks.ok(done, `${name}: the sender did not finish`)) {
    checks.equal(got, done.bytes, `${name}: bytes received`);
    checks.equal(hex, done.hash, `${name}: sha256 of what was received`);
    if (hex === done.hash) figures.bytesChecked += got;
  }
  socket.destroy();
  await stopPeer(peer, name);
  log(`${name}: ${mib(got)} MiB in ${ms} ms; max ${w.maxBuffered} bytes buffered; RSS +${mib(w.maxRss)} MiB ` +
    `after GC (+${mib(w.maxRawRss)} MiB at most)`);
  figures.cases++;
  await serverClosed;
}

// An rsnet writer (`side`) that honours backpressure, to a peer that reads slowly.
async function fastWriter(side) {
  const name = `fast writer, ${side} side`;
  gc();
  const base = rss();
  let socket;
  let server = null;
  let peer;
  const peerOpts = { role: 'slowread', burstMs: 1, pauseMs: 9 };
  if (side === 'server') {
    server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    peer = startPeer({ ...peerOpts, port: server.address().port, host: '127.0.0.1' });
    [socket] = await once(server, 'connection');
    server.closed = once(server, 'close');
    server.close();
  } else {
    peer = startPeer({ ...peerOpts, listen: true });
    const [port] = await once(peer, 'listening');
    socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
  }
  const hwm = socket.writableHighWaterMark;
  const source = new ByteSource(opts.seed, `writer-${side}`);
  const hash = sha256();
  let sent = 0;
  let refusals = 0;
  let maxQueued = 0;
  let overBound = 0;
  const w = watch(socket, base);
  const t0 = Date.now();
  const deadline = t0 + opts.timeLimitMs;
  while (sent < opts.writeBytes && Date.now() < deadline) {
    const chunk = source.take(Math.min(CHUNK, opts.writeBytes - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) {
      refusals++;
      const queued = socket.writableLength;
      maxQueued = Math.max(maxQueued, queued);
      if (queued > hwm + CHUNK) overBound++;
      await once(socket, 'drain');
    }
  }
  socket.end();
  const done = await peer.done;
  w.stop();
  const ms = Date.now() - t0;
  const hex = hash.digest('hex');
  checks.equal(sent, opts.writeBytes, `${name}: bytes written within ${opts.timeLimitMs} ms`);
  checks.ok(refusals > 0, `${name}: write() never returned false`);
  checks.equal(overBound, 0, `${name}: times more than highWaterMark + one chunk was queued (max ${maxQueued})`);
  checks.ok(w.maxRss <= opts.rssBoundMiB * MiB, `${name}: RSS grew ${mib(w.maxRss)} MiB (bound ${opts.rssBoundMiB})`);
  if (checks.ok(done, `${name}: the slow reader did not finish`)) {
    checks.equal(done.bytes, sent, `${name}: bytes the slow reader got`);
    checks.equal(done.hash, hex, `${name}: sha256 of what the slow reader got`);
    if (done.hash === hex) figures.bytesChecked += sent;
  }
  await stopPeer(peer, name);
  log(`${name}: ${mib(sent)} MiB in ${ms} ms; write() returned false ${refusals} times, max queued ${maxQueued} ` +
    `(highWaterMark ${hwm}); RSS +${mib(w.maxRss)} MiB after GC (+${mib(w.maxRawRss)} MiB at most)`);
  figures.cases++;
  figures.drains = (figures.drains || 0) + refusals;
  if (server) await server.closed;
}

// Moves some data through rsnet in both directions first, so that the heap and the
// allocator have grown to their working size before any baseline is taken.
async function warmUp() {
  const server = net.createServer((s) => s.pipe(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect(server.address().port, '127.0.0.1');
  const source = new ByteSource(opts.seed, 'warm-up');
  let got = 0;
  socket.on('data', (chunk) => {
    got += chunk.length;
  });
  for (let sent = 0; sent < opts.warmUpBytes; sent += CHUNK) {
    if (!socket.write(source.take(CHUNK))) await once(socket, 'drain');
  }
  socket.end();
  await once(socket, 'close');
  checks.equal(got, opts.warmUpBytes, 'warm-up: bytes echoed');
  server.close();
  await once(server, 'close');
}

async function main() {
  await warmUp();
  for (const hwm of opts.hwms) {
    await pausedReceiver('server', hwm);
    await pausedReceiver('client', hwm);
    await slowReader(hwm);
  }
  await fastWriter('client');
  await fastWriter('server');
  report({ failures: checks.failures, passed: checks.passed, figures: { ...figures, peakRss: sampler.peak } });
}

main().catch((err) => {
  checks.fail(`memory: ${err.stack}`);
  report({ failures: checks.failures, passed: checks.passed, figures: { ...figures, peakRss: sampler.peak } });
  process.exitCode = 1;
});
