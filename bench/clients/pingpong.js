'use strict';
// JS ping-pong client (the side under test) against a native echo server:
// one connection, send --size bytes, wait for exactly --size echoed bytes,
// repeat for --secs after a --warmup. Prints one JSON line.
const { loadImplOrExit, parseArgs } = require('../lib/util');
const net = loadImplOrExit();

const o = parseArgs(process.argv.slice(2), { host: '127.0.0.1', port: 0, secs: 3, warmup: 0.5, size: 64 });
if (!o.port) fail('--port is required');

const msg = Buffer.alloc(o.size, 'p');
const lat = [];
let got = 0;
let sentAt = 0n;
let measuring = false;
let done = false;
let t0 = 0n;
let cpu0 = null;

function fail(e) {
  process.stdout.write(JSON.stringify({ mode: 'client-pingpong', ok: false, error: String(e && e.message || e) }) + '\n');
  process.exit(1);
}

const sock = net.connect({ port: o.port, host: o.host }, () => {
  sock.setNoDelay(true);
  setTimeout(() => {
    measuring = true;
    t0 = process.hrtime.bigint();
    cpu0 = process.cpuUsage();
  }, o.warmup * 1000);
  setTimeout(() => { done = true; }, (o.warmup + o.secs) * 1000);
  send();
});
sock.on('error', fail);
sock.on('end', () => { if (!done) fail('server closed the connection'); });
sock.on('data', (d) => {
  got += d.length;
  if (got < o.size) return;
  if (got > o.size) fail(`received ${got} bytes for a ${o.size}-byte ping`);
  got = 0;
  const now = process.hrtime.bigint();
  if (measuring) lat.push(Number(now - sentAt));
  if (done) finish(now);
  else send();
});

function send() {
  sentAt = process.hrtime.bigint();
  sock.write(msg);
}

function finish(now) {
  const cpu = process.cpuUsage(cpu0);
  const secs = Number(now - t0) / 1e9;
  lat.sort((a, b) => a - b);
  const pct = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.round((p / 100) * (lat.length - 1)))] / 1000 : 0;
  process.stdout.write(JSON.stringify({
    mode: 'client-pingpong', ok: true, ops: lat.length, secs,
    ops_per_sec: lat.length / secs, p50_us: pct(50), p99_us: pct(99), size: o.size,
    cpu_us: cpu.user + cpu.system,
  }) + '\n');
  sock.destroy();
  process.exit(0);
}
