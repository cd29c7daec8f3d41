'use strict';

// The client side of "load held": opens N connections to a server in another process,
// keeps them all open, has each echo a few messages, then closes them. Runs in its own
// process so that each side has N descriptors under the open-files limit. Talks to the
// parent over IPC: 'connected' -> (talk) -> 'talked' -> (close) -> 'closed'.
//
// argv[2]: { port, host, connections, messages, parallel, seed, impl: 'rsnet' | 'node' }

const { loadImpl, prng, fdCount, rss, childOptions } = require('../lib/util');

const opts = childOptions();
const net = opts.impl === 'node' ? require('node:net') : loadImpl();
const rng = prng(opts.seed);

const sockets = [];
const errors = [];
let connected = 0;
let started = 0;
let peakRss = rss();

function send(message) {
  peakRss = Math.max(peakRss, rss());
  process.send({ ...message, fds: fdCount(), rss: rss(), peakRss });
}

function openNext() {
  while (started < opts.connections && started - connected - errors.length < opts.parallel) {
    const id = started++;
    const socket = net.connect({ port: opts.port, host: opts.host });
    socket.id = id;
    sockets.push(socket);
    socket.once('connect', () => {
      connected++;
      if (connected + errors.length === opts.connections) send({ type: 'connected', connected, errors: errors.length });
      else openNext();
    });
    socket.on('error', (err) => {
      errors.push(`${id}: ${err.code || err.message}`);
      if (connected + errors.length === opts.connections) send({ type: 'connected', connected, errors: errors.length });
      else openNext();
    });
  }
}

// Each connection sends `messages` messages one after the other, each once the echo of
// the previous one has come back in full; the echo must equal what was sent.
function talk() {
  let pending = 0;
  let bytes = 0;
  let mismatches = 0;
  const finishOne = () => {
    if (--pending === 0) send({ type: 'talked', bytes, mismatches, errors });
  };
  for (const socket of sockets) {
    if (socket.destroyed || socket.connecting) continue;
    pending++;
    const r = rng.fork();
    let left = opts.messages;
    let expected = null;
    let got = [];
    let gotLength = 0;
    const nextMessage = () => {
      if (left-- === 0) return finishOne();
      const body = Buffer.alloc(r.size(4000), r.int(0, 255));
      expected = Buffer.concat([Buffer.from(`${socket.id}:${left}:`), body, Buffer.from('\n')]);
      got = [];
      gotLength = 0;
      socket.write(expected);
      bytes += expected.length;
    };
    socket.on('data', (chunk) => {
      got.push(chunk);
      gotLength += chunk.length;
      if (gotLength < expected.length) return;
      if (!Buffer.concat(got).equals(expected)) mismatches++;
      nextMessage();
    });
    socket.on('close', () => {
      if (left >= 0) {
        left = -1;
        errors.push(`${socket.id}: closed while talking`);
        finishOne();
      }
    });
    nextMessage();
  }
  if (pending === 0) send({ type: 'talked', bytes, mismatches, errors });
}

function closeAll() {
  let open = 0;
  const onClose = () => {
    if (--open === 0) send({ type: 'closed' });
  };
  sockets.forEach((socket, i) => {
    if (socket.destroyed) return;
    open++;
    socket.once('close', onClose);
    // Half end gracefully, half are destroyed.
    if (i % 2 === 0) socket.end();
    else socket.destroy();
  });
  if (open === 0) send({ type: 'closed' });
}

process.on('message', (message) => {
  if (message.type === 'talk') talk();
  else if (message.type === 'close') closeAll();
  else if (message.type === 'exit') process.disconnect();
});

openNext();
