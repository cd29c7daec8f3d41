'use strict';
// Echo server: every 'data' chunk is written straight back.
const { loadImplOrExit, announce } = require('../lib/util');
const net = loadImplOrExit();

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
});
announce(server);
