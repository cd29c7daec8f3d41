'use strict';

// Connecting and name resolution: every form of connect(), lookup options and custom
// lookup functions, localAddress/localPort, the connect options, autoSelectFamily, a
// signal, the 'net' performance entry, lookup answers that are no IP address, and isIP.
// Every scenario runs on Node's own net and on rsnet (see helpers/side-by-side.js) and what
// the two runs observed must be the same; each test also checks Node's result against what
// the documentation promises. Peers are Node's net, so a difference is the client's.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const EventEmitter = require('node:events');
const { getEventListeners } = EventEmitter;
const fs = require('node:fs');
const nodeNet = require('node:net');
const { PerformanceObserver } = require('node:perf_hooks');

const {
  CLIENT_EVENTS, delay, errorShape, names, next, record, replyPeer, rsnet, sideBySide, socketState, tmpPath, until,
} = require('./helpers');

const T = { timeout: 15000 };

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

// Records the events of the socket `makeSocket(listener)` connects until 'close' and
// returns the observation, including how the connect listener was called.
async function observeClient(run, makeSocket, { listenerCheck = true } = {}) {
  let listenerCalls = [];
  const listener = function (...args) {
    listenerCalls.push({ thisIsSocket: this === socket, args: args.length });
  };
  const socket = run.track(makeSocket(listener));
  const events = record(socket, CLIENT_EVENTS, run);
  await events.closed;
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
    const events = record(socket, CLIENT_EVENTS, run);
    let local;
    socket.once('connect', () => {
      local = run.mask([socket.localAddress, socket.localPort, socket.localFamily]);
    });
    await events.closed;
    return { events, local, peerSaw };
  });
  assert.deepEqual(node.local, ['127.0.0.1', 'CHOSEN', 'IPv4']);
  assert.deepEqual(node.peerSaw, [['127.0.0.1', 'CHOSEN']]);
  assert.deepEqual(rsnet, node);
});

test('connect: localPort without localAddress', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const peerSaw = [];
    const server = await run.listen({}, (socket) => {
      peerSaw.push(run.mask(socket.remotePort));
      socket.end('bound');
    });
    const localPort = await run.closedPort('CHOSEN');
    const socket = run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1', localPort }));
    const events = record(socket, CLIENT_EVENTS, run);
    let local;
    socket.once('connect', () => {
      local = run.mask([socket.localAddress, socket.localPort]);
    });
    await events.closed;
    return { events, local, peerSaw };
  });
  assert.deepEqual(node.local, ['127.0.0.1', 'CHOSEN']);
  assert.deepEqual(node.peerSaw, ['CHOSEN']);
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
    const keptDefault = await connectWith({ keepAlive: true });
    const noDelay = await connectWith({ noDelay: true });
    const later = await connectWith({});
    const returned = later.setKeepAlive(true, 3000) === later && later.setNoDelay(true) === later;
    // Asked for before the connection exists.
    const early = run.track(new run.net.Socket());
    early.setKeepAlive(true, 4000);
    early.setNoDelay(true);
    early.connect(port, '127.0.0.1');
    await next(early, 'connect');
    // Nagle's state is not visible from outside: small writes with it off still arrive whole.
    for (const c of 'nodelay') noDelay.write(c);
    await until(() => Buffer.concat(received).length === 7, 'noDelay bytes');
    return {
      plain: keepAliveTimer(plain),
      kept: keepAliveTimer(kept),
      keptDefault: keepAliveTimer(keptDefault),
      later: keepAliveTimer(later),
      early: keepAliveTimer(early),
      returned,
      received: Buffer.concat(received).toString(),
    };
  });
  assert.deepEqual(node.plain, { keepAlive: false });
  assert.deepEqual(node.kept, { keepAlive: true, seconds: 5 });
  assert.deepEqual(node.later, { keepAlive: true, seconds: 3 });
  assert.deepEqual(node.early, { keepAlive: true, seconds: 4 });
  assert.deepEqual(node.keptDefault.keepAlive, true);
  assert.deepEqual(rsnet, node);
});

test('connect: timeout option sets socket.timeout and emits timeout', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, () => {});
    const socket = run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1', timeout: 40 }));
    const events = record(socket, CLIENT_EVENTS, run);
    const timeout = socket.timeout;
    await next(socket, 'timeout');
    const state = socketState(socket, run);
    socket.destroy();
    await events.closed;
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
    const events = record(socket, CLIENT_EVENTS, run);
    socket.connect({ host: 'dual.test', port: server.address().port, lookup, autoSelectFamily: true });
    await events.closed;
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
    const events = record(socket, CLIENT_EVENTS, run);
    socket.connect({ host: 'dual.test', port, lookup });
    await events.closed;
    return { events, state: socketState(socket, run) };
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
    const events = record(socket, CLIENT_EVENTS, run);
    socket.connect({ host: 'odd.test', port: server.address().port, lookup });
    await events.closed;
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
    const events = record(socket, CLIENT_EVENTS, run);
    const rounds = [];
    for (let round = 1; round <= 2; round++) {
      events.push(`-- connect ${round}`);
      const closed = next(socket, 'close');
      const returned = socket.connect(port, '127.0.0.1');
      rounds.push({ returned: returned === socket, opening: socketState(socket, run).readyState });
      socket.write(`hello ${round}`);
      await closed;
      rounds.push({ bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten, state: socket.readyState });
    }
    return { events, rounds, data: Buffer.concat(events.data).toString() };
  });
  assert.equal(node.data, 'round 1round 2');
  assert.equal(node.events.filter((e) => e === 'close(false)').length, 2);
  assert.deepEqual(rsnet, node);
});

test('error: a failing custom lookup (ENOTFOUND) is emitted as is', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const results = {};
    for (const autoSelectFamily of [true, false]) {
      const failure = dnsError('nowhere.test');
      const socket = run.track(run.net.connect({
        host: 'nowhere.test', port: 80, autoSelectFamily, lookup: fakeLookup(failure),
      }));
      const events = record(socket, CLIENT_EVENTS, run);
      await events.closed;
      results[autoSelectFamily] = { events, same: events.errors[0] === failure, state: socketState(socket, run) };
    }
    return results;
  });
  for (const key of ['true', 'false']) {
    assert.equal(node[key].same, true);
    assert.deepEqual(names(node[key].events), ['lookup', 'error', 'close(true)']);
  }
  assert.deepEqual(rsnet, node);
});

// ---------------------------------------------------------------------------------------
// 2. Lookup answers, signals and the performance entry

test('a TCP connect adds a \'net\' performance entry named connect with net\'s fields; a failed or Unix one adds none', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const entries = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ type: 'net' });
    try {
      const server = await run.listen();
      const port = server.address().port;
      const connect = async (options) => {
        const socket = run.track(run.net.connect({ port, ...options }));
        socket.on('error', () => {});
        socket.resume();
        await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
        socket.destroy();
      };
      await connect({ host: '127.0.0.1' });
      // Several answers (happy eyeballs): the first refuses, the second connects.
      const closed = await run.closedPort();
      await connect({
        host: 'example.invalid',
        port: closed,
        autoSelectFamily: true,
        lookup: (host, options, cb) => cb(null, [{ address: '127.0.0.2', family: 4 }]),
      });
      await connect({
        host: 'example.invalid',
        autoSelectFamily: true,
        lookup: (host, options, cb) => cb(null, [
          { address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]),
      });
      const unixServer = await run.listen({ path: tmpPath('perf') });
      const unix = run.track(run.net.connect(unixServer.address()));
      await next(unix, 'connect');
      await delay(30);
    } finally {
      observer.disconnect();
    }
    return entries.map((entry) => ({
      ctor: entry.constructor.name,
      name: entry.name,
      entryType: entry.entryType,
      detail: run.mask(entry.detail),
      keys: Object.keys(entry.toJSON()),
      timed: entry.startTime > 0 && entry.duration >= 0,
    }));
  });
  const entry = {
    ctor: 'PerformanceNodeEntry', name: 'connect', entryType: 'net',
    detail: { host: '127.0.0.1', port: 'PORT' },
    keys: ['name', 'entryType', 'startTime', 'duration', 'detail'], timed: true,
  };
  assert.deepEqual(node, [entry, entry]);
  assert.deepEqual(ours, node);
});

test('a connect with a signal adds net\'s abort listeners, and none are left once it aborts', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const server = await run.listen();
    const port = server.address().port;
    const count = (signal) => getEventListeners(signal, 'abort').length;
    const counts = [];
    const controller = new AbortController();
    const socket = run.track(run.net.connect({ port, host: '127.0.0.1', signal: controller.signal }));
    const events = record(socket, ['connect', 'error', 'close'], run);
    counts.push(count(controller.signal));
    await new Promise((resolve) => process.nextTick(resolve));
    counts.push(count(controller.signal));
    await next(socket, 'connect');
    controller.abort();
    counts.push(count(controller.signal), socket.destroyed);
    await events.closed;
    // A socket that closes without an abort.
    const other = new AbortController();
    const closing = run.track(run.net.connect({ port, host: '127.0.0.1', signal: other.signal }));
    await next(closing, 'connect');
    closing.destroy();
    await next(closing, 'close');
    counts.push(count(other.signal));
    return { counts, events };
  });
  assert.deepEqual(node.counts, [1, 2, 0, true, 1]);
  assert.equal(node.events[1].error.name, 'AbortError');
  assert.deepEqual(ours, node);
});

test('a lookup answer that is no IP address string fails with net\'s errors', T, async () => {
  const answers = [1234, null, undefined, 2130706433n, true, 'nope', '127.0.0.1'];
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const server = await run.listen();
    const port = server.address().port;
    const results = [];
    const attempt = async (options) => {
      try {
        const socket = run.track(run.net.connect({ port, host: 'example.invalid', ...options }));
        return await new Promise((resolve) => {
          socket.on('error', (err) => resolve({ error: errorShape(err, run) }));
          socket.on('connect', () => resolve('connect'));
        });
      } catch (err) {
        return { threw: errorShape(err, run) };
      }
    };
    for (const value of answers) {
      results.push(await attempt({ family: 4, lookup: (h, o, cb) => cb(null, value, 4) }));
      results.push(await attempt({
        autoSelectFamily: true,
        lookup: (h, o, cb) => cb(null, [{ address: value, family: 4 }, { address: value, family: 6 }]),
      }));
    }
    // A family the address is not in; no answers at all.
    results.push(await attempt({ family: 4, lookup: (h, o, cb) => cb(null, '127.0.0.1', 6) }));
    results.push(await attempt({ autoSelectFamily: true, lookup: (h, o, cb) => cb(null, []) }));
    return results;
  });
  assert.equal(node[0].error.code, 'ERR_INVALID_IP_ADDRESS');
  assert.equal(node[6].error.message, 'Invalid IP address: 2130706433n');
  assert.equal(node[12], 'connect');
  assert.equal(node[14].error.code, 'EINVAL');
  assert.equal(node[15].threw.ctor, 'TypeError');
  assert.deepEqual(ours, node);
});

// Node's own net aborts the process (a failed native assertion) when an address that only
// looks like an IP reaches its handle, so these run on rsnet alone: no value from user code
// may reach the native layer unchecked.
test('rsnet: an IP-like object as a lookup answer, localAddress, host or listen host gets a Node error, not a binding one', T, async () => {
  const server = nodeNet.createServer((socket) => socket.destroy());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const ipLike = [['127.0.0.1'], { toString: () => '127.0.0.1' }, Object('127.0.0.1')];
  try {
    for (const value of ipLike) {
      for (const options of [
        { host: 'example.invalid', family: 4, lookup: (h, o, cb) => cb(null, value, 4) },
        { host: 'example.invalid', autoSelectFamily: true, lookup: (h, o, cb) => cb(null, [{ address: value, family: 4 }]) },
      ]) {
        const socket = rsnet.connect({ port, ...options });
        const [err] = await next(socket, 'error');
        assert.equal(err.code, 'ERR_INVALID_IP_ADDRESS');
      }
      assert.throws(() => rsnet.connect({ port, host: '127.0.0.1', localAddress: value }),
        { code: 'ERR_INVALID_IP_ADDRESS' });
      assert.throws(() => rsnet.connect({ port, host: value }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => rsnet.createServer().listen({ port: 0, host: value }),
        { code: 'ERR_INVALID_ARG_TYPE', message: /"hostname" argument must be of type string/ });
    }
  } finally {
    server.close();
  }
});

// ---------------------------------------------------------------------------------------
// 3. isIP, isIPv4, isIPv6

test('isIP, isIPv4 and isIPv6 agree with net on a table', { timeout: 5000 }, () => {
  const inputs = [
    '127.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04',
    ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4\n', '::', '::1', '::ffff:127.0.0.1', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001',
    'fe80::1%eth0', 'fe80::1%', '1::2::3', ':::', 'gggg::1', '2001:db8:0:0:0:0:0:0:1', '[::1]', 'localhost',
    'example.com', '', '0x7f.0.0.1', '127.1', '1.2.3.4/24', '::1/128',
    undefined, null, 0, 127001, {}, [], ['127.0.0.1'], true, NaN, { toString: () => '127.0.0.1' },
  ];
  const table = (net) => inputs.map((input) => [net.isIP(input), net.isIPv4(input), net.isIPv6(input)]);
  assert.deepEqual(table(rsnet), table(nodeNet));
  // And what Node documents, for a few rows.
  assert.equal(rsnet.isIP('127.0.0.1'), 4);
  assert.equal(rsnet.isIP('::1'), 6);
  assert.equal(rsnet.isIP('::ffff:127.0.0.1'), 6);
  assert.equal(rsnet.isIP('fe80::1%eth0'), 6);
  assert.equal(rsnet.isIP('127.000.000.001'), 0);
  assert.equal(rsnet.isIP('localhost'), 0);
  assert.equal(rsnet.isIP(undefined), 0);
  assert.equal(rsnet.isIPv4('10.0.0.1'), true);
  assert.equal(rsnet.isIPv4('::1'), false);
  assert.equal(rsnet.isIPv6('::1'), true);
  assert.equal(rsnet.isIPv6('10.0.0.1'), false);
});
