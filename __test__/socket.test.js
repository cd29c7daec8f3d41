'use strict';

// net.Socket, the client side: every scenario runs on Node's own net and on rsnet (see
// helpers/compare.js) and what the two runs observed must be the same: events (names and
// order), data, properties and errors. Peers are Node's net unless a test says otherwise,
// so a difference is the client's. Each test also checks Node's result against what the
// documentation promises, so that a scenario which observes nothing cannot pass.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const {
  delay,
  errorShape,
  next,
  record,
  sideBySide,
  tmpPath,
  until,
} = require('./helpers/compare');

const T = { timeout: 15000 };

// Every event a client socket may emit, but 'drain' (its count depends on timing).
const EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout',
  'connect', 'ready', 'data', 'end', 'finish', 'timeout', 'error', 'close'];
const PEER_EVENTS = ['data', 'end', 'finish', 'error', 'close'];

// What fn() threw (its shape), or what it returned.
function outcome(fn, run) {
  try {
    const value = fn();
    return { returned: typeof value === 'object' && value !== null ? value.constructor.name : value };
  } catch (err) {
    return { threw: errorShape(err, run) };
  }
}

// A dns.lookup-compatible function that answers `answer` (an array of {address, family})
// on the next turn of the event loop and remembers how it was called.
function fakeLookup(answer, calls = []) {
  const lookup = (hostname, options, callback) => {
    calls.push([hostname, { ...options }]);
    setImmediate(() => {
      if (answer instanceof Error) callback(answer);
      else if (options.all) callback(null, answer);
      else callback(null, answer[0].address, answer[0].family);
    });
  };
  lookup.calls = calls;
  return lookup;
}

function dnsError(hostname) {
  const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  return Object.assign(err, { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
}

// The state a user can read off a socket; the local port is labelled once known.
function snapshot(socket, run) {
  if (typeof socket.localPort === 'number') run.label(socket.localPort, 'LOCAL');
  return run.mask({
    readyState: socket.readyState,
    connecting: socket.connecting,
    pending: socket.pending,
    destroyed: socket.destroyed,
    readable: socket.readable,
    writable: socket.writable,
    address: socket.address(),
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    localFamily: socket.localFamily,
  });
}

// A peer that sends `reply` (if any) and ends as soon as a client connects, and collects
// what the client sends.
function replyPeer(reply, received = []) {
  return (socket) => {
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => {});
    if (reply !== undefined) socket.end(reply);
  };
}

// Connects `makeSocket(run, server, listener)`'s socket, records its events until
// 'close' and returns the observation.
async function observeClient(run, makeSocket, { server, listenerCheck = true } = {}) {
  let listenerCalls = [];
  const listener = function (...args) {
    listenerCalls.push({ thisIsSocket: this === socket, args: args.length });
  };
  const socket = run.track(makeSocket(listener));
  const events = record(socket, EVENTS, run);
  const closed = next(socket, 'close');
  if (server) run.label(server.address().port, 'PORT');
  await closed;
  if (!listenerCheck) listenerCalls = undefined;
  return {
    isSocket: socket instanceof run.net.Socket,
    events,
    data: Buffer.concat(events.data).toString(),
    listenerCalls,
    remote: run.mask([socket.remoteAddress, socket.remotePort, socket.remoteFamily]),
  };
}

// ---------------------------------------------------------------------------------------
// 1. Connecting

const connectForms = [
  ['net.connect(options, listener)', (net, t, cb) => net.connect({ port: t.port, host: '127.0.0.1' }, cb)],
  ['net.connect(port, host, listener)', (net, t, cb) => net.connect(t.port, '127.0.0.1', cb)],
  ['net.connect(String(port), host, listener)', (net, t, cb) => net.connect(String(t.port), '127.0.0.1', cb)],
  ['net.connect(port, listener) via localhost', (net, t, cb) => net.connect(t.port, cb)],
  ['net.connect(path, listener)', (net, t, cb) => net.connect(t.path, cb)],
  ['net.connect({ path }, listener)', (net, t, cb) => net.connect({ path: t.path }, cb)],
  ['net.createConnection(options, listener)',
    (net, t, cb) => net.createConnection({ port: t.port, host: '127.0.0.1' }, cb)],
  ['net.createConnection(port, host)', (net, t) => net.createConnection(t.port, '127.0.0.1')],
  ['net.createConnection(path)', (net, t) => net.createConnection(t.path)],
  ['new Socket().connect(options, listener)',
    (net, t, cb) => new net.Socket().connect({ port: t.port, host: '127.0.0.1' }, cb)],
  ['new Socket().connect(port, host, listener)', (net, t, cb) => new net.Socket().connect(t.port, '127.0.0.1', cb)],
  ['new Socket().connect(path, listener)', (net, t, cb) => new net.Socket().connect(t.path, cb)],
  ['new Stream().connect(port, host)', (net, t) => new net.Stream().connect(t.port, '127.0.0.1')],
];

for (const [label, form] of connectForms) {
  test(`connect form: ${label}`, T, async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const sockPath = tmpPath('forms');
      const tcp = await run.listen({}, replyPeer('hello'));
      await run.listen({ path: sockPath }, replyPeer('hello'));
      const target = { port: tcp.address().port, path: sockPath };
      let returned;
      const observed = await observeClient(run, (listener) => {
        const socket = form(run.net, target, listener);
        returned = socket;
        return socket;
      });
      return { ...observed, returnedSocket: returned instanceof run.net.Socket };
    });
    assert.equal(node.data, 'hello');
    assert.ok(node.events.includes('connect') && node.events.at(-1) === 'close(false)', String(node.events));
    if (label.includes('listener')) assert.deepEqual(node.listenerCalls, [{ thisIsSocket: true, args: 0 }]);
    assert.deepEqual(rsnet, node);
  });
}

test('connect: lookup options, lookup event and custom lookup result are honoured', T, async () => {
  const cases = [
    ['default', {}],
    ['family 4', { family: 4 }],
    ['family 6', { family: 6 }],
    ['hints', { hints: 1024 }],
    ['autoSelectFamily false', { autoSelectFamily: false }],
    ['family 0, autoSelectFamily true', { family: 0, autoSelectFamily: true }],
  ];
  const { node, rsnet } = await sideBySide(async (run) => {
    const v4 = await run.listen({ host: '127.0.0.1' }, replyPeer('v4'));
    const v6 = await run.listen({ host: '::1', label: 'PORT6' }, replyPeer('v6'));
    const results = {};
    for (const [name, options] of cases) {
      const ipv6 = options.family === 6;
      const lookup = fakeLookup(ipv6 ? [{ address: '::1', family: 6 }] : [{ address: '127.0.0.1', family: 4 }]);
      const port = (ipv6 ? v6 : v4).address().port;
      const observed = await observeClient(run,
        () => run.net.connect({ host: 'service.test', port, lookup, ...options }), { listenerCheck: false });
      results[name] = { calls: lookup.calls, ...observed };
    }
    return results;
  });
  for (const [name] of cases) {
    const expected = name === 'family 6' ? 'v6' : 'v4';
    assert.equal(node[name].data, expected, name);
    assert.equal(node[name].calls.length, 1, name);
    assert.deepEqual(node[name].events.find((e) => e[0] === 'lookup'),
      ['lookup', null, expected === 'v6' ? '::1' : '127.0.0.1', expected === 'v6' ? 6 : 4, 'service.test'], name);
  }
  assert.deepEqual(rsnet, node);
});

test('connect: an IP literal host skips DNS (custom lookup is not called)', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const v4 = await run.listen({ host: '127.0.0.1' }, replyPeer('v4'));
    const v6 = await run.listen({ host: '::1', label: 'PORT6' }, replyPeer('v6'));
    const calls = [];
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }], calls);
    const a = await observeClient(run,
      () => run.net.connect({ host: '127.0.0.1', port: v4.address().port, lookup }), { listenerCheck: false });
    const b = await observeClient(run,
      () => run.net.connect({ host: '::1', port: v6.address().port, lookup }), { listenerCheck: false });
    return { a, b, calls };
  });
  assert.deepEqual(node.calls, []);
  assert.equal(node.a.data + node.b.data, 'v4v6');
  assert.ok(!node.a.events.some((e) => e[0] === 'lookup'));
  assert.deepEqual(rsnet, node);
});

test('connect: localhost, by name and as the default host', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({ host: '127.0.0.1' }, replyPeer('local'));
    const port = server.address().port;
    return {
      named: await observeClient(run, () => run.net.connect(port, 'localhost'), { listenerCheck: false }),
      byDefault: await observeClient(run, () => run.net.connect({ port }), { listenerCheck: false }),
    };
  });
  assert.equal(node.named.data, 'local');
  assert.deepEqual(node.named.events[0], ['lookup', null, '127.0.0.1', 4, 'localhost']);
  assert.deepEqual(rsnet, node);
});

test('connect: localAddress and localPort', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const peerSaw = [];
    const server = await run.listen({}, (socket) => {
      peerSaw.push(run.mask([socket.remoteAddress, socket.remotePort]));
      socket.end('bound');
    });
    const localPort = await run.closedPort('CHOSEN');
    const socket = run.track(run.net.connect({
      port: server.address().port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort,
    }));
    const events = record(socket, EVENTS, run);
    await next(socket, 'connect');
    const local = run.mask([socket.localAddress, socket.localPort, socket.localFamily]);
    await next(socket, 'close');
    return { events, local, peerSaw };
  });
  assert.deepEqual(node.local, ['127.0.0.1', 'CHOSEN', 'IPv4']);
  assert.deepEqual(node.peerSaw, [['127.0.0.1', 'CHOSEN']]);
  assert.deepEqual(rsnet, node);
});

// The keep-alive timer of a TCP socket, as Linux shows it in /proc/net/tcp{,6}: timer
// kind 2 is keep-alive; its expiry is in hundredths of a second.
function keepAliveTimer(socket) {
  const hexPort = socket.localPort.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 6 || !fields[1].endsWith(`:${hexPort}`) || fields[3] !== '01') continue;
      const [kind, when] = fields[5].split(':');
      return kind === '02' ? { keepAlive: true, seconds: Math.ceil(parseInt(when, 16) / 100) } : { keepAlive: false };
    }
  }
  return { notFound: true };
}

test('connect: keepAlive, keepAliveInitialDelay and noDelay options', T, async (t) => {
  if (!fs.existsSync('/proc/net/tcp')) return t.skip('no /proc/net/tcp');
  const { node, rsnet } = await sideBySide(async (run) => {
    const received = [];
    const server = await run.listen({}, replyPeer(undefined, received));
    const port = server.address().port;
    const connectWith = async (options) => {
      const socket = run.track(run.net.connect({ port, host: '127.0.0.1', ...options }));
      await next(socket, 'connect');
      return socket;
    };
    const plain = await connectWith({});
    const kept = await connectWith({ keepAlive: true, keepAliveInitialDelay: 5000 });
    const noDelay = await connectWith({ noDelay: true });
    const later = await connectWith({});
    const returned = later.setKeepAlive(true, 3000) === later && later.setNoDelay(true) === later;
    // Small writes with Nagle off still arrive whole.
    for (const c of 'nodelay') noDelay.write(c);
    await until(() => Buffer.concat(received).length === 7, 'noDelay bytes');
    return {
      plain: keepAliveTimer(plain),
      kept: keepAliveTimer(kept),
      later: keepAliveTimer(later),
      returned,
      received: Buffer.concat(received).toString(),
    };
  });
  assert.deepEqual(node.plain, { keepAlive: false });
  assert.deepEqual(node.kept, { keepAlive: true, seconds: 5 });
  assert.deepEqual(node.later, { keepAlive: true, seconds: 3 });
  assert.deepEqual(rsnet, node);
});

test('connect: timeout option sets socket.timeout and emits timeout', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, () => {});
    const socket = run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1', timeout: 40 }));
    const events = record(socket, EVENTS, run);
    const timeout = socket.timeout;
    await next(socket, 'timeout');
    const state = snapshot(socket, run);
    socket.destroy();
    await next(socket, 'close');
    return { events, timeout, state: [state.readyState, state.destroyed] };
  });
  assert.deepEqual(node.events.slice(-3), ['ready', 'timeout', 'close(false)']);
  assert.equal(node.timeout, 40);
  assert.deepEqual(node.state, ['open', false]);
  assert.deepEqual(rsnet, node);
});

test('connect: autoSelectFamily tries the next address after a refusal', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({ host: '127.0.0.1' }, replyPeer('second'));
    const lookup = fakeLookup([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    const socket = run.track(new run.net.Socket());
    const events = record(socket, EVENTS, run);
    socket.connect({ host: 'dual.test', port: server.address().port, lookup, autoSelectFamily: true });
    await next(socket, 'close');
    return {
      events,
      calls: lookup.calls,
      data: Buffer.concat(events.data).toString(),
      attempted: run.mask(socket.autoSelectFamilyAttemptedAddresses),
      remote: [socket.remoteAddress, socket.remoteFamily],
    };
  });
  assert.equal(node.data, 'second');
  assert.deepEqual(node.events.filter((e) => typeof e !== 'string').map((e) => e[0]),
    ['lookup', 'lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttempt']);
  assert.equal(node.events.find((e) => e[0] === 'connectionAttemptFailed')[4].code, 'ECONNREFUSED');
  assert.deepEqual(node.attempted, ['::1:PORT', '127.0.0.1:PORT']);
  assert.deepEqual(rsnet, node);
});

test('connect: autoSelectFamily with every address refusing emits an AggregateError', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const port = await run.closedPort();
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    const socket = run.track(new run.net.Socket());
    const events = record(socket, EVENTS, run);
    socket.connect({ host: 'dual.test', port, lookup });
    await next(socket, 'close');
    return { events, state: snapshot(socket, run) };
  });
  const error = node.events.find((e) => e.error).error;
  assert.equal(error.ctor, 'AggregateError');
  assert.equal(error.code, 'ECONNREFUSED');
  assert.deepEqual(error.errors.map((e) => e.message),
    ['connect ECONNREFUSED 127.0.0.1:CLOSED', 'connect ECONNREFUSED ::1:CLOSED']);
  assert.equal(node.events.at(-1), 'close(true)');
  assert.deepEqual(rsnet, node);
});

test('connect: autoSelectFamily skips answers that are not IP addresses, and repeats', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({ host: '127.0.0.1' }, replyPeer('ok'));
    const lookup = fakeLookup([
      { address: 'not-an-ip', family: 4 },
      { address: '127.0.0.1', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
    const socket = run.track(new run.net.Socket());
    const events = record(socket, EVENTS, run);
    socket.connect({ host: 'odd.test', port: server.address().port, lookup });
    await next(socket, 'close');
    return { events, data: Buffer.concat(events.data).toString() };
  });
  assert.equal(node.data, 'ok');
  assert.equal(node.events.filter((e) => e[0] === 'lookup').length, 3);
  assert.deepEqual(rsnet, node);
});

test('connect: a closed socket connects again', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    let n = 0;
    const server = await run.listen({}, (socket) => {
      n += 1;
      socket.end(`round ${n}`);
    });
    const port = server.address().port;
    const socket = run.track(new run.net.Socket());
    const events = record(socket, EVENTS, run);
    const rounds = [];
    for (let round = 1; round <= 2; round++) {
      events.push(`-- connect ${round}`);
      const returned = socket.connect(port, '127.0.0.1');
      rounds.push({ returned: returned === socket, opening: snapshot(socket, run).readyState });
      socket.write(`hello ${round}`);
      await next(socket, 'close');
      rounds.push({ bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten, state: socket.readyState });
    }
    return { events, rounds, data: Buffer.concat(events.data).toString() };
  });
  assert.equal(node.data, 'round 1round 2');
  assert.equal(node.events.filter((e) => e === 'close(false)').length, 2);
  assert.deepEqual(rsnet, node);
});

// ---------------------------------------------------------------------------------------
// 2. Writing

// A connected client and the peer's side of it; `received` collects what the peer got.
async function connectedPair(run, { clientOptions = {}, peer = {}, host = '127.0.0.1' } = {}) {
  const received = [];
  let peerSocket;
  const accepted = new Promise((resolve) => {
    run.listen({ host, ...peer }, (socket) => {
      peerSocket = socket;
      socket.on('data', (chunk) => received.push(chunk));
      resolve(socket);
    }).then((server) => {
      const client = run.track(new run.net.Socket(clientOptions));
      pair.client = client;
      pair.clientEvents = record(client, EVENTS, run);
      client.connect(server.address().port, host);
    });
  });
  const pair = { received, bytes: () => Buffer.concat(received) };
  await accepted;
  pair.peer = peerSocket;
  pair.peerEvents = record(peerSocket, PEER_EVENTS, run);
  await until(() => !pair.client.connecting, 'client connect');
  return pair;
}

const ENCODED = [
  ['utf8', 'héllo wörld ✓ 😀'],
  ['utf-8', 'ünïcödé'],
  ['hex', '00ff10abcdef'],
  ['base64', 'AAECAwQF/w=='],
  ['base64url', '-_-_AQ'],
  ['latin1', 'café\u00ff\u0100'],
  ['binary', 'b\u00e9'],
  ['ascii', 'plain ascii'],
  ['ucs2', 'hé😀'],
  ['utf16le', 'ütf16'],
];

test('write: strings in every encoding, Buffers and Uint8Arrays arrive byte-exact', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, bytes, clientEvents } = await connectedPair(run);
    const order = [];
    const returns = [];
    for (const [encoding, text] of ENCODED) {
      returns.push(client.write(text, encoding, (err) => order.push([encoding, err])));
    }
    returns.push(client.write(Buffer.from([0, 1, 2, 253, 254, 255]), (err) => order.push(['Buffer', err])));
    returns.push(client.write(new Uint8Array([7, 8, 9]), (err) => order.push(['Uint8Array', err])));
    returns.push(client.write('no callback'));
    const expected = Buffer.concat([...ENCODED.map(([enc, text]) => Buffer.from(text, enc)),
      Buffer.from([0, 1, 2, 253, 254, 255, 7, 8, 9]), Buffer.from('no callback')]);
    await until(() => bytes().length >= expected.length, 'all bytes');
    return {
      sameBytes: bytes().equals(expected),
      hex: bytes().toString('hex'),
      order,
      returns,
      bytesWritten: client.bytesWritten,
      events: clientEvents,
      unknownEncoding: outcome(() => client.write('x', 'no-such-encoding'), run),
      wrongType: outcome(() => client.write(42), run),
    };
  });
  assert.ok(node.sameBytes);
  assert.equal(node.order.length, ENCODED.length + 2);
  assert.equal(node.unknownEncoding.threw.code, 'ERR_UNKNOWN_ENCODING');
  assert.equal(node.wrongType.threw.code, 'ERR_INVALID_ARG_TYPE');
  assert.deepEqual(rsnet, node);
});

test('write: writes queued while connecting are sent in order once connected', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const received = [];
    const server = await run.listen({}, replyPeer(undefined, received));
    const socket = run.track(new run.net.Socket());
    const events = record(socket, EVENTS, run);
    const cbs = [];
    socket.connect(server.address().port, '127.0.0.1');
    const returns = [
      socket.write('héllo', () => cbs.push('a')),
      socket.write('ff00', 'hex', () => cbs.push('b')),
      socket.write(Buffer.from('!'), () => cbs.push('c')),
    ];
    const pending = {
      bytesWritten: socket.bytesWritten,
      writableLength: socket.writableLength,
      bufferSize: socket.bufferSize,
      cbs: [...cbs],
    };
    await until(() => Buffer.concat(received).length === 9, 'queued bytes');
    const done = {
      bytesWritten: socket.bytesWritten,
      writableLength: socket.writableLength,
      bufferSize: socket.bufferSize,
      cbs: [...cbs],
    };
    socket.end();
    await next(socket, 'finish');
    socket.destroy();
    await next(socket, 'close');
    const closed = { bytesWritten: socket.bytesWritten, bufferSize: socket.bufferSize };
    return { returns, pending, done, closed, events, data: Buffer.concat(received).toString('hex') };
  });
  assert.equal(node.data, Buffer.concat([Buffer.from('héllo'), Buffer.from('ff00', 'hex'),
    Buffer.from('!')]).toString('hex'));
  assert.deepEqual(node.done.cbs, ['a', 'b', 'c']);
  assert.equal(node.done.bytesWritten, 9);
  assert.deepEqual(rsnet, node);
});

test('write: callbacks, end(data, cb), finish and close in order', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, bytes } = await connectedPair(run);
    const order = [];
    for (const event of ['finish', 'end', 'close', 'error']) client.on(event, () => order.push(event));
    for (let i = 0; i < 5; i++) client.write(`w${i};`, (...args) => order.push([`cb${i}`, args]));
    client.end('bye', 'utf8', (...args) => order.push(['end-cb', args.map((a) => errorShape(a, run))]));
    order.push('end() returned');
    await until(() => bytes().toString() === 'w0;w1;w2;w3;w4;bye', 'all written');
    await until(() => order.includes('finish'));
    // The peer ends too: the client closes.
    client.destroy();
    await next(client, 'close');
    return { order, data: bytes().toString() };
  });
  assert.deepEqual(node.order.slice(0, 1), ['end() returned']);
  assert.ok(node.order.indexOf('finish') > node.order.findIndex((e) => e[0] === 'cb4'));
  assert.deepEqual(rsnet, node);
});

test('write: cork() holds writes until uncork(), then they arrive intact', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, bytes } = await connectedPair(run);
    const cbs = [];
    client.cork();
    client.cork();
    client.write('alpha ', () => cbs.push(1));
    client.write('ceff', 'hex', () => cbs.push(2));
    client.write(Buffer.from(' gamma '), () => cbs.push(3));
    client.write('ΔΔ', 'ucs2', () => cbs.push(4));
    const corked = { writableCorked: client.writableCorked, writableLength: client.writableLength };
    client.uncork();
    await delay(30);
    const afterOneUncork = { received: bytes().length, writableCorked: client.writableCorked, cbs: [...cbs] };
    client.uncork();
    const expected = Buffer.concat([Buffer.from('alpha '), Buffer.from('ceff', 'hex'), Buffer.from(' gamma '),
      Buffer.from('ΔΔ', 'ucs2')]);
    await until(() => bytes().length >= expected.length, 'uncorked bytes');
    await until(() => cbs.length === 4, 'callbacks');
    return {
      corked, afterOneUncork, cbs, intact: bytes().equals(expected), bytesWritten: client.bytesWritten,
    };
  });
  assert.deepEqual(node.afterOneUncork, { received: 0, writableCorked: 1, cbs: [] });
  assert.ok(node.intact);
  assert.deepEqual(node.cbs, [1, 2, 3, 4]);
  assert.deepEqual(rsnet, node);
});

test('write: destroySoon() flushes pending data, then closes', T, async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 'z');
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, bytes, clientEvents, peerEvents } = await connectedPair(run, { peer: { allowHalfOpen: true } });
    client.write(big);
    client.destroySoon();
    const state = { writable: client.writable, destroyed: client.destroyed, readyState: client.readyState };
    await next(client, 'close');
    await until(() => peerEvents.includes('end'), 'peer end');
    return { state, received: bytes().length, events: clientEvents, peerEvents };
  });
  assert.equal(node.received, big.length);
  assert.deepEqual(node.state, { writable: false, destroyed: false, readyState: 'readOnly' });
  assert.deepEqual(rsnet, node);
});

test('write: resetAndDestroy() makes the peer see ECONNRESET', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, clientEvents, peerEvents, bytes } = await connectedPair(run);
    client.write('before reset');
    await until(() => bytes().length === 12, 'data before reset');
    const returned = client.resetAndDestroy() === client;
    await next(client, 'close');
    await until(() => peerEvents.includes('close(true)') || peerEvents.includes('close(false)'), 'peer close');
    return { returned, clientEvents, peerEvents, destroyed: client.destroyed };
  });
  assert.deepEqual(node.peerEvents.slice(1).map((e) => e.error ? e.error.code : e), ['ECONNRESET', 'close(true)']);
  assert.deepEqual(rsnet, node);
});

test('write: resetAndDestroy() while connecting, unconnected, and on a Unix socket', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const peerEvents = [];
    const server = await run.listen({}, (socket) => {
      peerEvents.push(...record(socket, PEER_EVENTS, run));
      socket.on('error', (err) => peerEvents.push(err.code));
      socket.on('close', () => peerEvents.push('peer closed'));
    });
    const connecting = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const connectingEvents = record(connecting, EVENTS, run);
    connecting.resetAndDestroy();
    await next(connecting, 'close');
    await until(() => peerEvents.includes('peer closed'), 'peer close');

    const unconnected = run.track(new run.net.Socket());
    const unconnectedEvents = record(unconnected, EVENTS, run);
    const unconnectedResult = outcome(() => unconnected.resetAndDestroy(), run);
    await next(unconnected, 'close');

    const sockPath = tmpPath('reset');
    await run.listen({ path: sockPath }, () => {});
    const unix = run.track(run.net.connect(sockPath));
    const unixEvents = record(unix, EVENTS, run);
    await next(unix, 'connect');
    const unixResult = outcome(() => unix.resetAndDestroy(), run);
    unix.destroy();
    await next(unix, 'close');
    return {
      connectingEvents, peerEvents, unconnectedResult, unconnectedEvents, unixResult, unixEvents,
    };
  });
  assert.ok(node.peerEvents.includes('ECONNRESET'));
  assert.equal(node.unconnectedEvents[0].error.code, 'ERR_SOCKET_CLOSED');
  assert.equal(node.unixResult.threw.code, 'ERR_INVALID_HANDLE_TYPE');
  assert.deepEqual(rsnet, node);
});

test('write: writableLength, bufferSize, write() result and drain under back-pressure', T, async () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 'b');
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, peer, bytes, clientEvents } = await connectedPair(run);
    peer.pause();
    let drains = 0;
    client.on('drain', () => drains++);
    const smallResult = client.write('x');
    const bigResult = client.write(big);
    const queued = { writableLength: client.writableLength > 0, bufferSize: client.bufferSize === client.writableLength,
      writableNeedDrain: client.writableNeedDrain };
    peer.resume();
    await next(client, 'drain');
    const drained = { writableLength: client.writableLength, bufferSize: client.bufferSize, drains,
      writableNeedDrain: client.writableNeedDrain };
    await until(() => bytes().length === big.length + 1, 'all bytes');
    client.destroy();
    await next(client, 'close');
    return { smallResult, bigResult, queued, drained, events: clientEvents, after: client.bufferSize };
  });
  assert.deepEqual([node.smallResult, node.bigResult], [true, false]);
  assert.deepEqual(node.queued, { writableLength: true, bufferSize: true, writableNeedDrain: true });
  assert.deepEqual(node.drained, { writableLength: 0, bufferSize: 0, drains: 1, writableNeedDrain: false });
  assert.deepEqual(rsnet, node);
});

test('write: after end() fails with ERR_STREAM_WRITE_AFTER_END, after destroy() with ERR_STREAM_DESTROYED', T,
  async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const ended = await connectedPair(run);
      ended.client.end();
      const afterEnd = await new Promise((resolve) => {
        const result = ended.client.write('late', (err) => resolve({ result, err: errorShape(err, run) }));
      });
      await next(ended.client, 'close');

      const destroyed = await connectedPair(run);
      destroyed.client.destroy();
      const afterDestroy = await new Promise((resolve) => {
        const result = destroyed.client.write('late', (err) => resolve({ result, err: errorShape(err, run) }));
      });
      await delay(10);
      return {
        afterEnd, endedEvents: ended.clientEvents, afterDestroy, destroyedEvents: destroyed.clientEvents,
        sameError: ended.clientEvents.errors[0] === undefined || ended.clientEvents.errors.length,
      };
    });
    assert.equal(node.afterEnd.err.code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.equal(node.afterDestroy.err.code, 'ERR_STREAM_DESTROYED');
    assert.deepEqual(rsnet, node);
  });
