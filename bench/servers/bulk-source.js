'use strict';
// Source server: on each connection write BENCH_BYTES (default 1 GiB) in
// 64 KiB chunks, honouring write()'s return value and 'drain', then end().
const { loadImplOrExit, announce, parseBytes } = require('../lib/util');
const net = loadImplOrExit();

const TOTAL = parseBytes(process.env.BENCH_BYTES || '1G');
const CHUNK = 64 * 1024;
const chunk = Buffer.alloc(CHUNK, 'b');

const server = net.createServer((socket) => {
  socket.on('error', () => {});
  let left = TOTAL;
  function pump() {
    while (left > 0) {
      const n = Math.min(left, CHUNK);
      left -= n;
      const ok = socket.write(n === CHUNK ? chunk : chunk.subarray(0, n));
      if (!ok) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  }
  pump();
});
announce(server);
