'use strict';

// An echo server for "no byte lost", in its own process: it echoes every byte back while
// pausing and resuming, corking and uncorking, and splitting writes at random; it honours
// backpressure (pauses reading while a write is refused, until 'drain'). When a client
// ends, it finishes echoing and ends too. It hashes what each connection sent it and
// reports that over IPC, keyed by the connection's 8-byte header (see integrity.js).
//
// argv[2]: { impl: 'rsnet' | 'node', seed, unixPath }

const { once } = require('node:events');
const { loadImpl, childOptions, prng, sha256, rss } = require('../lib/util');

const opts = childOptions();
const net = opts.impl === 'node' ? require('node:net') : loadImpl();
const rng = prng(opts.seed);
let peakRss = rss();

function echo(socket) {
  const r = rng.fork();
  const hash = sha256();
  let bytes = 0;
  let id = null;
  let header = Buffer.alloc(0);
  let waitingDrain = false;
  let randomPause = false;
  let ended = false;
  let writeErrors = 0;
  const errors = [];

  const update = () => {
    if (waitingDrain || randomPause) socket.pause();
    else socket.resume();
  };
  socket.on('drain', () => {
    waitingDrain = false;
    update();
  });
  socket.on('data', (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
    if (id === null) {
      header = Buffer.concat([header, chunk.subarray(0, 8)]);
      if (header.length >= 8) id = header.readUInt32BE(0);
    }
    if (r.chance(0.1)) {
      socket.cork();
      const uncork = () => socket.uncork();
      if (r.chance(0.5)) process.nextTick(uncork);
      else setTimeout(uncork, r.int(0, 3));
    }
    // Echo in random pieces; a callback on some of them.
    let ok = true;
    for (let at = 0; at < chunk.length;) {
      const n = Math.min(chunk.length - at, r.size(chunk.length));
      const piece = chunk.subarray(at, at + n);
      at += n;
      if (r.chance(0.05)) {
        ok = socket.write(piece, (err) => {
          if (err) writeErrors++;
        });
      } else {
        ok = socket.write(piece);
      }
    }
    if (!ok) waitingDrain = true;
    if (!randomPause && r.chance(0.02)) {
      randomPause = true;
      setTimeout(() => {
        randomPause = false;
        update();
      }, r.int(0, 20));
    }
    update();
    if (bytes % (1 << 24) < chunk.length) peakRss = Math.max(peakRss, rss());
  });
  socket.on('end', () => {
    ended = true;
    socket.end();
  });
  socket.on('error', (err) => errors.push(err.code || err.message));
  socket.on('close', () => {
    peakRss = Math.max(peakRss, rss());
    process.send({ type: 'conn', id, bytes, hash: hash.digest('hex'), ended, errors, writeErrors, peakRss });
  });
}

async function main() {
  const servers = [];
  const addresses = {};
  const listen = async (key, ...args) => {
    const server = net.createServer({ allowHalfOpen: true }, echo);
    server.listen(...args);
    await once(server, 'listening');
    servers.push(server);
    addresses[key] = server.address();
  };
  await listen('tcp4', 0, '127.0.0.1');
  await listen('tcp6', 0, '::1');
  await listen('unix', opts.unixPath);
  process.send({ type: 'listening', addresses });
  process.on('message', (m) => {
    if (m.type === 'close') {
      for (const server of servers) server.close();
      process.disconnect();
    }
  });
}

main();
