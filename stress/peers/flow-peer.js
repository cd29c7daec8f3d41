'use strict';

// The Node's-net peer of "memory bounded", in its own process so that its memory does
// not count as the rsnet side's:
//   send: writes seeded random bytes as fast as the connection takes them (honouring
//         'drain'), up to `bytes`, then ends; reports progress and the sha256 of all.
//   slowread: reads at a bounded pace (short bursts between pauses), hashes what it
//         got, and reports it when the writer ends.
// It either listens (and reports its port) or connects to `port`.
//
// argv[2]: { role, listen: bool, port, host, bytes, seed, burstMs, pauseMs }
// IPC out: { type: 'listening', port } { type: 'progress', bytes } { type: 'done', bytes, hash }

const net = require('node:net');
const { ByteSource, childOptions, sha256 } = require('../lib/util');

const opts = childOptions();

function send(socket) {
  const source = new ByteSource(opts.seed, 'flow');
  const hash = sha256();
  let sent = 0;
  const progress = setInterval(() => process.send({ type: 'progress', bytes: sent }), 50);
  const pump = () => {
    while (sent < opts.bytes) {
      const chunk = source.take(Math.min(64 * 1024, opts.bytes - sent));
      hash.update(chunk);
      sent += chunk.length;
      if (!socket.write(chunk)) return;
    }
    socket.end();
  };
  socket.on('drain', pump);
  socket.on('error', (err) => process.send({ type: 'error', code: err.code }));
  socket.on('finish', () => {
    clearInterval(progress);
    process.send({ type: 'done', bytes: sent, hash: hash.digest('hex') });
  });
  socket.resume();
  pump();
}

function slowRead(socket) {
  const hash = sha256();
  let got = 0;
  let timer = null;
  const progress = setInterval(() => process.send({ type: 'progress', bytes: got }), 50);
  socket.on('data', (chunk) => {
    hash.update(chunk);
    got += chunk.length;
  });
  const cycle = () => {
    socket.pause();
    timer = setTimeout(() => {
      socket.resume();
      timer = setTimeout(cycle, opts.burstMs);
    }, opts.pauseMs);
  };
  cycle();
  socket.on('end', () => {
    clearTimeout(timer);
    clearInterval(progress);
    process.send({ type: 'done', bytes: got, hash: hash.digest('hex') });
    socket.end();
  });
  socket.on('error', (err) => process.send({ type: 'error', code: err.code }));
}

const role = opts.role === 'send' ? send : slowRead;
if (opts.listen) {
  const server = net.createServer((socket) => {
    server.close();
    role(socket);
  });
  server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
} else {
  const socket = net.connect(opts.port, opts.host, () => role(socket));
}
process.on('message', (m) => {
  if (m.type === 'exit') process.disconnect();
});
