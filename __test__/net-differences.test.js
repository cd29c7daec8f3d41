'use strict';

// Differences from Node's net that code written for net ran into: each scenario runs on
// Node's net and on rsnet (helpers/compare.js) and what the two observed must match; each
// test also checks Node's result against what it is known to be, so that a scenario which
// observes nothing cannot pass.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const EventEmitter = require('node:events');
const { getEventListeners } = EventEmitter;
const nodeNet = require('node:net');
const { PerformanceObserver } = require('node:perf_hooks');

const rsnet = require('..');
const { delay, errorShape, next, outcome, record, sideBySide, tmpPath, until } = require('./helpers/compare');

const T = { timeout: 20000 };

// A connected pair: `client` from the implementation under test, `peer` Node's.
async function pair(run, serverOptions = {}) {
  const peers = [];
  const server = await run.listen(serverOptions, (socket) => peers.push(socket));
  const client = run.track(run.net.connect(server.address().port, '127.0.0.1'));
  await next(client, 'connect');
  await until(() => peers.length === 1, 'peer');
  return { client, peer: peers[0], server };
}

test('events of one batch: a data listener\'s process.nextTick runs before the next \'data\', as between libuv reads', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const order = [];
    let bytes = 0;
    const total = 32 * 65536;
    const server = await run.listen({ net: run.net }, (socket) => {
      socket.on('data', (chunk) => {
        bytes += chunk.length;
        order.push('data');
        process.nextTick(() => order.push('tick'));
      });
    });
    const client = run.track(nodeNet.connect(server.address().port, '127.0.0.1'));
    for (let i = 0; i < 32; i++) client.write(Buffer.alloc(65536));
    await until(() => bytes === total, 'all bytes', 10000);
    await delay(5);
    // Two 'data' in a row would mean a chunk came before the ticks of the one before it.
    const adjacent = order.some((entry, i) => entry === 'data' && order[i + 1] === 'data');
    return { bytes, adjacent, alternates: order.length % 2 === 0 };
  }, { timeout: 15000 });
  assert.deepEqual(node, { bytes: 32 * 65536, adjacent: false, alternates: true });
  assert.deepEqual(ours, node);
});

test('events.captureRejections: a rejected async \'connection\' listener destroys that socket with the reason', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    let socketEvents;
    let server;
    const saved = EventEmitter.captureRejections;
    EventEmitter.captureRejections = true;
    try {
      server = run.net.createServer(async (socket) => {
        socketEvents = record(socket, ['error', 'close'], run);
        throw new Error('listener failed');
      });
    } finally {
      EventEmitter.captureRejections = saved;
    }
    run.servers.add(server);
    const serverErrors = [];
    server.on('error', (err) => serverErrors.push(err.message));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = run.track(nodeNet.connect(server.address().port, '127.0.0.1'));
    const clientEvents = record(client, ['end', 'error', 'close'], run);
    client.resume();
    await clientEvents.closed;
    await until(() => socketEvents && socketEvents.includes('close(true)'), 'server socket close');
    return { socketEvents, clientEvents, serverErrors };
  });
  assert.equal(node.socketEvents[0].error.message, 'listener failed');
  assert.equal(node.socketEvents[1], 'close(true)');
  assert.deepEqual(ours, node);
});

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

test('objectMode, readableObjectMode and writableObjectMode throw ERR_INVALID_ARG_VALUE', T, async () => {
  const { node, rsnet: ours } = await sideBySide((run) => [
    { objectMode: true },
    { readableObjectMode: 1 },
    { writableObjectMode: 'yes' },
    { readableObjectMode: 0, writableObjectMode: true },
    { objectMode: false, readableObjectMode: null },
  ].map((options) => [
    outcome(() => new run.net.Socket(options).destroy(), run),
    outcome(() => run.net.connect({ ...options, port: 1, host: '127.0.0.1' }).on('error', () => {}).destroy(), run),
  ]));
  assert.equal(node[0][0].threw.code, 'ERR_INVALID_ARG_VALUE');
  assert.equal(node[0][0].threw.message, "The property 'options.objectMode' is not supported. Received true");
  assert.equal(node[4][0].returned, 'Socket');
  assert.deepEqual(ours, node);
});

test('server._connectionKey is family:address:port as listen() set it', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const keys = [];
    const path = run.label(tmpPath('key'), 'PATH');
    for (const args of [[0], [0, '127.0.0.1'], [{ port: '0', host: 'localhost' }], [path]]) {
      const server = run.net.createServer();
      run.servers.add(server);
      const before = server._connectionKey;
      server.listen(...args);
      await next(server, 'listening');
      const listening = server._connectionKey;
      await new Promise((resolve) => server.close(resolve));
      keys.push([before, run.mask(listening), run.mask(server._connectionKey)]);
    }
    return keys;
  });
  assert.deepEqual(node[1], [undefined, '4:127.0.0.1:0', '4:127.0.0.1:0']);
  assert.deepEqual(node[3], [undefined, '-1:PATH:-1', '-1:PATH:-1']);
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

test('setTimeout() after destroy() returns the socket, checks nothing and arms nothing; otherwise net\'s order', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const { client } = await pair(run);
    const timeouts = [];
    client.on('timeout', () => timeouts.push('timeout'));
    const live = [
      outcome(() => client.setTimeout('soon'), run),
      client.timeout,
      // Checked after the timer is set: the throw leaves it armed.
      outcome(() => client.setTimeout(5, 'not a function'), run),
    ];
    await delay(30);
    live.push(timeouts.length);
    client.destroy();
    const destroyed = [
      client.setTimeout(5, () => timeouts.push('callback')) === client,
      outcome(() => client.setTimeout('soon', 42), run),
      outcome(() => client.setTimeout(-1), run),
    ];
    await delay(30);
    return { live, destroyed, timeouts };
  });
  assert.equal(node.live[0].threw.code, 'ERR_INVALID_ARG_TYPE');
  assert.equal(node.live[1], 'soon');
  assert.equal(node.live[3], 1);
  assert.deepEqual(node.destroyed, [true, { returned: 'Socket' }, { returned: 'Socket' }]);
  assert.deepEqual(node.timeouts, ['timeout']);
  assert.deepEqual(ours, node);
});

test('allowHalfOpen false: a write queued in an immediate after the peer\'s end gets EPIPE in its callback and no \'error\'', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const server = await run.listen({}, (socket) => socket.end());
    const client = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const events = record(client, ['end', 'finish', 'error', 'close'], run);
    client.on('end', () => setImmediate(() => {
      events.push(['write returned', client.write('late', (err) => events.push(['callback', errorShape(err, run)]))]);
    }));
    client.resume();
    await events.closed;
    await delay(20);
    return events;
  });
  assert.deepEqual(node.filter((e) => typeof e === 'string'), ['end', 'finish', 'close(false)']);
  assert.equal(node.find((e) => e[0] === 'callback')[1].code, 'EPIPE');
  assert.deepEqual(ours, node);
});

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
        const client = run.track(nodeNet.connect(server.address().port, '127.0.0.1'));
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

// A handle object of net's shape, logging what the socket asks of it.
function stubHandle(log) {
  return {
    reading: false,
    bytesWritten: 0,
    readStart() { log.push('readStart'); return 0; },
    readStop() { log.push('readStop'); return 0; },
    shutdown(req) {
      log.push('shutdown');
      process.nextTick(() => req.oncomplete(0));
      return 0;
    },
    writeUtf8String(req, text) {
      log.push(`writeUtf8String(${text})`);
      this.bytesWritten += Buffer.byteLength(text);
      return 0;
    },
    writeBuffer(req, buffer) {
      log.push(`writeBuffer(${buffer.length})`);
      this.bytesWritten += buffer.length;
      return 0;
    },
    close(cb) {
      log.push('close');
      if (cb) process.nextTick(cb);
    },
    getAsyncId() { return 1; },
    getsockname(out) { Object.assign(out, { address: '10.0.0.1', port: 5, family: 'IPv4' }); return 0; },
    getpeername(out) { Object.assign(out, { address: '10.0.0.2', port: 6, family: 'IPv4' }); return 0; },
    setNoDelay(on) { log.push(`setNoDelay(${on})`); return 0; },
    setKeepAlive(on, delay) { log.push(`setKeepAlive(${on},${delay})`); return 0; },
    ref() { log.push('ref'); },
    unref() { log.push('unref'); },
  };
}

test('new Socket({ handle }) with a handle object of net\'s shape works as far as net\'s does', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const calls = [];
    const socket = new run.net.Socket({ handle: stubHandle(calls), noDelay: true });
    const events = record(socket, ['finish', 'error', 'close'], run);
    const seen = {
      pending: socket.pending,
      readyState: socket.readyState,
      remote: [socket.remoteAddress, socket.remotePort, socket.remoteFamily],
      local: socket.address(),
    };
    socket.setNoDelay(true);
    socket.setNoDelay(false);
    socket.setKeepAlive(true, 2000);
    socket.unref();
    socket.ref();
    seen.write = socket.write('hi', () => events.push('write callback'));
    seen.bytesWritten = socket.bytesWritten;
    socket.end();
    await until(() => events.includes('finish'), 'finish');
    socket.destroy();
    await events.closed;
    return { seen, events, calls };
  });
  assert.deepEqual(node.calls, ['readStart', 'setNoDelay(false)', 'setKeepAlive(true,2)', 'unref', 'ref',
    'writeUtf8String(hi)', 'shutdown', 'close']);
  assert.deepEqual(node.seen.remote, ['10.0.0.2', 6, 'IPv4']);
  assert.deepEqual(ours, node);
});

test('new Socket({ handle }) with Node\'s own connected handle reads and writes through it', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const server = await run.listen({}, (socket) => socket.pipe(socket));
    const original = run.track(nodeNet.connect(server.address().port, '127.0.0.1'));
    await next(original, 'connect');
    const socket = run.track(new run.net.Socket({ handle: original._handle }));
    const events = record(socket, ['data', 'end', 'error', 'close'], run);
    socket.on('data', () => socket.end());
    socket.write('hello');
    await events.closed;
    return { events, data: Buffer.concat(events.data).toString() };
  });
  assert.deepEqual(node, { events: ['data', 'end', 'close(false)'], data: 'hello' });
  assert.deepEqual(ours, node);
});
