'use strict';
// JS bulk client (the side under test) against the native bulk server.
//   --dir recv: read until the server ends after sending --bytes (server-bulk --mode source)
//   --dir send: write --bytes in 64 KiB chunks honouring backpressure, end(),
//               wait for the 8-byte count (server-bulk --mode sink)
// Prints one JSON line with GB/s and this process's CPU time.
const { loadImplOrExit, parseArgs } = require('../lib/util');
const net = loadImplOrExit();

const o = parseArgs(process.argv.slice(2), { host: '127.0.0.1', port: 0, bytes: 2 ** 30, dir: 'recv' });
if (!o.port) fail('--port is required');
if (o.dir !== 'recv' && o.dir !== 'send') fail('--dir must be recv or send');
const mode = o.dir === 'recv' ? 'client-bulk' : 'client-bulk-send';

function fail(e) {
  process.stdout.write(JSON.stringify({ mode, ok: false, error: String(e && e.message || e) }) + '\n');
  process.exit(1);
}

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();

function report(extra) {
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({
    mode, ok: true, bytes: o.bytes, secs, gb_per_sec: o.bytes / secs / 1e9,
    cpu_us: cpu.user + cpu.system, ...extra,
  }) + '\n');
  process.exit(0);
}

if (o.dir === 'recv') {
  let total = 0;
  const sock = net.connect({ port: o.port, host: o.host });
  sock.on('error', fail);
  sock.on('data', (d) => { total += d.length; });
  sock.on('end', () => {
    if (total !== o.bytes) fail(`byte count mismatch: expected ${o.bytes}, received ${total}`);
    report({});
  });
} else {
  const CHUNK = 64 * 1024;
  const chunk = Buffer.alloc(CHUNK, 's');
  let left = o.bytes;
  const acks = [];
  const sock = net.connect({ port: o.port, host: o.host, allowHalfOpen: true }, pump);
  sock.on('error', fail);
  sock.on('data', (d) => acks.push(d));
  sock.on('end', () => {
    const ack = Buffer.concat(acks);
    if (ack.length !== 8) fail(`expected an 8-byte acknowledgement, got ${ack.length} bytes`);
    const n = Number(ack.readBigUInt64LE());
    if (n !== o.bytes) fail(`server counted ${n} bytes, sent ${o.bytes}`);
    report({ acked: true });
  });
  function pump() {
    while (left > 0) {
      const n = Math.min(left, CHUNK);
      left -= n;
      if (!sock.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
        sock.once('drain', pump);
        return;
      }
    }
    sock.end();
  }
}
