'use strict';

// destroy() with writes pending: the peer never reads, so the first 32 MiB write is
// stuck in flight (the kernel is full) and the next ones wait in the stream's buffer.
// Every write callback must be called; which ones get an error, and which error, and
// what the socket reports afterwards, is compared with Node's net on the same script.
//   variant: 'destroy' | 'destroy-error' | 'end-then-destroy'; transport: 'tcp' | 'unix'

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { opts, net, nodeNet, observed, shape, bound } = require('./common');

bound(10000);
const WRITES = 4;
const big = Buffer.alloc(32 * 1024 * 1024, 0x65);
observed.callbacks = new Array(WRITES).fill('not called');
observed.events = [];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-destroy-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const peer = nodeNet.createServer({ pauseOnConnect: true }, (s) => {
  s.on('error', () => {});
  setTimeout(() => {
    s.destroy();
    peer.close();
  }, 300);
});
const where = opts.transport === 'unix' ? [path.join(dir, 'peer.sock')] : [0, '127.0.0.1'];
peer.listen(...where, () => {
  const target = opts.transport === 'unix' ? { path: peer.address() } : { port: peer.address().port, host: '127.0.0.1' };
  const socket = net.connect(target);
  for (const name of ['error', 'close', 'finish', 'end']) {
    socket.on(name, (arg) => observed.events.push(name === 'error' ? `error ${shape(arg)}` :
      name === 'close' ? `close hadError=${arg}` : name));
  }
  socket.on('connect', () => {
    for (let i = 0; i < WRITES; i++) {
      socket.write(big, (err) => {
        observed.callbacks[i] = err ? shape(err) : String(err);
      });
    }
    if (opts.variant === 'end-then-destroy') socket.end();
    setTimeout(() => {
      observed.writableLengthBefore = socket.writableLength > big.length ? '> one write' : '<= one write';
      if (opts.variant === 'destroy-error') {
        socket.destroy(Object.assign(new Error('boom'), { code: 'EBOOM' }));
      } else {
        socket.destroy();
      }
      observed.destroyedAfter = socket.destroyed;
      setTimeout(() => {
        observed.errored = shape(socket.errored);
        observed.writableFinished = socket.writableFinished;
      }, 50);
    }, 100);
  });
});
