'use strict';

// What net gained after Node 20, side by side with the running line's own net: the
// blockList option of connect (ERR_IP_BLOCKED), net.BoundSocket adopted by a server and
// by a client, the type of service, keep-alive probes, BlockList.isBlockList and
// SocketAddress.parse. Every
// test runs on every line: where the line's net lacks a feature, rsnet must lack it (or
// ignore the option) the same way.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const nodeNet = require('node:net');

const { delay, errorShape, record, rsnet, runSync, sideBySide, tmpPath } = require('./helpers');

const T = { timeout: 15000 };
const EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connect', 'ready', 'error', 'close'];
const HAS = {
  blockList: typeof nodeNet.BlockList.isBlockList === 'function',
  boundSocket: typeof nodeNet.BoundSocket === 'function',
  typeOfService: typeof nodeNet.Socket.prototype.setTypeOfService === 'function',
  keepAliveProbes: nodeNet.Socket.prototype.setKeepAlive.length >= 4,
};

// What fn() threw, as a shape, or 'ok'.
function thrown(fn, run) {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return errorShape(err, run);
  }
}

test('the new address helpers are there exactly when net has them', T, () => {
  for (const name of ['BoundSocket', '_TransferredBoundSocket', '_setSimultaneousAccepts']) {
    assert.equal(name in rsnet, name in nodeNet, name);
  }
  assert.equal(rsnet.BlockList.isBlockList, nodeNet.BlockList.isBlockList);
  assert.equal(rsnet.SocketAddress.parse, nodeNet.SocketAddress.parse);
  if (HAS.blockList) {
    assert.equal(rsnet.BlockList.isBlockList(new rsnet.BlockList()), true);
    assert.deepEqual(rsnet.SocketAddress.parse('1.2.3.4').address, '1.2.3.4');
  }
});

test('connect({ blockList }): a blocked address fails with ERR_IP_BLOCKED (Node 20: ignored)', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    await run.listen({}, (socket) => socket.end('hi'));
    const port = [...run.labels.keys()][0];
    const list = new run.net.BlockList();
    list.addAddress('127.0.0.1');
    const socket = run.track(run.net.connect({ port, host: '127.0.0.1', blockList: list }));
    socket.resume();
    const events = record(socket, EVENTS, run);
    await events.closed;
    const invalid = thrown(() => run.track(new run.net.Socket({ blockList: ['127.0.0.1'] })), run);
    return { events, invalid, blockList: socket.blockList === list };
  });
  if (HAS.blockList) {
    assert.deepEqual(node.events.map((e) => (typeof e === 'string' ? e : e.error ? e.error.code : e[0])),
      ['connectionAttempt', 'ERR_IP_BLOCKED', 'close(true)']);
    assert.equal(node.events[1].error.message, 'IP(127.0.0.1) is blocked by net.BlockList');
    assert.equal(node.invalid.code, 'ERR_INVALID_ARG_TYPE');
  } else {
    assert.deepEqual(node.events.slice(1, 3), ['connect', 'ready']);
    assert.equal(node.invalid, 'ok');
  }
  assert.deepEqual(ours, node);
});

test('connect({ blockList }) with several addresses: a blocked one is a failed attempt, the next is tried', T,
  async () => {
    const { node, rsnet: ours } = await sideBySide(async (run) => {
      await run.listen({ host: '::1' }, (socket) => socket.end('hi'));
      const port = [...run.labels.keys()][0];
      const list = new run.net.BlockList();
      list.addAddress('127.0.0.1');
      // 127.0.0.1 is blocked (or, on Node 20, refused: nothing listens there on this port).
      const lookup = (host, options, cb) => setImmediate(cb, null, [
        { address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 },
      ]);
      const socket = run.track(run.net.connect({
        port, host: 'example.test', lookup, autoSelectFamily: true, blockList: list,
      }));
      const events = record(socket, EVENTS, run);
      await new Promise((resolve) => socket.once('close', resolve).once('connect', resolve));
      return { events, attempted: run.mask(socket.autoSelectFamilyAttemptedAddresses) };
    });
    const failed = node.events.find((e) => Array.isArray(e) && e[0] === 'connectionAttemptFailed');
    assert.equal(failed[4].code, HAS.blockList ? 'ERR_IP_BLOCKED' : 'ECONNREFUSED');
    assert.ok(node.events.includes('connect'));
    assert.deepEqual(ours, node);
  });

test('BoundSocket adopted by listen(): the reserved port serves, the BoundSocket is spent', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    if (!HAS.boundSocket) return { exported: 'BoundSocket' in run.net };
    const out = [];
    const bound = new run.net.BoundSocket({ host: '127.0.0.1' });
    const { port } = bound.address();
    run.label(port, 'PORT');
    const server = run.net.createServer((socket) => socket.end('hi'));
    run.servers.add(server);
    server.listen(bound);
    out.push(thrown(() => bound.address(), run), thrown(() => bound.fd(), run));
    await new Promise((resolve) => server.once('listening', resolve));
    out.push(run.mask(server.address()));
    const reply = await new Promise((resolve) => {
      const client = run.track(nodeNet.connect(port, '127.0.0.1'));
      let data = '';
      client.on('data', (chunk) => (data += chunk)).on('close', () => resolve(data));
    });
    out.push(reply, thrown(() => run.net.createServer().listen({ handle: bound }), run));
    await new Promise((resolve) => server.close(resolve));
    const after = await new Promise((resolve) => {
      nodeNet.connect(port, '127.0.0.1').on('error', (err) => resolve(err.code)).on('connect', function () {
        this.destroy();
        resolve('connect');
      });
    });
    out.push(after);

    // A Unix path: address() is the path; closing the server removes it.
    const file = run.label(tmpPath('bound'), 'PATH');
    const pipeServer = run.net.createServer((socket) => socket.end('pipe'));
    run.servers.add(pipeServer);
    pipeServer.listen(new run.net.BoundSocket({ path: file }));
    await new Promise((resolve) => pipeServer.once('listening', resolve));
    out.push(run.mask(pipeServer.address()));
    await new Promise((resolve) => pipeServer.close(resolve));
    out.push(fs.existsSync(file));
    return out;
  });
  if (!HAS.boundSocket) assert.deepEqual(node, { exported: false });
  else assert.deepEqual(node[3], 'hi');
  assert.deepEqual(ours, node);
});

test('BoundSocket adopted by new Socket({ handle }): connects from the bound address', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    if (!HAS.boundSocket) return 'no BoundSocket';
    const out = [];
    await run.listen({}, (socket) => socket.end(String(socket.remotePort)));
    const port = [...run.labels.keys()][0];
    const bound = new run.net.BoundSocket({ host: '127.0.0.1' });
    const local = run.label(bound.address().port, 'LOCAL');
    const socket = run.track(new run.net.Socket({ handle: bound }));
    out.push(socket.localPort === local, thrown(() => bound.fd(), run));
    out.push(thrown(() => socket.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' }), run).code);
    socket.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8').on('data', (chunk) => (data += chunk));
    const events = record(socket, EVENTS, run);
    await events.closed;
    out.push(events, run.mask(Number(data)));

    // Refused: the usual connect error.
    const refused = run.track(new run.net.Socket({ handle: new run.net.BoundSocket({ host: '127.0.0.1' }) }));
    refused.connect(await run.closedPort(), '127.0.0.1');
    const refusedEvents = record(refused, EVENTS, run);
    await refusedEvents.closed;
    out.push(refusedEvents);

    // A Unix client bound to its own path reports it as localAddress.
    const serverPath = run.label(tmpPath('srv'), 'SERVER');
    await run.listen({ path: serverPath }, (s) => s.end('u'));
    const clientPath = run.label(tmpPath('cli'), 'CLIENT');
    const unix = run.track(new run.net.Socket({ handle: new run.net.BoundSocket({ path: clientPath }) }));
    unix.connect(serverPath);
    await new Promise((resolve) => unix.once('connect', resolve));
    out.push(run.mask(unix.localAddress));
    await new Promise((resolve) => unix.on('close', resolve).resume());
    out.push(fs.existsSync(clientPath));
    return out;
  });
  if (HAS.boundSocket) assert.equal(node[4], 'LOCAL', 'the server saw the bound port');
  assert.deepEqual(ours, node);
});

test('type of service: the option, setTypeOfService() and getTypeOfService(), as net', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const out = [typeof run.net.Socket.prototype.setTypeOfService];
    const port = (await run.listen({ host: '::1' })).address().port;
    for (const value of [300, -1, 'x', NaN, 1.5, 16]) {
      out.push(thrown(() => run.track(new run.net.Socket({ typeOfService: value })), run));
    }
    if (!HAS.typeOfService) return out;
    const idle = run.track(new run.net.Socket());
    out.push(idle.getTypeOfService(), idle.setTypeOfService(5) === idle, idle.getTypeOfService());
    for (const value of [256, NaN, 'x', -1]) out.push(thrown(() => idle.setTypeOfService(value), run));
    const socket = run.track(run.net.connect({ port, host: '::1', typeOfService: 0x20 }));
    // Still connecting: the value is kept, and the handle has no socket to take it yet.
    out.push(thrown(() => socket.setTypeOfService(0x08), run));
    await new Promise((resolve) => socket.once('connect', resolve));
    out.push(socket.getTypeOfService());
    socket.setTypeOfService(0x40);
    out.push(socket.getTypeOfService());
    // A Unix socket has no such option: the value is only kept.
    const file = tmpPath('tos');
    await run.listen({ path: file });
    const unix = run.track(run.net.connect(file));
    await new Promise((resolve) => unix.once('connect', resolve));
    out.push(unix.setTypeOfService(7) === unix, unix.getTypeOfService());
    return out;
  });
  assert.equal(node[0], HAS.typeOfService ? 'function' : 'undefined');
  assert.deepEqual(ours, node);
});

// The keep-alive settings of a connected socket, read by another process from the
// inherited descriptor (JavaScript has no getsockopt): [on, idle, interval, count].
const PY_KEEPALIVE = `import socket
s = socket.socket(fileno=3)
o = (socket.SOL_SOCKET, socket.SO_KEEPALIVE), (6, socket.TCP_KEEPIDLE), (6, socket.TCP_KEEPINTVL), (6, socket.TCP_KEEPCNT)
print(",".join(str(s.getsockopt(*x)) for x in o))
s.detach()`;
const hasPython = runSync('python3', ['-c', 'pass']).code === 0;

test('setKeepAlive: idle time, probe interval and count (Node 24) and the options object, as net', {
  ...T, skip: !hasPython && 'needs python3 to read the socket options',
}, async () => {
  const calls = [
    [true, 5000], [true, 5000, 3000, 4], [true, 0, 2000], [true, 5000, undefined, 6],
    [{ enable: true, initialDelay: 7000, interval: 2000, count: 3 }], [false, 1000, 1000, 1],
    [true, 5000, -5000, 4], [true, 5000, 2000, 'x'], [true, 5000, 2000, 2.5], [true, 5000, 0, 3],
    [true, 5000, 2000, 0], [true, 5000, '3000', 3],
  ];
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const port = (await run.listen()).address().port;
    const out = [];
    for (const args of calls) {
      const socket = run.track(run.net.connect(port, '127.0.0.1'));
      await new Promise((resolve) => socket.once('connect', resolve));
      out.push([socket.setKeepAlive(...args) === socket]);
      const child = runSync('python3', ['-c', PY_KEEPALIVE], { stdio: [socket._handle.fd] });
      out[out.length - 1].push(child.stdout.trim() || child.stderr);
      socket.destroy();
    }
    return out;
  }, { timeout: 10000 });
  // Node 24 probes every `interval` seconds, `count` times; earlier lines every second, 10 times.
  assert.equal(node[1][1], HAS.keepAliveProbes ? '1,5,3,4' : '1,5,1,10');
  assert.deepEqual(ours, node);
});

test('end() on a socket that never connected: finish on Node 22 on, none on Node 20, as net', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const events = [];
    const socket = run.track(new run.net.Socket());
    for (const name of ['finish', 'close', 'error']) socket.on(name, () => events.push(name));
    socket.end(() => events.push('end callback'));
    await delay(50);
    return events;
  });
  const major = Number(process.versions.node.split('.')[0]);
  assert.deepEqual(node, major >= 22 ? ['end callback', 'finish'] : []);
  assert.deepEqual(ours, node);
});

// Node 20 passes ipv6Only on only with a host: without one it binds '::' dual-stack, so a
// port an IPv4 server holds is in use. Node 22 binds IPv6-only there and succeeds.
for (const ipv6Only of [true, 'x']) {
  test(`listen({ port, ipv6Only: ${String(ipv6Only)} }) without a host, on a port 127.0.0.1 holds: as the line's net`, T,
    async () => {
      const { node, rsnet: ours } = await sideBySide(async (run) => {
        const holder = await run.listen({ host: '127.0.0.1' });
        const port = run.label(holder.address().port, 'HELD');
        const server = run.net.createServer();
        run.servers.add(server);
        return new Promise((resolve) => {
          server.once('error', (err) => resolve({ error: errorShape(err, run) }));
          server.listen({ port, ipv6Only }, () => {
            const { address, family } = server.address();
            resolve({ listening: { address, family } });
          });
        });
      });
      assert.ok(node.error || node.listening, JSON.stringify(node));
      assert.deepEqual(ours, node);
    });
}
