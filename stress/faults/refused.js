'use strict';

// Connecting where nothing listens, `count` times in turn over five kinds of address:
// 127.0.0.1 and ::1 on a free port, 'localhost' (both families, so Node 20's
// autoSelectFamily tries each), a Unix path that does not exist and one that is a plain
// file. Each must fail with Node's error (code, syscall, address, port) and close, and
// the descriptors must all be given back.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { opts, net, observed, freePort, bound } = require('./common');
const { fdCount, waitFor } = require('../lib/util');

bound(60000);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-refused-'));
  const plainFile = path.join(dir, 'not-a-socket');
  fs.writeFileSync(plainFile, '');
  const port4 = await freePort('127.0.0.1');
  const port6 = await freePort('::1');
  const kinds = [
    ['tcp4', { port: port4, host: '127.0.0.1' }],
    ['tcp6', { port: port6, host: '::1' }],
    ['localhost', { port: port4, host: 'localhost' }],
    ['unix-missing', { path: path.join(dir, 'missing.sock') }],
    ['unix-file', { path: plainFile }],
  ];
  const attempt = (options) => new Promise((resolve) => {
    const socket = net.connect(options);
    let error = null;
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.destroy();
    });
    socket.on('error', (err) => {
      error = err;
    });
    socket.on('close', (hadError) => resolve({ error, connected, hadError }));
  });
  // One of each first, so that the runtime and DNS are warm before counting descriptors.
  for (const [, options] of kinds) await attempt(options);
  const fdsBefore = fdCount();
  observed.shapes = {};
  observed.failures = 0;
  observed.unexpected = [];
  for (let i = 0; i < opts.count; i++) {
    const [kind, options] = kinds[i % kinds.length];
    const { error, connected, hadError } = await attempt(options);
    if (error) observed.failures++;
    if (connected || !error || !hadError) observed.unexpected.push({ kind, connected, hadError, error: !!error });
    if (!observed.shapes[kind] && error) {
      const e = error;
      observed.shapes[kind] = {
        name: e.name, code: e.code, errno: e.errno, syscall: e.syscall,
        address: e.address === undefined ? undefined : e.address.replace(dir, '<dir>'),
        port: e.port === port4 || e.port === port6 ? '<port>' : e.port,
        inner: Array.isArray(e.errors) ? e.errors.map((x) => `${x.code} ${x.syscall} ${x.address}`) : undefined,
      };
    }
  }
  observed.attempts = opts.count;
  observed.fdsBefore = fdsBefore;
  // rsnet closes a descriptor on its I/O thread, which may trail the 'close' event a little.
  await waitFor(() => fdCount() <= fdsBefore, 2000);
  observed.fdsAfter = fdCount();
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
