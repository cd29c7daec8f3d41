'use strict';
// Sink server: count the bytes received; on 'end' reply with the count as
// 8 bytes (u64 little-endian) and end().
const { loadImplOrExit, announce } = require('../lib/util');
const net = loadImplOrExit();

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  socket.on('error', () => {});
  let total = 0;
  socket.on('data', (chunk) => { total += chunk.length; });
  socket.on('end', () => {
    const ack = Buffer.alloc(8);
    ack.writeBigUInt64LE(BigInt(total));
    socket.end(ack);
  });
});
announce(server);
