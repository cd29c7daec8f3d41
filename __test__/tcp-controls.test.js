'use strict';

// rsnet.tcpInfo(), setTcpOptions() and getTcpOptions(): TCP controls beyond Node's net (and
// when net's own setNoDelay() and setKeepAlive() reach the handle).
// Each runs on sockets of both implementations (Node's net through `_handle.fd`), on the
// client and on the accepted side, and is checked against the kernel's own figures: the
// sysctl defaults, the bytes of a known transfer, and, in a private network namespace,
// a connection whose peer's packets are dropped.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  IMPLEMENTATIONS, caught, delay, describeRun, errorShape, listening, next, rsnet, run, runNode, sideBySide, testScope,
  tmpDir, tmpPath,
} = require('./helpers');

const T = { timeout: 15000 };

function sysctl(name) {
  return fs.readFileSync(`/proc/sys/net/ipv4/${name}`, 'latin1').trim();
}

// A connected pair on `net`: the client and the server's side of it.
async function pair(run) {
  let accepted;
  const server = await run.listen({ net: run.net }, (socket) => {
    accepted = socket;
  });
  const client = run.track(run.net.connect(server.address().port, '127.0.0.1'));
  await next(client, 'connect');
  while (accepted === undefined) await new Promise((resolve) => setImmediate(resolve));
  return { client, accepted };
}

// What fn() threw, as the fields a caller can match on.
function thrown(fn, what = 'the call') {
  const { ctor, code, errno, syscall, message } = errorShape(caught(fn, what));
  return { ctor, code, errno, syscall, message };
}

const OPTIONS_A = {
  userTimeout: 1500,
  keepAlive: true,
  keepAliveIdle: 5000,
  keepAliveInterval: 2000,
  keepAliveCount: 4,
  noDelay: true,
  quickAck: true,
  congestion: 'reno',
  notSentLowat: 16384,
  linger: 0,
};

test('getTcpOptions() reads the kernel defaults in milliseconds, on both implementations', T, async () => {
  const expected = {
    userTimeout: 0,
    keepAlive: false,
    keepAliveIdle: Number(sysctl('tcp_keepalive_time')) * 1000,
    keepAliveInterval: Number(sysctl('tcp_keepalive_intvl')) * 1000,
    keepAliveCount: Number(sysctl('tcp_keepalive_probes')),
    noDelay: false,
    quickAck: true,
    congestion: sysctl('tcp_congestion_control'),
    notSentLowat: 0,
    linger: null,
  };
  const { node, rsnet: rs } = await sideBySide(async (run) => {
    const { client, accepted } = await pair(run);
    return { client: rsnet.getTcpOptions(client), accepted: rsnet.getTcpOptions(accepted) };
  });
  assert.deepEqual(node, { client: expected, accepted: expected });
  assert.deepEqual(rs, node);
});

test('every option set reads back the same, on client and accepted sockets of both', T, async () => {
  const optionsB = {
    userTimeout: 0,
    keepAlive: false,
    keepAliveIdle: 60000,
    keepAliveInterval: 1000,
    keepAliveCount: 127,
    noDelay: false,
    quickAck: false,
    congestion: sysctl('tcp_congestion_control'),
    notSentLowat: 1,
    linger: 3000,
  };
  const { node, rsnet: rs } = await sideBySide(async (run) => {
    const { client, accepted } = await pair(run);
    const seen = {};
    for (const [name, socket] of [['client', client], ['accepted', accepted]]) {
      assert.equal(rsnet.setTcpOptions(socket, OPTIONS_A), undefined);
      seen[`${name}A`] = rsnet.getTcpOptions(socket);
      rsnet.setTcpOptions(socket, optionsB);
      seen[`${name}B`] = rsnet.getTcpOptions(socket);
      // One option at a time leaves the others as they were; null turns linger off.
      rsnet.setTcpOptions(socket, { linger: null, userTimeout: 250 });
      seen[`${name}C`] = rsnet.getTcpOptions(socket);
    }
    return seen;
  });
  const optionsC = { ...optionsB, linger: null, userTimeout: 250 };
  assert.deepEqual(node, {
    clientA: OPTIONS_A, clientB: optionsB, clientC: optionsC,
    acceptedA: OPTIONS_A, acceptedB: optionsB, acceptedC: optionsC,
  });
  assert.deepEqual(rs, node);
});

test('net\'s setKeepAlive() and setNoDelay() leave the same kernel state on both', T, async () => {
  const { node, rsnet: rs } = await sideBySide(async (run) => {
    const { client } = await pair(run);
    client.setKeepAlive(true, 5000);
    client.setNoDelay(true);
    const on = rsnet.getTcpOptions(client);
    client.setKeepAlive(false);
    client.setNoDelay(false);
    const off = rsnet.getTcpOptions(client);
    return { on, off };
  });
  // libuv probes every second, ten times, once an idle time is given.
  assert.equal(node.on.keepAlive, true);
  assert.equal(node.on.keepAliveIdle, 5000);
  assert.equal(node.on.keepAliveInterval, 1000);
  assert.equal(node.on.keepAliveCount, 10);
  assert.equal(node.on.noDelay, true);
  assert.equal(node.off.keepAlive, false);
  assert.equal(node.off.noDelay, false);
  assert.deepEqual(rs, node);
});

test('tcpInfo() counts a known transfer on both implementations', T, async () => {
  const size = 1 << 20;
  for (const [name, net] of IMPLEMENTATIONS) {
    const results = await sideBySide(async (run) => {
      let accepted;
      const server = await run.listen({ net }, (socket) => {
        accepted = socket;
        let got = 0;
        socket.on('data', (chunk) => {
          got += chunk.length;
          // The reply leaves after the last byte came, so it acknowledges all of them.
          if (got === size) socket.write('k');
        });
      });
      const client = run.track(run.net.connect(server.address().port, '127.0.0.1'));
      await next(client, 'connect');
      client.write(Buffer.alloc(size, 7));
      await next(client, 'data');
      return { client: rsnet.tcpInfo(client), accepted: rsnet.tcpInfo(accepted) };
    });
    for (const [side, { client, accepted }] of Object.entries(results)) {
      const what = `${side} client, ${name} server`;
      assert.equal(client.state, 'ESTABLISHED', what);
      assert.equal(accepted.state, 'ESTABLISHED', what);
      assert.ok(client.rtt > 0, `${what}: rtt ${client.rtt}`);
      assert.ok(client.bytesAcked >= size, `${what}: bytesAcked ${client.bytesAcked}`);
      assert.ok(client.bytesSent >= size, `${what}: bytesSent ${client.bytesSent}`);
      assert.ok(accepted.bytesReceived >= size, `${what}: bytesReceived ${accepted.bytesReceived}`);
      assert.ok(accepted.bytesAcked >= 1, `${what}: reply acked`);
      assert.ok(client.bytesReceived >= 1, `${what}: reply received`);
      for (const key of ['rttVar', 'rto', 'cwnd', 'ssthresh', 'pmtu', 'retransmits', 'totalRetransmits',
        'lost', 'bytesRetrans', 'deliveryRate', 'minRtt', 'busyTime', 'rwndLimited', 'sndbufLimited']) {
        assert.equal(typeof client[key], 'number', `${what}: ${key}`);
      }
      assert.ok(client.rto >= 200000, `${what}: rto in microseconds, ${client.rto}`);
      assert.equal(Object.getPrototypeOf(client), Object.prototype);
    }
  }
});

test('tcpInfo() still reports a connection that ended, until the socket is destroyed', T, async () => {
  const size = 256 << 10;
  const { node, rsnet: rs } = await sideBySide(async (run) => {
    const server = await run.listen({ net: run.net }, (socket) => socket.pipe(socket));
    const client = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    await next(client, 'connect');
    // Read in 'end' itself: the socket is destroyed right after it.
    const ended = new Promise((resolve) => client.on('end', () => resolve(rsnet.tcpInfo(client))));
    client.end(Buffer.alloc(size, 1));
    client.resume();
    const info = await ended;
    return { state: info.state, acked: info.bytesAcked >= size, received: info.bytesReceived >= size };
  });
  assert.ok(['CLOSE', 'TIME_WAIT', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'LAST_ACK'].includes(node.state), node.state);
  assert.deepEqual({ ...node, state: undefined }, { acked: true, received: true, state: undefined });
  assert.deepEqual({ ...rs, state: undefined }, { ...node, state: undefined });
});

test('bad arguments throw as Node\'s validators do and set nothing', T, async () => {
  const { node, rsnet: rs } = await sideBySide(async (run) => {
    const { client } = await pair(run);
    rsnet.setTcpOptions(client, OPTIONS_A);
    const before = rsnet.getTcpOptions(client);
    const bad = [
      undefined, null, 1, 'x', [],
      { userTimeout: -1 }, { userTimeout: NaN }, { userTimeout: 1.5 }, { userTimeout: '1' },
      { userTimeout: 2 ** 31 }, { keepAlive: 1 }, { keepAliveIdle: 1500 }, { keepAliveIdle: 0 },
      { keepAliveIdle: 32768000 }, { keepAliveInterval: -1000 }, { keepAliveCount: 0 },
      { keepAliveCount: 128 }, { noDelay: 'yes' }, { quickAck: null }, { congestion: 'no-such-cc' },
      { congestion: '' }, { congestion: 'renorenorenoreno' }, { congestion: 'reno\0' },
      { congestion: 1 }, { notSentLowat: -1 }, { notSentLowat: 2 ** 32 }, { linger: -1000 },
      { linger: 500 }, { linger: false }, { bogus: 1 }, { nodelay: true },
      // A good option next to a bad one: the good one is not set either.
      { noDelay: false, keepAlive: false, userTimeout: 0, congestion: sysctl('tcp_congestion_control'), linger: null,
        keepAliveCount: -1 },
      { noDelay: false, quickAck: false, congestion: 'no-such-cc' },
    ];
    const errors = bad.map((options) => thrown(() => rsnet.setTcpOptions(client, options)));
    // undefined values count as not given.
    rsnet.setTcpOptions(client, { userTimeout: undefined, linger: undefined });
    return { errors, unchanged: rsnet.getTcpOptions(client), before };
  });
  assert.deepEqual(node.unchanged, node.before);
  assert.deepEqual(node.before, OPTIONS_A);
  const codes = node.errors.map((e) => e.code);
  assert.deepEqual(codes, [
    'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE',
    'ERR_INVALID_ARG_TYPE',
    'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE',
    'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE',
    'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE',
    'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE',
    'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE',
    'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE',
    'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_VALUE',
    'ERR_OUT_OF_RANGE',
    'ERR_INVALID_ARG_VALUE',
  ]);
  const byCode = { ERR_INVALID_ARG_TYPE: 'TypeError', ERR_INVALID_ARG_VALUE: 'TypeError', ERR_OUT_OF_RANGE: 'RangeError' };
  for (const err of node.errors) assert.equal(err.ctor, byCode[err.code], err.message);
  assert.equal(node.errors[0].message,
    'The "options" argument must be of type object. Received undefined');
  assert.equal(node.errors[5].message,
    'The value of "options.userTimeout" is out of range. It must be >= 0 && <= 2147483647. Received -1');
  assert.equal(node.errors[6].message,
    'The value of "options.userTimeout" is out of range. It must be an integer. Received NaN');
  assert.equal(node.errors[11].message, 'The property \'options.keepAliveIdle\' must be a multiple ' +
    'of 1000 (the kernel counts whole seconds). Received 1500');
  assert.match(node.errors[19].message, new RegExp('^The property \'options\\.congestion\' must be a ' +
    'congestion control algorithm of this kernel \\(.*reno.*\\)\\. Received \'no-such-cc\'$'));
  assert.equal(node.errors[29].message, 'The property \'options.bogus\' is not a TCP option. Received 1');
  assert.deepEqual(rs, node);
});

test('a socket that is not a connected TCP socket gives a clear error', T, async () => {
  const { node, rsnet: rs } = await sideBySide(async (run) => {
    const seen = {};
    const calls = {
      tcpInfo: (s) => rsnet.tcpInfo(s),
      getTcpOptions: (s) => rsnet.getTcpOptions(s),
      setTcpOptions: (s) => rsnet.setTcpOptions(s, { noDelay: true }),
    };
    const server = await run.listen({ net: run.net });
    const unixPath = tmpPath('tcp-controls');
    await run.listen({ net: run.net, path: unixPath });
    const unix = run.track(run.net.connect(unixPath));
    await next(unix, 'connect');
    const fresh = new run.net.Socket();
    const { client: destroyed } = await pair(run);
    destroyed.destroy();
    const connecting = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const targets = { unix, connecting, fresh, destroyed, server, number: 3, none: undefined };
    for (const [what, target] of Object.entries(targets)) {
      for (const [name, call] of Object.entries(calls)) {
        seen[`${what} ${name}`] = thrown(() => call(target), `${what} ${name}`);
      }
    }
    await next(connecting, 'connect');
    return seen;
  });
  const expect = {
    unix: { ctor: 'TypeError', code: 'ERR_INVALID_FD_TYPE', message: 'Unsupported fd type: PIPE' },
    connecting: { ctor: 'Error', code: 'ENOTCONN', errno: -107, message: 'SYSCALL ENOTCONN', syscall: 'SYSCALL' },
    fresh: { ctor: 'Error', code: 'ENOTCONN', errno: -107, message: 'SYSCALL ENOTCONN', syscall: 'SYSCALL' },
    destroyed: { ctor: 'Error', code: 'ERR_SOCKET_CLOSED', message: 'Socket is closed' },
    server: {
      ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "socket" argument must be an instance of Socket. Received an instance of Server',
    },
    number: {
      ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "socket" argument must be an instance of Socket. Received type number (3)',
    },
    none: {
      ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "socket" argument must be an instance of Socket. Received undefined',
    },
  };
  for (const [what, shape] of Object.entries(expect)) {
    for (const name of ['tcpInfo', 'getTcpOptions', 'setTcpOptions']) {
      const syscall = name === 'setTcpOptions' ? 'setsockopt' : 'getsockopt';
      const want = JSON.parse(JSON.stringify(shape).replaceAll('SYSCALL', syscall));
      const got = Object.fromEntries(Object.entries(node[`${what} ${name}`]).filter(([, v]) => v !== undefined));
      assert.deepEqual(got, want, `${what} ${name}`);
    }
  }
  assert.deepEqual(rs, node);
});

// net's own setNoDelay() and setKeepAlive(), and the server's noDelay and keepAlive
// options, reach the handle exactly when net's do.
test('server noDelay/keepAlive and socket setNoDelay/setKeepAlive call the handle only when net does', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    // The handle class, from a connected socket, with its two methods watched.
    const { client: probe } = await pair(run);
    const proto = Object.getPrototypeOf(probe._handle);
    probe.destroy();
    const calls = [];
    const saved = {};
    for (const name of ['setNoDelay', 'setKeepAlive']) {
      saved[name] = proto[name];
      proto[name] = function watched(...args) {
        calls.push(`${name}(${args.slice(0, 2).join(',')})`);
        return saved[name].apply(this, args);
      };
    }
    try {
      const scenarios = [
        [{ noDelay: true, keepAlive: true, keepAliveInitialDelay: 3500 }, (s) => {
          s.setNoDelay(true);
          s.setKeepAlive(true, 3500);
          s.setKeepAlive(true, 7000);
          s.setNoDelay(false);
          s.setKeepAlive(false, 1000);
        }],
        [{}, (s) => {
          s.setNoDelay(false);
          s.setKeepAlive(false);
          s.setNoDelay();
          s.setKeepAlive(true, 1000);
          s.setKeepAlive(1, 1999);
        }],
      ];
      for (const [options, use] of scenarios) {
        calls.push('--');
        const server = await run.listen({ net: run.net, ...options }, (socket) => {
          calls.push('connection');
          use(socket);
          socket.end();
        });
        const client = run.track(run.peer.connect(server.address().port, '127.0.0.1'));
        client.resume();
        await next(client, 'close');
      }
      calls.push('-- client');
      const server = await run.listen();
      const client = run.track(run.net.connect({
        port: server.address().port, host: '127.0.0.1', noDelay: true, keepAlive: true, keepAliveInitialDelay: 2000,
      }));
      await next(client, 'connect');
      calls.push('connect');
      client.setNoDelay(true);
      client.setKeepAlive(true, 2000);
      client.setKeepAlive(true);
      client.destroy();
    } finally {
      Object.assign(proto, saved);
    }
    return calls;
  });
  assert.deepEqual(node, [
    '--', 'setNoDelay(true)', 'setKeepAlive(true,3)', 'connection', 'setKeepAlive(true,7)',
    'setNoDelay(false)', 'setKeepAlive(false,1)',
    '--', 'connection', 'setNoDelay(true)', 'setKeepAlive(true,1)',
    '-- client', 'setNoDelay(true)', 'setKeepAlive(true,2)', 'connect', 'setKeepAlive(true,0)',
  ]);
  assert.deepEqual(ours, node);
});

// The kernel's time to give up on unacknowledged data without a user timeout
// (tcp_model_timeout in net/ipv4/tcp_timer.c): the RTO doubles from 200 ms up to the
// maximum, then stays there, for tcp_retries2 retransmissions.
function kernelDefaultMs({ tcpRetries2, tcpRtoMaxMs = 120000 }) {
  const base = 200;
  const thresh = Math.floor(Math.log2(tcpRtoMaxMs / base));
  if (tcpRetries2 <= thresh) return ((2 << tcpRetries2) - 1) * base;
  return ((2 << thresh) - 1) * base + (tcpRetries2 - thresh) * tcpRtoMaxMs;
}

test('index.d.ts types the TCP controls: typed calls compile (strict), wrong ones fail', { timeout: 60000 }, async () => {
  const root = path.join(__dirname, '..');
  const dir = tmpDir('tcp-types');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'rsnet'), 'dir');
  const file = 'tcp-controls-types.ts';
  fs.copyFileSync(path.join(__dirname, 'fixtures', file), path.join(dir, file));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022'], module: 'node16',
      moduleResolution: 'node16', types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files: [file],
  }));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const { stdout } = await runNode([tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, timeout: 50000 });
  const lines = stdout.split('\n').map((l) => /^(\S+)\((\d+),\d+\): error TS\d+/.exec(l)).filter(Boolean);
  assert.ok(lines.every(([, f]) => f === file), stdout);
  const source = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
  const marked = source.map((l, i) => (l.includes('// wrong:') ? i + 1 : 0)).filter(Boolean);
  assert.equal(marked.length, 7);
  assert.deepEqual([...new Set(lines.map(([, , line]) => Number(line)))], marked, stdout);
});

// Runs `args` in a private user and network namespace: { ok, stdout, stderr, out }.
async function runInNamespace(args) {
  const out = await run('unshare', ['-rn', ...args], { timeout: 20000 })
    .catch((err) => ({ code: null, stdout: '', stderr: err.message }));
  return { ok: out.code === 0, stdout: out.stdout, stderr: out.stderr, out };
}

test('userTimeout: a write the peer never acknowledges fails with ETIMEDOUT, long before the kernel default', T, async (t) => {
  // A private user and network namespace of our own; skip where the system forbids them.
  const probe = await runInNamespace(['ip', 'link', 'set', 'lo', 'up']);
  if (!probe.ok) {
    const reason = `no private network namespace (unshare -rn, ip): ${String(probe.stderr || `exit ${probe.out.code}`).trim()}`;
    t.skip(reason);
    return;
  }
  const userTimeout = 1000;
  const controlWait = 4000;
  const fixture = path.join(__dirname, 'fixtures', 'tcp-blackhole.js');
  const { ok, stdout, out } = await runInNamespace([process.execPath, fixture, String(userTimeout),
    String(controlWait)]);
  assert.ok(ok, describeRun('tcp-blackhole.js', out));
  const result = JSON.parse(stdout);
  if (result.skip) {
    t.skip(result.skip);
    return;
  }
  const defaultMs = kernelDefaultMs(result.kernel);
  for (const side of ['net', 'rsnet']) {
    const { elapsed, error } = result[side];
    assert.ok(error, `${side}: no error within ${controlWait} ms`);
    assert.equal(error.code, 'ETIMEDOUT', side);
    assert.equal(error.errno, -110, side);
    assert.ok(elapsed >= userTimeout * 0.9 && elapsed < userTimeout + 2000,
      `${side}: ETIMEDOUT after ${elapsed} ms for a userTimeout of ${userTimeout} ms`);
  }
  assert.deepEqual(result.rsnet.error, result.net.error);
  // Without it the kernel keeps retransmitting, backing off, for far longer.
  const { control } = result;
  assert.ok(control.open, `the default connection failed after ${control.elapsed} ms`);
  assert.ok(control.info.retransmits >= 2, `retransmits ${control.info.retransmits}`);
  assert.ok(control.info.totalRetransmits >= control.info.retransmits);
  assert.ok(control.info.rto > 200000 * 2, `rto ${control.info.rto} us: backing off`);
  assert.ok(control.info.bytesRetrans > 0);
  assert.ok(defaultMs > 100 * userTimeout, `kernel default ${defaultMs} ms`);
  t.diagnostic(`userTimeout ${userTimeout} ms: ETIMEDOUT after ${result.net.elapsed} ms (net), ` +
    `${result.rsnet.elapsed} ms (rsnet), syscall ${result.rsnet.error.syscall}; without: still open after ` +
    `${control.elapsed} ms with ${control.info.retransmits} retransmissions and rto ${control.info.rto / 1000} ms; ` +
    `kernel default (tcp_retries2 ${result.kernel.tcpRetries2}) ${defaultMs / 1000} s`);
});

test('linger: a lingering close waits off the I/O thread; other sockets go on meanwhile', T, async (t) => {
  const scope = testScope(t);
  // A peer that reads nothing, so that the client's close has unsent data to linger on.
  const stalled = scope.server(rsnet, (socket) => socket.pause());
  await listening(stalled, 0, '127.0.0.1');
  const client = scope.track(rsnet.connect(stalled.address().port, '127.0.0.1'));
  await next(client, 'connect');
  rsnet.setTcpOptions(client, { linger: 3000 });
  const chunk = Buffer.alloc(1 << 20);
  while (client.write(chunk));
  await delay(50);
  const echo = scope.server(rsnet, (socket) => socket.pipe(socket));
  await listening(echo, 0, '127.0.0.1');
  const other = scope.track(rsnet.connect(echo.address().port, '127.0.0.1'));
  await next(other, 'connect');
  const started = Date.now();
  client.destroy();
  other.write('ping');
  const [data] = await next(other, 'data');
  const ms = Date.now() - started;
  t.diagnostic(`echo answered ${ms} ms after the lingering close began`);
  assert.equal(String(data), 'ping');
  assert.ok(ms < 2000, `the echo waited ${ms} ms: the close blocked the I/O thread for its linger time`);
});
