'use strict';

// A peer process killed with SIGKILL in the middle of a transfer.
//   peer-writing: a Node process streams to our server and is killed; our socket must
//     end or fail (ECONNRESET) and close, and the server must go on serving.
//   impl-writing: our client streams to a Node process that reads slowly and is killed;
//     our socket fails (EPIPE or ECONNRESET), closes, and every write callback is called.

const path = require('node:path');
const { opts, net, observed, shape, bound } = require('./common');
const { spawnNode } = require('../lib/child');

bound(15000);
const PEER = path.join(__dirname, '..', 'peers', 'flow-peer.js');
Object.assign(observed, { errors: [], ended: false, closed: false, issued: 0, called: 0, cbErrors: [] });

function watch(socket) {
  socket.on('error', (err) => observed.errors.push(shape(err)));
  socket.on('end', () => {
    observed.ended = true;
  });
  socket.on('close', () => {
    observed.closed = true;
  });
}

function startPeer(options) {
  const peer = spawnNode(PEER, { options: { seed: 1, ...options }, ipc: true, stdout: 'ignore', stderr: 'ignore' });
  peer.progress = 0;
  peer.on('message', (m) => {
    if (m.type === 'progress') peer.progress = m.bytes;
    if (m.type === 'listening') peer.emit('listening', m.port);
  });
  peer.on('exit', (code, signal) => {
    observed.peerSignal = signal;
  });
  return peer;
}

// After the kill: a fresh connection to `server` still echoes.
function checkServerStillWorks(server, then) {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('error', (err) => {
    observed.afterError = shape(err);
  });
  client.on('data', (d) => {
    observed.afterEcho = String(d);
    client.end();
  });
  client.on('connect', () => client.write('ping'));
  client.on('close', then);
}

if (opts.variant === 'peer-writing') {
  let first = true;
  const server = net.createServer((socket) => {
    if (!first) {
      socket.pipe(socket);
      return;
    }
    first = false;
    watch(socket);
    let got = 0;
    socket.on('data', (d) => {
      got += d.length;
      if (got >= 2 << 20 && !observed.killed) {
        observed.killed = true;
        peer.kill('SIGKILL');
      }
    });
    socket.on('close', () => checkServerStillWorks(server, () => server.close()));
  });
  let peer;
  server.listen(0, '127.0.0.1', () => {
    peer = startPeer({ role: 'send', port: server.address().port, host: '127.0.0.1', bytes: 1 << 30 });
  });
} else if (opts.variant === 'impl-writing') {
  const peer = startPeer({ role: 'slowread', listen: true, burstMs: 1, pauseMs: 5 });
  peer.once('listening', (port) => {
    const socket = net.connect(port, '127.0.0.1');
    watch(socket);
    const chunk = Buffer.alloc(64 * 1024, 0x63);
    const end = Date.now() + 8000;
    const pump = () => {
      while (!socket.destroyed && Date.now() < end) {
        observed.issued++;
        const ok = socket.write(chunk, (err) => {
          observed.called++;
          const s = shape(err);
          if (s && !observed.cbErrors.includes(s)) observed.cbErrors.push(s);
        });
        if (!ok) return;
      }
      if (!socket.destroyed) socket.destroy();
    };
    socket.on('connect', pump);
    socket.on('drain', pump);
    const poll = setInterval(() => {
      if (peer.progress >= 2 << 20) {
        clearInterval(poll);
        observed.killed = true;
        peer.kill('SIGKILL');
      }
    }, 5);
  });
} else {
  throw new Error(`unknown variant ${opts.variant}`);
}
