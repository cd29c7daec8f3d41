'use strict';

// Errors: lib/errors.js and lib/validators.js must throw what Node's own net throws.
// Each case provokes the error in Node (the expected value) and builds it with
// our modules (the actual value), then compares everything a user can see. Errors
// that Node's own streams and dns raise for rsnet too are provoked on both.
// The last section meets the errors of connections (refused, reset, a peer gone) side by
// side with net: the events on each socket, in order, with the errors' fields.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const net = require('node:net');
// The same, where a scenario's own `net` is the implementation it runs on.
const nodeNet = net;
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { inspect } = require('node:util');

const {
  codes,
  errnoException,
  exceptionWithHostPort,
  uvExceptionWithHostPort,
  aggregateError,
} = require('../lib/errors');
const validators = require('../lib/validators');
const line = require('../lib/node-line');
const {
  caught, closed, delay, errorShape, freePort, listening, names, recordEvents, rsnet, runNodeSync, sameOnBoth,
  startServer, testScope, tmpDir,
} = require('./helpers');

const ERRNO = os.constants.errno;
const TIMEOUT = { timeout: 5000 };

// What a user can observe of an error, in full (the child process below describes Node's
// internal errors the same way).
function shape(err) {
  return errorShape(err, null, { detail: true });
}

function assertSame(actual, expected) {
  assert.deepStrictEqual(shape(actual), shape(expected));
}

// The arguments a socket.write('x') callback gets.
function writeResult(socket) {
  return new Promise((resolve) => socket.write('x', (...args) => resolve(args)));
}

// Node builds these the same way whatever the value; setTimeout() shows how it
// prints a received value of the wrong type, or an out-of-range number.
const received = [
  'abc', '', 'a'.repeat(28), 'a'.repeat(29), "it's", 'line\nbreak', "'".repeat(30),
  Symbol('s'), 10n, true, null, undefined, function named() {}, () => {}, class Foo {},
  {}, [], new Map(), Object.create(null), new (class Bar {})(), Buffer.alloc(1),
  new String('s'), -1, -0.5, -1e10, Infinity, -Infinity, NaN,
];

for (const value of received) {
  test(`socket.setTimeout(${inspect(value).slice(0, 20)})`, TIMEOUT, () => {
    assertSame(caught(() => validators.getTimerDuration(value, 'msecs')),
      caught(() => new net.Socket().setTimeout(value)));
  });
}

const ours = (Code, ...args) => () => { throw new codes[Code](...args); };

// [label, what Node's public API throws, what our modules throw]
const syncCases = [
  ['connect port string', () => net.connect({ port: 'x' }), () => validators.validatePort('x')],
  ['connect port -1', () => net.connect({ port: -1 }), () => validators.validatePort(-1)],
  ['connect port 1.5', () => net.connect({ port: 1.5 }), () => validators.validatePort(1.5)],
  ['connect port 65536', () => net.connect({ port: 65536 }),
    () => validators.validatePort(65536)],
  ['connect port blank', () => net.connect({ port: ' ' }), () => validators.validatePort(' ')],
  ['connect port empty', () => net.connect({ port: '' }), () => validators.validatePort('')],
  ['connect port NaN', () => net.connect({ port: NaN }), () => validators.validatePort(NaN)],
  ['connect port 80abc', () => net.connect({ port: '80abc' }),
    () => validators.validatePort('80abc')],
  ['connect port long string', () => net.connect({ port: 'p'.repeat(40) }),
    () => validators.validatePort('p'.repeat(40))],
  ['connect port true', () => net.connect({ port: true }),
    ours('ERR_INVALID_ARG_TYPE', 'options.port', ['number', 'string'], true)],
  ['connect port null', () => net.connect({ port: null }),
    ours('ERR_INVALID_ARG_TYPE', 'options.port', ['number', 'string'], null)],
  ['connect port object', () => net.connect({ port: {} }),
    ours('ERR_INVALID_ARG_TYPE', 'options.port', ['number', 'string'], {})],
  ['connect port bigint', () => net.connect({ port: 10n }),
    ours('ERR_INVALID_ARG_TYPE', 'options.port', ['number', 'string'], 10n)],
  ['connect()', () => net.connect(), ours('ERR_MISSING_ARGS', ['options', 'port', 'path'])],
  ['listen port 70000', () => net.createServer().listen({ port: 70000 }),
    () => validators.validatePort(70000, 'options.port')],
  ['listen port -1', () => net.createServer().listen(-1),
    () => validators.validatePort(-1, 'options.port')],
  ['listen {}', () => net.createServer().listen({}),
    ours('ERR_INVALID_ARG_VALUE', 'options', {}, 'must have the property "port" or "path"')],
  ['listen port true', () => net.createServer().listen({ port: true }),
    ours('ERR_INVALID_ARG_VALUE', 'options', { port: true })],
  // Long inspected values are cut at 128 characters.
  ['listen long options', () => net.createServer().listen({ port: true, host: 'h'.repeat(200) }),
    ours('ERR_INVALID_ARG_VALUE', 'options', { port: true, host: 'h'.repeat(200) })],
  ['listen signal', () => net.createServer().listen({ port: 0, signal: 1 }),
    () => validators.validateAbortSignal(1, 'options.signal')],
  ['setTimeout callback', () => new net.Socket().setTimeout(1, 'x'),
    () => validators.validateFunction('x', 'callback')],
  // Node 22 checks the host itself; Node 20 left it to dns.lookup.
  ['connect host number', () => net.connect({ host: 1, port: 80 }),
    () => validators.validateString(1, line.validatesConnectHost ? 'options.host' : 'hostname')],
  ['connect localAddress', () => net.connect({ localAddress: 'nope', port: 80 }),
    ours('ERR_INVALID_IP_ADDRESS', 'nope')],
  ['connect localPort string', () => net.connect({ localPort: 'x', port: 80 }),
    () => validators.validateNumber('x', 'options.localPort')],
  // dns.lookup checks the family, for net and for rsnet.
  ['connect family 5', () => net.connect({ family: 5, port: 80 }),
    () => rsnet.connect({ family: 5, port: 80 })],
  ['connect family string', () => net.connect({ family: 'x', port: 80 }),
    () => rsnet.connect({ family: 'x', port: 80 })],
  ['connect lookup', () => net.connect({ lookup: 1, port: 80 }),
    () => validators.validateFunction(1, 'options.lookup')],
  ['connect signal', () => net.connect({ port: 80, signal: 1 }),
    () => validators.validateAbortSignal(1, 'signal')],
  ['connect keepAliveInitialDelay', () => net.connect({ port: 80, keepAliveInitialDelay: 'x' }),
    () => validators.validateNumber('x', 'options.keepAliveInitialDelay')],
  ['connect attempt timeout 0', () => net.connect({ port: 80, autoSelectFamilyAttemptTimeout: 0 }),
    () => validators.validateInt32(0, 'options.autoSelectFamilyAttemptTimeout', 1)],
  // Big numbers are printed with separators: 10_000_000_000.
  ['connect attempt timeout 1e10',
    () => net.connect({ port: 80, autoSelectFamilyAttemptTimeout: 1e10 }),
    () => validators.validateInt32(1e10, 'options.autoSelectFamilyAttemptTimeout', 1)],
  ['connect attempt timeout 1.5',
    () => net.connect({ port: 80, autoSelectFamilyAttemptTimeout: 1.5 }),
    () => validators.validateInt32(1.5, 'options.autoSelectFamilyAttemptTimeout', 1)],
  ['setDefaultAutoSelectFamily', () => net.setDefaultAutoSelectFamily('x'),
    () => validators.validateBoolean('x', 'value')],
  ['Socket fd -1', () => new net.Socket({ fd: -1 }), () => validators.validateInt32(-1, 'fd', 0)],
  ['Socket fd string', () => new net.Socket({ fd: 'x' }),
    () => validators.validateInt32('x', 'fd', 0)],
  ['createServer(1)', () => net.createServer(1), () => validators.validateObject(1, 'options')],
  ['socket.write(1)', () => new net.Socket().on('error', () => {}).write(1),
    ours('ERR_INVALID_ARG_TYPE', 'chunk', ['string', 'Buffer', 'TypedArray', 'DataView'], 1)],
  // Not net, but the public way to see how Node prints a bigint out of range.
  ['bigint out of range', () => Buffer.alloc(8).writeBigInt64LE(2n ** 63n),
    ours('ERR_OUT_OF_RANGE', 'value', '>= -(2n ** 63n) and < 2n ** 63n', 2n ** 63n)],
];

for (const [label, node, mine] of syncCases) {
  test(label, TIMEOUT, () => assertSame(caught(mine), caught(node)));
}

test('validatePort accepts what net.connect accepts', TIMEOUT, () => {
  const accepted = [['80', 80], ['  80 ', 80], ['0x50', 80], ['1e1', 10], ['-0', 0], [0, 0],
    [65535, 65535], ['65535.0', 65535]];
  for (const [port, number] of accepted) {
    // A lookup that never answers: nothing is dialled.
    net.connect({ port, host: 'example.invalid', lookup: () => {} }).destroy();
    assert.strictEqual(validators.validatePort(port), number);
  }
});

test('ERR_INVALID_FD_TYPE for a file descriptor', TIMEOUT, () => {
  const fd = fs.openSync(__filename, 'r');
  try {
    assertSame(new codes.ERR_INVALID_FD_TYPE('FILE'), caught(() => new net.Socket({ fd })));
  } finally {
    fs.closeSync(fd);
  }
});

// Errors net only raises in states that are hard to reach from outside are
// compared with Node's internal error classes, built in a child process from
// the same source text.
test('codes match Node internal errors', TIMEOUT, () => {
  const cases = [
    (c) => new c.ERR_INVALID_ARG_TYPE('x', ['object', 'Buffer'], new Map()),
    (c) => new c.ERR_INVALID_ARG_TYPE('x', ['string', 'null'], function f() {}),
    (c) => new c.ERR_INVALID_ARG_TYPE('x', ['a', 'b', 'c'], Object.create(null)),
    (c) => new c.ERR_INVALID_ARG_TYPE('first argument', 'Foo bar', [1]),
    (c) => new c.ERR_INVALID_ARG_TYPE('x', ['Buffer', 'an integer'], new (class {})()),
    (c) => new c.ERR_OUT_OF_RANGE('x', '>= 0', 2 ** 32),
    (c) => new c.ERR_OUT_OF_RANGE('x', '>= 0', -(2n ** 40n)),
    (c) => new c.ERR_OUT_OF_RANGE('x', '>= 0', 1e21),
    (c) => new c.ERR_MISSING_ARGS('a', 'b', 'c'),
    (c) => new c.ERR_MISSING_ARGS(['a', 'b'], 'c'),
    (c) => new c.ERR_SOCKET_BAD_PORT('Port', -1),
    (c) => new c.ERR_INVALID_ADDRESS_FAMILY('IPv5', '::1', 80),
    (c) => new c.ERR_INVALID_HANDLE_TYPE(),
    (c) => new c.ERR_SOCKET_CLOSED_BEFORE_CONNECTION(),
    (c) => new c.ERR_SOCKET_CONNECTION_TIMEOUT(),
  ];
  const script = `
    const { codes } = require('internal/errors');
    const { errorShape } = require(${JSON.stringify(require.resolve('./helpers/error-shape'))});
    const shape = (err) => errorShape(err, null, { detail: true });
    const cases = [${cases.join(',\n')}];
    console.log(JSON.stringify(cases.map((build) => shape(build(codes)))));
  `;
  const child = runNodeSync(['--expose-internals', '-e', script], { timeout: 4000 });
  assert.strictEqual(child.code, 0, child.stderr);
  // Through JSON, as the child's answer came.
  const actual = cases.map((build) => JSON.parse(JSON.stringify(shape(build(codes)))));
  assert.deepStrictEqual(actual, JSON.parse(child.stdout));
});

test('server state errors', TIMEOUT, async () => {
  const server = net.createServer();
  const [notRunning] = await new Promise((resolve) => server.close((...args) => resolve(args)));
  assertSame(new codes.ERR_SERVER_NOT_RUNNING(), notRunning);

  await listening(server, 0, '127.0.0.1');
  try {
    assertSame(new codes.ERR_SERVER_ALREADY_LISTEN(), caught(() => server.listen(0)));
  } finally {
    server.close();
  }
});

// What socket.write('x') calls back with after end(), and after destroy(), on `impl`.
async function writesAfterEndAndDestroy(impl, port) {
  const ended = impl.connect(port, '127.0.0.1').on('error', () => {});
  await once(ended, 'connect');
  ended.end();
  const [afterEnd] = await writeResult(ended);
  ended.destroy();

  const destroyed = impl.connect(port, '127.0.0.1').on('error', () => {});
  await once(destroyed, 'connect');
  destroyed.destroy();
  const [afterDestroy] = await writeResult(destroyed);
  return { afterEnd, afterDestroy };
}

test('stream state errors', TIMEOUT, async () => {
  const server = net.createServer((socket) => socket.on('error', () => {}).resume());
  const { port } = await listening(server, 0, '127.0.0.1');
  try {
    // Node's streams raise these, for net's sockets and rsnet's alike.
    const expected = await writesAfterEndAndDestroy(net, port);
    const actual = await writesAfterEndAndDestroy(rsnet, port);
    assert.strictEqual(expected.afterEnd.code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.strictEqual(expected.afterDestroy.code, 'ERR_STREAM_DESTROYED');
    assertSame(actual.afterEnd, expected.afterEnd);
    assertSame(actual.afterDestroy, expected.afterDestroy);

    // Writing to a socket that never connected.
    const unconnected = new net.Socket().on('error', () => {});
    const [closed] = await writeResult(unconnected);
    assertSame(new codes.ERR_SOCKET_CLOSED(), closed);
    unconnected.destroy();

    // A lookup that answers with an impossible family.
    const badFamily = net.connect({
      port,
      host: 'example.invalid',
      lookup: (host, opts, cb) => (opts.all ? cb(null, [{ address: '127.0.0.1', family: 5 }])
        : cb(null, '127.0.0.1', 5)),
    });
    const [familyErr] = await once(badFamily, 'error');
    assertSame(new codes.ERR_INVALID_ADDRESS_FAMILY(5, 'example.invalid', port), familyErr);
  } finally {
    server.close();
  }
});

test('AbortError of a socket aborted by its signal, as net\'s', TIMEOUT, async () => {
  const controller = new AbortController();
  controller.abort();
  const port = await freePort();
  const [expected] = await once(net.connect({ port, host: '127.0.0.1', signal: controller.signal }), 'error');
  const [actual] = await once(rsnet.connect({ port, host: '127.0.0.1', signal: controller.signal }), 'error');
  assert.strictEqual(expected.name, 'AbortError');
  assertSame(actual, expected);
  assert.strictEqual(actual.cause, controller.signal.reason);
});

test('exceptionWithHostPort matches a refused connection', TIMEOUT, async () => {
  const port = await freePort();
  const [err] = await once(net.connect(port, '127.0.0.1'), 'error');
  assertSame(exceptionWithHostPort(-ERRNO.ECONNREFUSED, 'connect', '127.0.0.1', port), err);
  assert.strictEqual(err.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
});

test('exceptionWithHostPort does not bracket IPv6 addresses', TIMEOUT, async () => {
  const port = await freePort();
  // Refused where IPv6 works; some other errno where it does not: same format.
  const [err] = await once(net.connect(port, '::1'), 'error');
  assertSame(exceptionWithHostPort(err.errno, 'connect', '::1', port), err);
  assert.match(err.message, new RegExp(` ::1:${port}$`));
});

test('exceptionWithHostPort with local details', TIMEOUT, async () => {
  const port = await freePort();
  const localPort = await freePort();
  const [err] = await once(net.connect({ port, host: '127.0.0.1', localPort }), 'error');
  const mine = exceptionWithHostPort(-ERRNO.ECONNREFUSED, 'connect', '127.0.0.1', port,
    `${err.localAddress}:${localPort}`);
  // net itself adds localAddress and localPort; the message is ours to build.
  Object.assign(mine, { localAddress: err.localAddress, localPort });
  assertSame(mine, err);
});

test('exceptionWithHostPort for a Unix socket path', TIMEOUT, async () => {
  const sock = path.join(os.tmpdir(), `rsnet-missing-${process.pid}`, 'sock');
  const [err] = await once(net.connect(sock), 'error');
  assertSame(exceptionWithHostPort(-ERRNO.ENOENT, 'connect', sock), err);
});

test('uvExceptionWithHostPort matches EADDRINUSE', TIMEOUT, async () => {
  const server = net.createServer();
  const { port } = await listening(server, 0, '127.0.0.1');
  try {
    const [err] = await once(net.createServer().listen(port, '127.0.0.1'), 'error');
    assertSame(uvExceptionWithHostPort(-ERRNO.EADDRINUSE, 'listen', '127.0.0.1', port), err);
    assert.strictEqual(err.message, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
  } finally {
    server.close();
  }
});

test('uvExceptionWithHostPort for a Unix socket path', TIMEOUT, async () => {
  const sock = path.join(os.tmpdir(), `rsnet-missing-${process.pid}`, 'sock');
  const [err] = await once(net.createServer().listen(sock), 'error');
  // Node keeps port -1 on pipe errors but leaves it out of the message.
  assertSame(uvExceptionWithHostPort(err.errno, 'listen', sock, -1), err);
});

test('errnoException matches a reset connection', TIMEOUT, async () => {
  // Reset only once connected, so the error comes from a read and not from connect.
  const server = net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
  const { port } = await listening(server, 0, '127.0.0.1');
  try {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write('x');
    const [err] = await once(client, 'error');
    assertSame(errnoException(-ERRNO.ECONNRESET, 'read'), err);
  } finally {
    server.close();
  }
});

test('errno edge cases', TIMEOUT, () => {
  const eof = errnoException(-4095, 'read');
  assert.strictEqual(eof.message, 'read EOF');
  assert.strictEqual(eof.code, 'EOF');
  assert.strictEqual(errnoException(-99999, 'read').code, 'Unknown system error -99999');
  assert.strictEqual(errnoException(-ERRNO.EPIPE, 'write', 'extra').message, 'write EPIPE extra');
  // The Rust side may pass a raw (positive) OS errno.
  assert.strictEqual(errnoException(ERRNO.EPIPE, 'write').errno, -ERRNO.EPIPE);
  const unknown = uvExceptionWithHostPort(-99999, 'listen', '127.0.0.1', 1);
  assert.strictEqual(unknown.message, 'listen UNKNOWN: unknown error 127.0.0.1:1');
});

test('aggregateError carries the first code', TIMEOUT, () => {
  const err = aggregateError([
    exceptionWithHostPort(-ERRNO.ECONNREFUSED, 'connect', '::1', 1),
    exceptionWithHostPort(-ERRNO.ECONNREFUSED, 'connect', '127.0.0.1', 1),
  ]);
  assert.ok(err instanceof AggregateError);
  assert.strictEqual(err.code, 'ECONNREFUSED');
  assert.strictEqual(err.message, '');
  assert.strictEqual(err.stack.split('\n')[0], 'AggregateError [ECONNREFUSED]: ');
  assert.deepStrictEqual(Object.keys(err), ['code']);
});

test('stacks start at the caller, not in lib/', TIMEOUT, () => {
  function callerOfValidator() {
    validators.validatePort('x');
  }
  function callerOfHelper() {
    return errnoException(-ERRNO.EPIPE, 'write');
  }
  const frames = (err) => err.stack.split('\n').filter((line) => line.startsWith('    at '));
  for (const err of [caught(callerOfValidator), callerOfHelper()]) {
    assert.match(frames(err)[0], /callerOf/);
    assert.ok(!frames(err).some((line) => line.includes(`lib${path.sep}`)), err.stack);
  }
});

// ---------------------------------------------------------------------------------------
// Errors of connections, side by side with net. Each scenario runs on Node's net, then on
// rsnet, and the events of each socket (names and order, with the errors' fields) must be
// the same; Node's own observation is also checked against what it is known to be.

for (const [label, host] of [['127.0.0.1', '127.0.0.1'], ['::1', '::1']]) {
  test(`a refused connection to ${label}: ECONNREFUSED with net's fields, then close(true)`,
    { timeout: 5000 }, async (t) => {
      const expected = await sameOnBoth(async ({ net, track }) => {
        const port = await freePort(host);
        const client = track(net.connect(port, host));
        const log = recordEvents(client, { port });
        await closed(client);
        await delay(10);
        return { log, destroyed: client.destroyed, readyState: client.readyState };
      });
      assert.deepEqual(expected.log, [
        {
          error: {
            ctor: 'Error',
            name: 'Error',
            message: `connect ECONNREFUSED ${host}:PORT`,
            header: `Error: connect ECONNREFUSED ${host}:PORT`,
            keys: ['errno', 'code', 'syscall', 'address', 'port'],
            errno: -ERRNO.ECONNREFUSED,
            code: 'ECONNREFUSED',
            syscall: 'connect',
            address: host,
            port: 'PORT',
          },
        },
        'close:true',
      ]);
    });
}

test('rsnet ECONNREFUSED message names the exact port (not masked)', { timeout: 5000 }, async (t) => {
  const { track } = testScope(t);
  const port = await freePort();
  const client = track(rsnet.connect(port, '127.0.0.1'));
  const [err] = await once(client, 'error');
  assert.equal(err.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
  assert.equal(err.port, port);
  assert.equal(err.address, '127.0.0.1');
});

test('connecting to a missing Unix socket: ENOENT with net\'s fields', { timeout: 5000 }, async (t) => {
  const dir = tmpDir('errors');
  const file = path.join(dir, 'nobody.sock');
  const expected = await sameOnBoth(async ({ net, track }) => {
    const client = track(net.connect(file));
    const log = recordEvents(client);
    await closed(client);
    return log;
  });
  assert.equal(expected[0].error.code, 'ENOENT');
  assert.equal(expected[0].error.message, `connect ENOENT ${file}`);
});

test('ECONNRESET on the reading side when the peer resets (net peer uses resetAndDestroy)',
  { timeout: 5000 }, async (t) => {
    const expected = await sameOnBoth(async ({ net, track }) => {
      const peerServer = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
      peerServer.on('connection', (socket) => socket.once('data', () => socket.resetAndDestroy()));
      const client = track(net.connect(peerServer.address().port, '127.0.0.1', () => client.write('x')));
      const log = recordEvents(client);
      await closed(client);
      return log;
    });
    assert.deepEqual(names(expected), ['connect', 'ready', 'error', 'close:true']);
    assert.equal(expected[2].error.message, 'read ECONNRESET');
    assert.equal(expected[2].error.syscall, 'read');
  });


test('ECONNRESET on an accepted socket when the client resets', { timeout: 5000 }, async (t) => {
  const expected = await sameOnBoth(async ({ net, track }) => {
    const server = await startServer(net, track, undefined, 0, '127.0.0.1');
    const client = track(nodeNet.connect(server.address().port, '127.0.0.1', () => client.write('hi')));
    const [socket] = await once(server, 'connection');
    const log = recordEvents(socket);
    const socketClosed = closed(socket);
    await once(socket, 'data');
    client.resetAndDestroy();
    await socketClosed;
    return log;
  });
  assert.deepEqual(names(expected), ['data:hi', 'error', 'close:true']);
});

test('resetAndDestroy() sends an RST: the net peer sees ECONNRESET, the resetting side close(false)',
  { timeout: 5000 }, async (t) => {
    const expected = await sameOnBoth(async ({ net, track }) => {
      const peerServer = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
      const client = track(net.connect(peerServer.address().port, '127.0.0.1'));
      const clientLog = recordEvents(client);
      const [peer] = await once(peerServer, 'connection');
      const peerLog = recordEvents(peer);
      const peerClosed = closed(peer);
      if (client.connecting) await once(client, 'connect');
      client.write('bye');
      await once(peer, 'data');
      const returned = client.resetAndDestroy();
      await Promise.all([peerClosed, closed(client)]);
      return { peerLog, clientLog, returnedSelf: returned === client };
    });
    assert.deepEqual(names(expected.peerLog), ['data:bye', 'error', 'close:true']);
    assert.equal(expected.peerLog[1].error.code, 'ECONNRESET');
  });

// The socket is paused before it connects, so it does not read: the reset is found by
// the next write, which fails with ECONNRESET (syscall 'write'), as in net.
test('writing to a reset peer from a socket that is not reading: write ECONNRESET, as net',
  { timeout: 5000 }, async (t) => {
    const expected = await sameOnBoth(async ({ net, track }) => {
      const peerServer = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
      const client = track(net.connect(peerServer.address().port, '127.0.0.1'));
      client.pause();
      const log = recordEvents(client, { data: false });
      const clientClosed = closed(client);
      const [peer] = await once(peerServer, 'connection');
      if (client.connecting) await once(client, 'connect');
      const peerClosed = closed(peer);
      peer.resetAndDestroy();
      await peerClosed;
      await delay(50);
      log.push(`write:${client.write('after reset', (err) => log.push(`callback:${err && err.code}`))}`);
      await clientClosed;
      return log;
    });
    assert.deepEqual(names(expected), ['connect', 'ready', 'write:false', 'callback:ECONNRESET', 'error', 'close:true']);
    assert.equal(expected[4].error.syscall, 'write');
  });


test('writing after the peer has gone, with allowHalfOpen: first write ok, then EPIPE, as net',
  { timeout: 5000 }, async (t) => {
    const expected = await sameOnBoth(async ({ net, track }) => {
      const peerServer = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
      peerServer.on('connection', (socket) => socket.destroy());
      const client = track(net.connect({ port: peerServer.address().port, host: '127.0.0.1', allowHalfOpen: true }));
      const log = recordEvents(client);
      const clientClosed = closed(client);
      await once(client, 'end');
      for (let i = 0; i < 5 && !client.destroyed; i++) {
        log.push(`write${i}:${client.write('x', (err) => log.push(`callback${i}:${err ? err.code : 'ok'}`))}`);
        await delay(50);
      }
      await clientClosed;
      return log;
    });
    assert.deepEqual(names(expected), [
      'connect', 'ready', 'end', 'write0:true', 'callback0:ok', 'write1:false', 'callback1:EPIPE', 'error', 'close:true',
    ]);
    assert.equal(expected[7].error.message, 'write EPIPE');
  });

// Without allowHalfOpen the socket ends its side when the peer's FIN arrives; a write
// that comes after that (here: right after 'end', from a promise) is refused with EPIPE
// "This socket has been ended by the other party", emitted as 'error'.
test('a write after the peer ended (allowHalfOpen false): EPIPE error, as net', { timeout: 5000 }, async (t) => {
  const expected = await sameOnBoth(async ({ net, track }) => {
    const peerServer = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
    peerServer.on('connection', (socket) => socket.end());
    const client = track(net.connect(peerServer.address().port, '127.0.0.1'));
    const log = recordEvents(client);
    const clientClosed = closed(client);
    await once(client, 'end');
    log.push(`write:${client.write('late', (err) => log.push(`callback:${err && err.code}`))}`);
    await clientClosed;
    await delay(10);
    return log;
  });
  assert.deepEqual(names(expected), ['connect', 'ready', 'end', 'write:false', 'callback:EPIPE', 'error', 'close:true']);
  assert.equal(expected[5].error.message, 'This socket has been ended by the other party');
});
