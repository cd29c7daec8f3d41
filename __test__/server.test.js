'use strict';

// net.Server, BlockList/SocketAddress and the module-wide defaults (issue #4); Unix sockets
// are in unix.test.js.
// Most scenarios run once on Node's own net and once on rsnet, and what the two runs saw
// (events in order, data, properties, error fields) must be equal. Each test also checks
// Node's result against what the documentation promises, so that a scenario which
// observes nothing cannot pass. Clients and peers are Node's net unless a test says so,
// so a difference is the server's.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const EventEmitter = require('node:events');
const { once } = EventEmitter;
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
// The same, where a scenario's own `net` is the implementation it runs on.
const nodeNet = net;

const {
  IMPLEMENTATIONS, LOAD_IMPL, closeServer, connectOutcome, delay, errorShape, hasCommand, implEnv, later,
  listenOutcome, listening, mask, next, record, rsnet, runNode, runNodeSync, runSync, sameOnBoth, sideBySide,
  ssBacklog, startNode, startServer, testScope, tmpDir, tmpPath, until, within,
} = require('./helpers');
// Which Node line this is, where net's own answers differ between lines.
const line = require('../lib/node-line');

const T = { timeout: 15000 };
const ERRNO = os.constants.errno;
const FIXTURES = path.join(__dirname, 'fixtures');
// Each side runs for up to 8 s.
const RUN = { timeout: 8000 };

// Everything a user can see of an error (these expectations leave the stack out).
function errShape(err) {
  return errorShape(err, null, { header: false });
}

const HAVE_SS = hasCommand('ss', ['-V']);

// ---------------------------------------------------------------------------------------
// 1. Exports

test('exports: every key of net is also a key of rsnet', T, () => {
  const missing = Object.keys(net).filter((key) => !Object.keys(rsnet).includes(key));
  assert.deepEqual(missing, []);
  for (const key of Object.keys(net)) {
    assert.equal(typeof rsnet[key], typeof net[key], `typeof rsnet.${key}`);
  }
});

// ---------------------------------------------------------------------------------------
// 2. listen()

describe('listen', () => {
  test('listen() and listen(cb): a free port on "::", reachable over IPv4 and IPv6', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const out = [];
      for (const form of ['listen()', 'listen(cb)']) {
        const seen = [];
        const server = scope.server(m, (socket) => {
          seen.push([socket.remoteAddress, socket.remoteFamily, socket.localAddress, socket.localFamily]);
          socket.end('hi');
        });
        let cbCalls = 0;
        if (form === 'listen()') server.listen();
        else server.listen(() => cbCalls++);
        await once(server, 'listening');
        const address = server.address();
        for (const host of ['127.0.0.1', '::1']) {
          const socket = scope.peerClient(address.port, host);
          socket.setEncoding('utf8');
          let data = '';
          socket.on('data', (chunk) => (data += chunk));
          await once(socket, 'end');
          seen.push(data);
        }
        out.push({ form, family: address.family, address: address.address, portOk: address.port > 0,
          cbCalls, seen });
        await closeServer(server);
      }
      return out;
    }, RUN);
    assert.deepEqual(result.node[0], {
      form: 'listen()', family: 'IPv6', address: '::', portOk: true, cbCalls: 0,
      seen: [['::ffff:127.0.0.1', 'IPv6', '::ffff:127.0.0.1', 'IPv6'], 'hi', ['::1', 'IPv6', '::1', 'IPv6'], 'hi'],
    });
    assert.equal(result.node[1].cbCalls, 1);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('listen(port[, host][, backlog][, cb]) and listen(options[, cb]): address, callback, backlog', T,
    async (t) => {
      if (!HAVE_SS) t.skip('ss is not installed: backlogs are not checked');
      const forms = [
        ['listen(0, host, 5, cb)', (cb) => [0, '127.0.0.1', 5, cb]],
        ['listen(0, host, cb)', (cb) => [0, '127.0.0.1', cb]],
        ['listen("0", host, "9")', () => ['0', '127.0.0.1', '9']],
        ['listen(0, 3, cb)', (cb) => [0, 3, cb]],
        ['listen(0, cb)', (cb) => [0, cb]],
        ['listen({ port, host, backlog }, cb)', (cb) => [{ port: 0, host: '127.0.0.1', backlog: 7 }, cb]],
        ['listen({ port: "0", host: "::1" })', () => [{ port: '0', host: '::1' }]],
        ['listen({ port, host: "localhost" })', () => [{ port: 0, host: 'localhost' }]],
      ];
      const result = await sideBySide(async (scope) => {
        const m = scope.net;
        const out = [];
        for (const [label, make] of forms) {
          const server = scope.server(m);
          const calls = [];
          const cb = function (...args) {
            calls.push({ thisIsServer: this === server, args: args.length });
          };
          const returned = server.listen(...make(cb));
          await once(server, 'listening');
          const { address, family, port } = server.address();
          out.push({
            label, returnsServer: returned === server, address, family, portOk: port > 0, calls,
            backlog: HAVE_SS ? ssBacklog(['-t', '-n', `sport = :${port}`]) : null,
          });
          await closeServer(server);
        }
        return out;
      }, RUN);
      assert.deepEqual(result.node[0], {
        label: 'listen(0, host, 5, cb)', returnsServer: true, address: '127.0.0.1', family: 'IPv4', portOk: true,
        calls: [{ thisIsServer: true, args: 0 }], backlog: HAVE_SS ? 5 : null,
      });
      assert.deepEqual(result.rsnet, result.node);
    });

  test('listen(null), listen(null, cb) and listen({ port: null | undefined }) pick a free port, as in net', T,
    async () => {
      const forms = [
        ['listen(null)', () => [null]],
        ['listen(null, cb)', (cb) => [null, cb]],
        ['listen({ port: null })', () => [{ port: null }]],
        ['listen({ port: undefined, host })', () => [{ port: undefined, host: '127.0.0.1' }]],
      ];
      const result = await sideBySide(async (scope) => {
        const m = scope.net;
        const out = [];
        for (const [label, make] of forms) {
          const server = scope.server(m);
          let cbCalls = 0;
          const outcome = await listenOutcome(server, ...make(() => cbCalls++));
          if (outcome.address) outcome.address = { ...outcome.address, port: outcome.address.port > 0 };
          out.push({ label, outcome, cbCalls });
          if (server.listening) await closeServer(server);
        }
        return out;
      }, RUN);
      assert.deepEqual(result.node[1], {
        label: 'listen(null, cb)',
        outcome: { listening: true, address: { address: '::', family: 'IPv6', port: true } },
        cbCalls: 1,
      });
      assert.deepEqual(result.rsnet, result.node);
    });

  test('close() or a second listen() while listen() looks up its host abandons that lookup, as in net', T,
    async () => {
      const result = await sideBySide(async (scope) => {
        const m = scope.net;
        const trace = [];
        const closed = scope.server(m);
        closed.on('listening', () => trace.push('closed server: listening'));
        closed.listen(0, 'localhost');
        closed.close((err) => trace.push(`closed server: close cb ${err && err.code}`));
        const twice = scope.server(m);
        twice.on('listening', () => trace.push(`twice: listening on ${twice.address().family}`));
        twice.listen(0, 'localhost', () => trace.push('twice: first callback'));
        twice.listen(0, '127.0.0.1', () => trace.push('twice: second callback'));
        await delay(300);
        trace.push(`closed server listening: ${closed.listening}`);
        if (twice.listening) await closeServer(twice);
        return trace;
      }, RUN);
      assert.deepEqual(result.node, [
        'closed server: close cb ERR_SERVER_NOT_RUNNING',
        'twice: listening on IPv4',
        'twice: first callback',
        'twice: second callback',
        'closed server listening: false',
      ]);
      assert.deepEqual(result.rsnet, result.node);
    });

  test('a backlog that is not a number is tolerated, as in net', T, async () => {
    const result = await bothInChildren('backlog');
    assert.deepEqual(result.node, { result: ['IPv4', 'IPv4', 'IPv4', 'IPv4'], code: 0, exitedOnItsOwn: true });
    assert.deepEqual(result.rsnet, result.node);
  });

  test("'listening' event, listen callback and the listening property", T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const trace = [];
      const server = scope.server(m);
      trace.push(`before listen: ${server.listening} ${server.address()}`);
      server.on('listening', () => trace.push(`listening event: ${server.listening} ${server.address().family}`));
      server.listen(0, () => trace.push(`listen callback: ${server.listening}`));
      trace.push(`after listen(): ${server.listening}`);
      await once(server, 'listening');
      trace.push('awaited');
      server.on('close', () => trace.push(`close event: ${server.listening}`));
      server.close(() => trace.push('close callback'));
      trace.push(`after close(): ${server.listening} ${server.address()}`);
      await once(server, 'close');
      await delay(10);
      return trace;
    }, RUN);
    assert.deepEqual(result.node, [
      'before listen: false null',
      'after listen(): true',
      'listening event: true IPv6',
      'listen callback: true',
      'awaited',
      'after close(): false null',
      'close event: false',
      'close callback',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('listen() on a listening server throws ERR_SERVER_ALREADY_LISTEN', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const out = [];
      const server = scope.server(m);
      server.listen(0);
      const attempts = [
        () => server.listen(0),
        () => server.listen({ port: 0, host: '127.0.0.1' }),
        () => server.listen(tmpPath(`${name}-already`)),
      ];
      try {
        attempts[0]();
        out.push('no throw while binding');
      } catch (err) {
        out.push(errShape(err));
      }
      await once(server, 'listening');
      for (const attempt of attempts) {
        try {
          attempt();
          out.push('no throw');
        } catch (err) {
          out.push(errShape(err));
        }
      }
      out.push(`still listening: ${server.listening}`);
      return out;
    }, RUN);
    assert.equal(result.node.length, 5);
    for (const shape of result.node.slice(0, 4)) {
      assert.deepEqual(shape, {
        ctor: 'Error', name: 'Error', code: 'ERR_SERVER_ALREADY_LISTEN', keys: ['code'],
        message: 'Listen method has been called more than once without closing.',
      });
    }
    assert.deepEqual(result.rsnet, result.node);
  });

  test('EADDRINUSE: error fields, no listening event, the server stays closed', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const holder = scope.server(net);
      const { port } = await listening(holder, 0);
      const names = new Map([[port, 'PORT']]);
      const out = [];
      for (const args of [[port, '127.0.0.1'], [port], [{ port, host: '::1' }], [{ port, host: 'localhost' }]]) {
        const server = scope.server(m);
        const events = [];
        server.on('listening', () => events.push('listening'));
        server.on('close', () => events.push('close'));
        const outcome = await listenOutcome(server, ...args);
        await delay(10);
        out.push(mask({ outcome, events, listening: server.listening, address: server.address() }, names));
      }
      return out;
    }, RUN);
    assert.deepEqual(result.node[1], {
      outcome: {
        error: {
          ctor: 'Error', name: 'Error', keys: ['code', 'errno', 'syscall', 'address', 'port'],
          message: 'listen EADDRINUSE: address already in use :::PORT',
          code: 'EADDRINUSE', errno: -os.constants.errno.EADDRINUSE, syscall: 'listen', address: '::', port: 'PORT',
        },
      },
      events: [],
      listening: false,
      address: null,
    });
    assert.deepEqual(result.rsnet, result.node);
  });

  test('invalid listen() arguments throw what net throws', T, async () => {
    const cases = [
      [{}], [{ port: 70000 }], [{ port: true }], [{ port: -1 }], [{ port: 'abc' }], [{ port: 1.5 }],
      [{ host: '127.0.0.1' }], [{ path: '' }], [{ port: 0, host: 5 }], [{ port: 0, signal: 'x' }],
      [true], [{ port: 0, host: '127.0.0.1', ipv6Only: true, signal: {} }],
    ];
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      return cases.map((args) => {
        const server = scope.server(m);
        try {
          server.listen(...args);
          return 'no throw';
        } catch (err) {
          return errShape(err);
        }
      });
    }, RUN);
    assert.deepEqual(result.node.slice(0, 3), [
      {
        ctor: 'TypeError', name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', keys: ['code'],
        message: 'The argument \'options\' must have the property "port" or "path". Received {}',
      },
      {
        ctor: 'RangeError', name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', keys: ['code'],
        message: 'options.port should be >= 0 and < 65536. Received type number (70000).',
      },
      {
        ctor: 'TypeError', name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', keys: ['code'],
        message: 'The argument \'options\' is invalid. Received { port: true }',
      },
    ]);
    assert.ok(result.node.every((r) => r !== 'no throw'));
    assert.deepEqual(result.rsnet, result.node);
  });

  test('ipv6Only: "::" without IPv4; IPv4 can bind the same port beside it', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const remotes = [];
      const server = scope.server(m, (socket) => {
        remotes.push(socket.remoteAddress);
        socket.end();
      });
      const address = await listening(server, { port: 0, host: '::', ipv6Only: true });
      const v4 = await connectOutcome(scope, address.port, '127.0.0.1');
      const v6 = await connectOutcome(scope, address.port, '::1');
      const beside = scope.server(m);
      const besideOutcome = await listenOutcome(beside, address.port, '0.0.0.0');
      const dual = scope.server(m, (socket) => {
        remotes.push(socket.remoteAddress);
        socket.end();
      });
      const dualOutcome = await listenOutcome(dual, { port: 0, host: '::', ipv6Only: false });
      const dualV4 = await connectOutcome(scope, dual.address().port, '127.0.0.1');
      // Both accepted connections reported before the servers close.
      while (remotes.length < 2) await delay(5);
      return {
        remotes: remotes.sort(),
        address: { ...address, port: typeof address.port }, v4, v6,
        beside: besideOutcome.address ? besideOutcome.address.address : besideOutcome, dualV4,
        dual: dualOutcome.address.family,
      };
    }, RUN);
    assert.deepEqual(result.node, {
      remotes: ['::1', '::ffff:127.0.0.1'],
      address: { address: '::', family: 'IPv6', port: 'number' }, v4: 'ECONNREFUSED', v6: 'connect',
      beside: '0.0.0.0', dualV4: 'connect', dual: 'IPv6',
    });
    assert.deepEqual(result.rsnet, result.node);
  });

  test('signal: aborting closes the server; an aborted signal never listens', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const trace = [];
      const ac = new AbortController();
      const server = scope.server(m);
      for (const event of ['listening', 'close', 'error']) server.on(event, () => trace.push(event));
      const { port } = await listening(server, { port: 0, host: '127.0.0.1', signal: ac.signal });
      ac.abort();
      trace.push(`after abort(): ${server.listening}`);
      await once(server, 'close');
      // A moment later, so that this checks the port is closed, not how fast (see the close tests).
      await delay(50);
      trace.push(`port after abort: ${await connectOutcome(scope, port, '127.0.0.1')}`);

      const early = scope.server(m);
      for (const event of ['listening', 'close', 'error']) early.on(event, () => trace.push(`early ${event}`));
      let cbCalls = 0;
      early.listen({ port: 0, signal: AbortSignal.abort() }, () => cbCalls++);
      await delay(50);
      trace.push(`early: listening ${early.listening}, callback ${cbCalls}`);
      return trace;
    }, RUN);
    assert.deepEqual(result.node, [
      'listening', 'after abort(): false', 'close', 'port after abort: ECONNREFUSED',
      'early close', 'early: listening false, callback 0',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('reusePort: two servers share a port and both accept, as net (Node 20 net ignores the option)', T,
    async () => {
      const result = await sideBySide(async (scope) => {
        const m = scope.net;
        const served = [0, 0];
        const a = scope.server(m, (socket) => {
          served[0]++;
          socket.end('a');
        });
        const b = scope.server(m, (socket) => {
          served[1]++;
          socket.end('b');
        });
        const { port } = await listening(a, { port: 0, host: '127.0.0.1', reusePort: true });
        const second = await listenOutcome(b, { port, host: '127.0.0.1', reusePort: true });
        if (!second.listening) return { second: second.error && second.error.code };
        const replies = [];
        await Promise.all(Array.from({ length: 40 }, async () => {
          const socket = scope.peerClient(port, '127.0.0.1');
          socket.setEncoding('utf8');
          let data = '';
          socket.on('data', (chunk) => (data += chunk));
          await once(socket, 'end');
          replies.push(data);
        }));
        // Without reusePort on the third, the port is taken.
        const third = await listenOutcome(scope.server(m), { port, host: '127.0.0.1' });
        return {
          second: second.address.port === port,
          replies: replies.length,
          total: served[0] + served[1],
          both: served[0] > 0 && served[1] > 0,
          third: third.error && third.error.code,
        };
      }, RUN);
      if (line.reusePort) {
        assert.deepEqual(result.node, { second: true, replies: 40, total: 40, both: true, third: 'EADDRINUSE' });
      } else {
        assert.deepEqual(result.node, { second: 'EADDRINUSE' });
      }
      assert.deepEqual(result.rsnet, result.node);
    });
});

// ---------------------------------------------------------------------------------------
// listen(), side by side with net from first call to 'listening' (issue #2): when the
// address is known, when 'listening' comes, and EADDRINUSE as an asynchronous 'error'.

// Without a host Node binds inside listen(); with one, even an IP literal, it looks the host
// up first, so address() is null until then. 'listening' and the callback come later.
for (const [label, args] of [
  ['listen(0, \'127.0.0.1\')', [0, '127.0.0.1']],
  ['listen(0)', [0]],
  ['listen(0, \'::1\')', [0, '::1']],
  ['listen({ port: 0, host: \'127.0.0.1\' })', [{ port: 0, host: '127.0.0.1' }]],
]) {
  test(`${label}: address() at once, 'listening' later, and the port bound, as net`, { timeout: 5000 },
    async (t) => {
      const result = await sameOnBoth(async ({ net, track }) => {
        const server = track(net.createServer());
        const seen = [];
        let synchronous = true;
        server.on('listening', () => seen.push(['event', synchronous]));
        const returned = server.listen(...args, () => seen.push(['callback', synchronous]));
        const info = server.address();
        const listeningAtOnce = server.listening;
        synchronous = false;
        await once(server, 'listening');
        const after = server.address();
        // The port really is bound: a connection made now is accepted.
        const host = after.address === '::' ? '127.0.0.1' : after.address;
        const client = track(nodeNet.connect(after.port, host));
        const [[socket]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
        track(socket);
        return {
          returnsServer: returned === server,
          atOnce: info === null ? null : { address: info.address, family: info.family, keys: Object.keys(info) },
          listeningAtOnce,
          seen,
          after: { address: after.address, family: after.family, keys: Object.keys(after) },
          accepted: socket.localPort === after.port,
        };
      });
      assert.equal(result.returnsServer, true);
      assert.deepEqual(result.seen, [['event', false], ['callback', false]]);
      assert.equal(result.accepted, true);
      // Node itself: known at once only without a host.
      assert.equal(result.atOnce === null, args.length > 1 || typeof args[0] === 'object');
    });
}

test('listen(0) with no host reports the same address shape as net', { timeout: 5000 }, async (t) => {
  await sameOnBoth(async ({ net, track }) => {
    const server = track(net.createServer());
    server.listen(0);
    const info = server.address();
    assert.ok(info, 'address() right after listen(0)');
    await once(server, 'listening');
    return { address: info.address, family: info.family, keys: Object.keys(info) };
  });
});

for (const host of ['127.0.0.1', '::1', undefined]) {
  test(`EADDRINUSE on ${host ?? 'no host'}: an async 'error' event with net's fields`, { timeout: 5000 }, async (t) => {
    const { track } = testScope(t);
    const holder = await startServer(nodeNet, track, undefined, 0, host);
    const { port } = holder.address();
    const observed = {};
    for (const [name, net] of IMPLEMENTATIONS) {
      const server = track(net.createServer());
      const events = [];
      let synchronous = true;
      server.on('listening', () => events.push('listening'));
      const error = new Promise((resolve) => server.once('error', (err) => {
        events.push(`error(sync=${synchronous})`);
        resolve(err);
      }));
      let thrown = null;
      try {
        server.listen(port, host);
      } catch (err) {
        thrown = err;
      }
      synchronous = false;
      const err = await Promise.race([error, later(2000, null)]);
      assert.ok(err, `${name}: no 'error' event`);
      await delay(20); // a 'listening' after the error would show here
      observed[name] = {
        thrown: thrown && thrown.message,
        events,
        error: errorShape(err),
        address: server.address(),
        listening: server.listening,
      };
    }
    assert.equal(observed.node.error.code, 'EADDRINUSE');
    assert.equal(observed.node.error.errno, -ERRNO.EADDRINUSE);
    assert.deepEqual(observed.node.events, ['error(sync=false)']);
    assert.deepEqual(observed.rsnet, observed.node);
  });
}

// ---------------------------------------------------------------------------------------
// 3. close(), connections and per-connection options

describe('close and connections', () => {
  test('close() refuses new connections at once; close fires after the last connection ends', T, async () => {
    const result = await bothInChildren('close-refuses');
    assert.deepEqual(result.node, {
      result: {
        firstTrace: [
          'connection', 'after close(): listening false', 'second client: ECONNREFUSED', 'first client ends',
          'server socket end', 'close event', 'close callback undefined', 'server socket close',
        ],
        refused: { ECONNREFUSED: 150 },
      },
      code: 0,
      exitedOnItsOwn: true,
    });
    assert.deepEqual(result.rsnet, result.node);
  });

  test('close() frees the port at once: another server can bind it right away', T, async () => {
    const result = await bothInChildren('close-rebind');
    assert.deepEqual(result.node, { result: { listening: 200 }, code: 0, exitedOnItsOwn: true });
    assert.deepEqual(result.rsnet, result.node);
  });

  test('close() while clients connect: connections never reported do not keep the process alive', T, async () => {
    const result = await bothInChildren('close-pending');
    assert.deepEqual(result.node, { result: { closed: true, someNotReported: true }, code: 0, exitedOnItsOwn: true });
    assert.deepEqual(result.rsnet, result.node);
  });

  test('close() on a server that is not listening: ERR_SERVER_NOT_RUNNING in the callback', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const trace = [];
      const server = scope.server(m);
      server.on('close', () => trace.push('close event'));
      const returned = server.close((err) => trace.push(err ? errShape(err) : 'no error'));
      trace.push(`returns server: ${returned === server}`);
      await delay(20);
      // Twice: a listening server closed, then closed again.
      await listening(server, 0, '127.0.0.1');
      server.close((err) => trace.push(`first: ${err}`));
      server.close((err) => trace.push(`second: ${err && err.code}`));
      await delay(20);
      return trace;
    }, RUN);
    assert.deepEqual(result.node, [
      'returns server: true',
      'close event',
      {
        ctor: 'Error', name: 'Error', code: 'ERR_SERVER_NOT_RUNNING', keys: ['code'],
        message: 'Server is not running.',
      },
      'close event',
      'first: undefined',
      'second: ERR_SERVER_NOT_RUNNING',
      'close event',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('getConnections(cb) counts open connections; a missing callback throws', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const counts = [];
      const count = () => new Promise((resolve) => server.getConnections((err, n) => resolve(err || n)));
      const accepted = [];
      const server = scope.server(m, (socket) => accepted.push(socket));
      const { port } = await listening(server, 0, '127.0.0.1');
      counts.push(await count());
      const clients = [];
      for (let i = 0; i < 3; i++) {
        clients.push(scope.peerClient(port, '127.0.0.1'));
        await once(server, 'connection');
        counts.push(await count());
      }
      clients[0].destroy();
      await once(accepted[0], 'close');
      counts.push(await count());
      accepted[1].destroy();
      await once(accepted[1], 'close');
      counts.push(await count());
      let threw;
      try {
        server.getConnections();
      } catch (err) {
        threw = errShape(err);
      }
      return { counts, threw, returnsServer: server.getConnections(() => {}) === server };
    }, RUN);
    assert.deepEqual(result.node.counts, [0, 1, 2, 3, 2, 1]);
    assert.equal(result.node.threw.code, 'ERR_INVALID_ARG_TYPE');
    assert.deepEqual(result.rsnet, result.node);
  });

  test("maxConnections: the excess is closed and 'drop' carries net's fields", T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const accepted = [];
      const server = scope.server(m, (socket) => {
        accepted.push(socket);
        socket.write('welcome');
      });
      server.maxConnections = 1;
      const drops = [];
      server.on('drop', (data) => drops.push(data));
      const { port } = await listening(server, 0, '127.0.0.1');
      const first = scope.peerClient(port, '127.0.0.1');
      await once(server, 'connection');
      const second = scope.peerClient(port, '127.0.0.1');
      const events = [];
      let secondPort;
      second.on('connect', () => {
        secondPort = second.localPort;
        events.push('connect');
      });
      second.on('data', (chunk) => events.push(`data ${chunk}`));
      second.on('end', () => events.push('end'));
      second.on('error', (err) => events.push(`error ${err.code}`));
      await once(second, 'close');
      await delay(10);
      const names = new Map([[port, 'SERVER_PORT'], [secondPort, 'CLIENT_PORT']]);
      const drop = drops[0];
      let connections;
      await new Promise((resolve) => server.getConnections((err, n) => resolve(connections = n)));
      // The slot frees up once the first connection closed.
      first.destroy();
      await once(accepted[0], 'close');
      const third = await new Promise((resolve) => {
        const socket = scope.peerClient(port, '127.0.0.1');
        socket.once('data', (chunk) => resolve(String(chunk)));
        socket.once('close', () => resolve('closed'));
      });
      return mask({
        drops: drops.length, nullPrototype: Object.getPrototypeOf(drop) === null, drop: { ...drop },
        events, connections, third,
      }, names);
    }, RUN);
    assert.deepEqual(result.node, {
      drops: 1,
      nullPrototype: true,
      drop: {
        localAddress: '127.0.0.1', localPort: 'SERVER_PORT', localFamily: 'IPv4',
        remoteAddress: '127.0.0.1', remotePort: 'CLIENT_PORT', remoteFamily: 'IPv4',
      },
      events: ['connect', 'end'],
      connections: 1,
      third: 'welcome',
    });
    assert.deepEqual(result.rsnet, result.node);
  });

  test("maxConnections on a Unix socket: the excess is closed, 'drop' has what net gives", T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const file = path.join(tmpDir(name), 'max.sock');
      const server = scope.server(m, (socket) => socket.write('welcome'));
      server.maxConnections = 1;
      const drops = [];
      server.on('drop', (...args) => drops.push(args.map((a) => (a === undefined ? 'undefined' : { ...a }))));
      await listening(server, file);
      scope.peerClient(file);
      await once(server, 'connection');
      const second = scope.peerClient(file);
      const events = [];
      for (const event of ['connect', 'end', 'close']) second.on(event, () => events.push(event));
      second.on('data', (chunk) => events.push(`data ${chunk}`));
      second.on('error', (err) => events.push(`error ${err.code}`));
      await once(second, 'close');
      await delay(10);
      return { drops, events };
    }, RUN);
    assert.equal(result.node.drops.length, 1);
    assert.deepEqual(result.node.events, ['connect', 'end', 'close']);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('maxConnections values: 0, negative, fractional, null, NaN, a string', T, async () => {
    const values = [0, -1, 1.5, null, NaN, '1', undefined];
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const out = [];
      for (const value of values) {
        const server = scope.server(m, (socket) => socket.end('ok'));
        server.maxConnections = value;
        let drops = 0;
        server.on('drop', () => drops++);
        const { port } = await listening(server, 0, '127.0.0.1');
        const reply = await new Promise((resolve) => {
          const socket = scope.peerClient(port, '127.0.0.1');
          let data = '';
          socket.on('data', (chunk) => (data += chunk));
          socket.on('close', () => resolve(data));
        });
        await delay(5);
        out.push(`${String(value)}: reply ${JSON.stringify(reply)}, drops ${drops}`);
        await closeServer(server);
      }
      return out;
    }, RUN);
    // Node 20 applies the limit only when maxConnections is truthy (0 means no limit), later
    // lines whenever it is not null or undefined.
    assert.equal(result.node[0], line.maxConnectionsUnlessNullish ? '0: reply "", drops 1' :
      '0: reply "ok", drops 0');
    assert.equal(result.node[1], '-1: reply "", drops 1');
    assert.deepEqual(result.rsnet, result.node);
  });

  test('createServer(options): validation and the values the server keeps, as net', T, () => {
    const cases = [
      ['x'], [5], [null], [undefined, () => {}], [{}, 'not a function'],
      [{ highWaterMark: -1 }], [{ highWaterMark: 'x' }], [{ highWaterMark: 0 }], [{ highWaterMark: 1.5 }],
      [{ keepAliveInitialDelay: 'x' }], [{ keepAliveInitialDelay: 1500 }], [{ keepAliveInitialDelay: -5 }],
      [{ noDelay: 1, keepAlive: 'yes', pauseOnConnect: 0, allowHalfOpen: 1 }],
    ];
    const result = {};
    for (const [name, m] of IMPLEMENTATIONS) {
      result[name] = cases.map((args) => {
        try {
          const server = m.createServer(...args);
          const { highWaterMark, keepAliveInitialDelay, noDelay, keepAlive, pauseOnConnect, allowHalfOpen } = server;
          return {
            highWaterMark, keepAliveInitialDelay, noDelay, keepAlive, pauseOnConnect, allowHalfOpen,
            connectionListeners: server.listenerCount('connection'), listening: server.listening,
            address: server.address(), maxConnections: server.maxConnections,
          };
        } catch (err) {
          return errShape(err);
        }
      });
    }
    assert.equal(result.node[0].code, 'ERR_INVALID_ARG_TYPE');
    assert.equal(result.node[3].connectionListeners, 1);
    assert.equal(result.node[2].highWaterMark, line.defaultHighWaterMark);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('highWaterMark option: accepted sockets get it; an invalid one falls back to the default', T,
    async () => {
      const result = await bothInChildren('high-water-mark');
      const HWM = line.defaultHighWaterMark;
      assert.deepEqual(result.node, {
        result: [
          { option: 1234, readable: 1234, writable: 1234, reply: 'ok' },
          { option: 'undefined', readable: HWM, writable: HWM, reply: 'ok' },
          { option: -1, readable: HWM, writable: HWM, reply: 'ok' },
        ],
        code: 0,
        exitedOnItsOwn: true,
      });
      assert.deepEqual(result.rsnet, result.node);
    });

  test("'connection': the accepted socket's state and addresses", T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const out = [];
      for (const host of ['127.0.0.1', '::1']) {
        const server = scope.server(m);
        const { port } = await listening(server, 0, host);
        const client = scope.peerClient(port, host);
        const [[socket]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
        const names = new Map([[port, 'SERVER_PORT'], [client.localPort, 'CLIENT_PORT']]);
        out.push(mask({
          server: socket.server === server, _server: socket._server === server,
          connecting: socket.connecting, pending: socket.pending, readyState: socket.readyState,
          readable: socket.readable, writable: socket.writable, isPaused: socket.isPaused(),
          readableFlowing: socket.readableFlowing, allowHalfOpen: socket.allowHalfOpen,
          bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten, timeout: socket.timeout,
          remote: [socket.remoteAddress, socket.remotePort, socket.remoteFamily],
          local: [socket.localAddress, socket.localPort, socket.localFamily],
          address: socket.address(),
        }, names));
        socket.destroy();
        await closeServer(server);
      }
      return out;
    }, RUN);
    assert.deepEqual(result.node[0].remote, ['127.0.0.1', 'CLIENT_PORT', 'IPv4']);
    assert.deepEqual(result.node[1].address, { address: '::1', family: 'IPv6', port: 'SERVER_PORT' });
    assert.equal(result.node[0].server, true);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('allowHalfOpen: the server socket stays writable after the client ends, or ends with it', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const out = {};
      for (const allowHalfOpen of [true, false]) {
        const trace = [];
        const server = scope.server(m, { allowHalfOpen }, (socket) => {
          socket.setEncoding('utf8');
          socket.on('data', (chunk) => trace.push(`server data ${chunk}`));
          socket.on('end', () => {
            trace.push(`server end, writable ${socket.writable}`);
            setTimeout(() => {
              trace.push(`later: writable ${socket.writable}`);
              if (socket.writable) socket.end('late reply');
            }, 20);
          });
          socket.on('finish', () => trace.push('server finish'));
          socket.on('close', () => trace.push('server close'));
        });
        trace.push(`server.allowHalfOpen ${server.allowHalfOpen}`);
        const { port } = await listening(server, 0, '127.0.0.1');
        const client = scope.peerClient({ port, host: '127.0.0.1', allowHalfOpen: true });
        client.setEncoding('utf8');
        client.end('request');
        let data = '';
        client.on('data', (chunk) => (data += chunk));
        await once(client, 'end');
        await delay(30);
        trace.push(`client got ${JSON.stringify(data)}`);
        client.destroy();
        out[allowHalfOpen] = trace;
      }
      return out;
    }, RUN);
    assert.deepEqual(result.node.true, [
      'server.allowHalfOpen true', 'server data request', 'server end, writable true',
      'later: writable true', 'server finish', 'server close', 'client got "late reply"',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('pauseOnConnect: no data until resume()', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const trace = [];
      let resumed;
      const done = new Promise((resolve) => (resumed = resolve));
      const server = scope.server(m, { pauseOnConnect: true }, (socket) => {
        trace.push(`connection: isPaused ${socket.isPaused()}, readableFlowing ${socket.readableFlowing}`);
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => trace.push(`data ${chunk}`));
        socket.on('end', () => {
          trace.push('end');
          socket.end();
          resumed();
        });
        setTimeout(() => {
          trace.push(`before resume: bytesRead ${socket.bytesRead}`);
          socket.resume();
        }, 100);
      });
      trace.push(`server.pauseOnConnect ${server.pauseOnConnect}`);
      const { port } = await listening(server, 0, '127.0.0.1');
      const client = scope.peerClient(port, '127.0.0.1');
      client.end('early bytes');
      await done;
      return trace;
    }, RUN);
    assert.deepEqual(result.node, [
      'server.pauseOnConnect true',
      'connection: isPaused true, readableFlowing false',
      'before resume: bytesRead 0',
      'data early bytes',
      'end',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });

  // Reads the options of this process's TCP socket localPort<->remotePort with Linux's
  // pidfd_getfd (a copy of the descriptor), from Python: Node has no getsockopt.
  const SOCKOPT_PY = `
import ctypes, json, os, socket, sys
pid, lport, rport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
try:
    pidfd = os.pidfd_open(pid)
except Exception as e:
    print(json.dumps({'error': str(e)})); sys.exit(0)
out = {'error': 'socket not found'}
for name in os.listdir('/proc/%d/fd' % pid):
    try:
        if not os.readlink('/proc/%d/fd/%s' % (pid, name)).startswith('socket:'): continue
    except OSError:
        continue
    fd = libc.syscall(438, pidfd, int(name), 0)
    if fd < 0:
        out = {'error': 'pidfd_getfd: errno %d' % ctypes.get_errno()}; continue
    s = socket.socket(fileno=fd)
    try:
        if s.type != socket.SOCK_STREAM or s.family not in (socket.AF_INET, socket.AF_INET6): continue
        try:
            local, remote = s.getsockname(), s.getpeername()
        except OSError:
            continue
        if local[1] == lport and remote[1] == rport:
            g = s.getsockopt
            out = {'nodelay': g(socket.IPPROTO_TCP, socket.TCP_NODELAY),
                   'keepalive': g(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                   'keepidle': g(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                   'keepintvl': g(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                   'keepcnt': g(socket.IPPROTO_TCP, socket.TCP_KEEPCNT)}
            break
    finally:
        s.close()
print(json.dumps(out))
`;

  function sockopts(localPort, remotePort) {
    const out = runSync('python3', ['-c', SOCKOPT_PY, String(process.pid), String(localPort), String(remotePort)],
      { timeout: 5000 });
    return out.code === 0 ? JSON.parse(out.stdout) : { error: out.error ? out.error.message : out.stderr };
  }

  test('noDelay, keepAlive and keepAliveInitialDelay are applied to accepted sockets', T, async (t) => {
    const optionSets = [
      {}, { noDelay: true }, { keepAlive: true }, { keepAlive: true, keepAliveInitialDelay: 5000 },
      { noDelay: true, keepAlive: true, keepAliveInitialDelay: 1500 },
    ];
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const out = [];
      for (const options of optionSets) {
        const server = scope.server(m, options);
        const { port } = await listening(server, 0, '127.0.0.1');
        const client = scope.peerClient(port, '127.0.0.1');
        const [[socket]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
        out.push({ options, ...await sockopts(port, client.localPort) });
        socket.destroy();
        client.destroy();
        await closeServer(server);
      }
      return out;
    }, RUN);
    if (result.node[0].error) {
      t.skip(`cannot read socket options here: ${result.node[0].error}`);
      return;
    }
    assert.deepEqual(result.node.slice(0, 4).map((o) => [o.nodelay, o.keepalive]), [[0, 0], [1, 0], [0, 1], [0, 1]]);
    assert.equal(result.node[3].keepidle, 5);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('ref()/unref(): an unref\'d listening server lets the process exit, ref() keeps it alive', T, async () => {
    const modes = ['unref', 'unref-before-listen', 'unref-ref', 'ref'];
    const [nodeRuns, rsnetRuns] = await Promise.all(IMPLEMENTATIONS.map(([side]) =>
      Promise.all(modes.map((mode) => runRefChild(side, mode)))));
    const result = { node: nodeRuns, rsnet: rsnetRuns };
    assert.deepEqual(result.node, [
      { mode: 'unref', aliveAfterWait: false, stdout: 'returns this: true\nexit 0\n', code: 0 },
      { mode: 'unref-before-listen', aliveAfterWait: false, stdout: 'returns this: true\nexit 0\n', code: 0 },
      { mode: 'unref-ref', aliveAfterWait: true, stdout: 'returns this: true\nconnection\nexit 0\n', code: 0 },
      { mode: 'ref', aliveAfterWait: true, stdout: 'returns this: true\nconnection\nexit 0\n', code: 0 },
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('server[Symbol.asyncDispose]() closes a listening server; resolves on a closed one', T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const trace = [];
      const server = scope.server(m);
      server.on('close', () => trace.push('close event'));
      const notListening = server[Symbol.asyncDispose]();
      trace.push(`returns a promise: ${notListening instanceof Promise}`);
      trace.push(`not listening resolves: ${await notListening}`);
      const { port } = await listening(server, 0, '127.0.0.1');
      const value = await server[Symbol.asyncDispose]();
      trace.push(`resolved ${value}, listening ${server.listening}`);
      // A moment later, so that this checks the port is closed, not how fast (see the close tests).
      await delay(50);
      trace.push(`port: ${await connectOutcome(scope, port, '127.0.0.1')}`);
      await delay(10);
      return trace;
    }, RUN);
    assert.deepEqual(result.node, [
      'returns a promise: true', 'not listening resolves: undefined', 'close event',
      'resolved undefined, listening false', 'port: ECONNREFUSED',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });
});

// Runs fixtures/server-scenarios.js `scenario` in a child process on `side` ('node' or
// 'rsnet'): what it printed, its exit code, and whether it exited on its own within 3 s of
// printing.
async function runScenario(side, scenario) {
  const out = await runNode([path.join(FIXTURES, 'server-scenarios.js'), scenario],
    { env: implEnv(side), timeout: 12000, ready: true, aliveMs: 3000 });
  const line = out.stdout.split('\n')[0];
  return {
    result: line ? JSON.parse(line) : { stderr: out.stderr },
    code: out.code,
    exitedOnItsOwn: out.signal === null,
  };
}

// runScenario() on net and on rsnet at the same time: { node, rsnet }.
async function bothInChildren(scenario) {
  const [node, rsnet] = await Promise.all(IMPLEMENTATIONS.map(([side]) => runScenario(side, scenario)));
  return { node, rsnet };
}

// Runs fixtures/server-ref.js on `side` with `mode`: did the child outlive 1.5 s? A child
// still alive then is sent a connection, upon which it closes its server.
async function runRefChild(side, mode) {
  const child = startNode([path.join(FIXTURES, 'server-ref.js'), mode], { env: implEnv(side), timeout: 8000 });
  // The fixture reports its port on stderr, first thing once listening.
  while (!child.stderr.includes('\n') && child.running) await delay(10);
  const port = Number(child.stderr.split('\n')[0]);
  // Up to 1.5 s for an unref'd child to exit by itself; a ref'd one is still there then.
  const aliveAfterWait = !await within(1500, 'exit', child.exited).then(() => true, () => false);
  if (aliveAfterWait) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume();
  }
  const { code } = await child.exited;
  return { mode, aliveAfterWait, stdout: child.stdout, code };
}

// ---------------------------------------------------------------------------------------
// A server's less visible state, as net keeps it: what a rejected async 'connection'
// listener does with events.captureRejections, and _connectionKey.

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

// ---------------------------------------------------------------------------------------
// 4. BlockList and SocketAddress

describe('BlockList and SocketAddress', () => {
  test('exported and working: addAddress, addRange, addSubnet, check', T, () => {
    const table = [
      ['10.0.0.1', 'ipv4', true], ['10.0.0.2', 'ipv4', false], ['192.168.1.5', 'ipv4', true],
      ['192.168.1.10', 'ipv4', true], ['192.168.1.11', 'ipv4', false], ['172.16.200.1', 'ipv4', true],
      ['172.32.0.1', 'ipv4', false], ['2001:db8::1', 'ipv6', true], ['2001:db9::1', 'ipv6', false],
      ['::1', 'ipv6', true], ['::2', 'ipv6', false], ['::ffff:10.0.0.1', 'ipv6', true],
    ];
    const answers = {};
    for (const [name, m] of IMPLEMENTATIONS) {
      assert.equal(typeof m.BlockList, 'function', `${name}.BlockList`);
      assert.equal(typeof m.SocketAddress, 'function', `${name}.SocketAddress`);
      const list = new m.BlockList();
      list.addAddress('10.0.0.1');
      list.addAddress('::1', 'ipv6');
      list.addRange('192.168.1.1', '192.168.1.10');
      list.addSubnet('172.16.0.0', 12);
      list.addSubnet(new m.SocketAddress({ address: '2001:db8::', family: 'ipv6' }), 32);
      answers[name] = table.map(([address, family]) => list.check(address, family));
      answers[`${name} SocketAddress`] = table.map(([address, family]) =>
        list.check(new m.SocketAddress({ address, family })));
      assert.ok(Array.isArray(list.rules) && list.rules.length === 5, `${name} rules`);

      const sa = new m.SocketAddress({ address: '::1', family: 'ipv6', port: 8080, flowlabel: 3 });
      assert.deepEqual([sa.address, sa.family, sa.port, sa.flowlabel], ['::1', 'ipv6', 8080, 3]);
      const v4 = new m.SocketAddress();
      assert.deepEqual([v4.address, v4.family, v4.port], ['127.0.0.1', 'ipv4', 0]);
      assert.throws(() => new m.SocketAddress({ port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT' });
      assert.throws(() => list.addAddress(1), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    const expected = table.map(([, , blocked]) => blocked);
    assert.deepEqual(answers.node, expected);
    assert.deepEqual(answers.rsnet, expected);
    assert.deepEqual(answers['rsnet SocketAddress'], expected);
  });

  test('blockList server option: a listed client is closed at accept, others are served (Node 20: ignored)',
    T, async () => {
    const result = await sideBySide(async (scope) => {
      const m = scope.net;
      const list = new m.BlockList();
      list.addAddress('127.0.0.1');
      list.addSubnet('::1', 128, 'ipv6');
      const accepted = [];
      const server = scope.server(m, { blockList: list }, (socket) => {
        accepted.push(socket.remoteAddress);
        socket.end('welcome');
      });
      const { port } = await listening(server, 0);
      const attempt = (options) => new Promise((resolve) => {
        const socket = scope.peerClient({ port, ...options });
        let data = '';
        socket.on('data', (chunk) => (data += chunk));
        socket.on('error', (err) => resolve(`error ${err.code}`));
        socket.on('close', () => resolve(data || 'no data'));
      });
      const replies = {
        '127.0.0.1': await attempt({ host: '127.0.0.1' }),
        '::1': await attempt({ host: '::1' }),
        '127.0.0.2': await attempt({ host: '127.0.0.1', localAddress: '127.0.0.2' }),
      };
      return { replies, accepted };
    }, RUN);
    if (line.blockList) {
      assert.deepEqual(result.node.replies, { '127.0.0.1': 'no data', '::1': 'no data', '127.0.0.2': 'welcome' });
      assert.deepEqual(result.node.accepted, ['::ffff:127.0.0.2']);
    } else {
      assert.equal(result.node.accepted.length, 3);
    }
    assert.deepEqual(result.rsnet, result.node);
  });

  test('a blockList option that is not a BlockList does not crash the server on a connection', T, async () => {
    const result = await bothInChildren('block-list-invalid');
    // Node 20's net ignores the option altogether; later lines refuse it at createServer().
    assert.deepEqual(result.node, {
      result: line.blockList ? { threw: 'ERR_INVALID_ARG_TYPE' } : { reply: 'ok' },
      code: 0,
      exitedOnItsOwn: true,
    });
    assert.deepEqual(result.rsnet, result.node);
  });
});

// ---------------------------------------------------------------------------------------
// 5. Module-wide defaults

describe('autoSelectFamily defaults', () => {
  test('get/setDefaultAutoSelectFamily and ...AttemptTimeout: same values and errors as net', T, () => {
    const result = {};
    for (const [name, m] of IMPLEMENTATIONS) {
      const saved = [m.getDefaultAutoSelectFamily(), m.getDefaultAutoSelectFamilyAttemptTimeout()];
      const out = [saved];
      try {
        for (const value of [false, true, undefined, 1, 'true', null, 0]) {
          try {
            out.push(['family', value, m.setDefaultAutoSelectFamily(value), m.getDefaultAutoSelectFamily()]);
          } catch (err) {
            out.push(['family', String(value), errShape(err)]);
          }
        }
        for (const value of [1, 9, 10, 11, 300, 2 ** 31 - 1, 0, -1, 1.5, 2 ** 31, NaN, Infinity, '300', undefined]) {
          try {
            m.setDefaultAutoSelectFamilyAttemptTimeout(value);
            out.push(['timeout', value, m.getDefaultAutoSelectFamilyAttemptTimeout()]);
          } catch (err) {
            out.push(['timeout', String(value), errShape(err)]);
          }
        }
      } finally {
        m.setDefaultAutoSelectFamily(saved[0]);
        m.setDefaultAutoSelectFamilyAttemptTimeout(saved[1]);
      }
      result[name] = out;
    }
    // Node 26 waits 500 ms per attempt by default, earlier lines 250 ms.
    assert.deepEqual(result.node[0], [true, line.major >= 26 ? 500 : 250]);
    assert.deepEqual(result.node.slice(1, 3), [['family', false, undefined, false], ['family', true, undefined, true]]);
    assert.deepEqual(result.node[8].slice(0, 3), ['timeout', 1, 10]);
    assert.equal(result.node[14][2].code, 'ERR_OUT_OF_RANGE');
    assert.deepEqual(result.rsnet, result.node);
  });

  test('the defaults follow --[no-]network-family-autoselection[-attempt-timeout] as in net', T, () => {
    const script = `
      const net = require('node:net');
      const rsnet = ${LOAD_IMPL};
      console.log(JSON.stringify([net, rsnet].map((m) =>
        [m.getDefaultAutoSelectFamily(), m.getDefaultAutoSelectFamilyAttemptTimeout()])));`;
    const flags = [
      ['--no-network-family-autoselection', '--network-family-autoselection-attempt-timeout=500'],
      ['--network-family-autoselection-attempt-timeout=20'],
    ];
    const seen = flags.map((f) => {
      const out = runNodeSync([...f, '-e', script]);
      assert.equal(out.code, 0, out.stderr);
      const [nodeValues, rsnetValues] = JSON.parse(out.stdout);
      return { flags: f, nodeValues, rsnetValues };
    });
    assert.deepEqual(seen.map((s) => s.nodeValues), [[false, 500], [true, 20]]);
    for (const s of seen) assert.deepEqual(s.rsnetValues, s.nodeValues, s.flags.join(' '));
  });
});
