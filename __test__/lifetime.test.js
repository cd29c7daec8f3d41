'use strict';

// Process lifetime (issue #2): what keeps a process alive, as with net. Small scripts run
// in child processes, once on Node's net and once on rsnet (RSNET_IMPL in their
// environment): servers and clients ref()'d, unref()'d, paused or connecting, and whether
// the process exits by itself or stays alive; and an unref()'d socket still delivering
// everything it was given before the process exits.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const nodeNet = require('node:net');

const { IMPLEMENTATIONS, LOAD_IMPL, implEnv, later, runNode, startServer, testScope } = require('./helpers');

const LIFETIME_SCRIPTS = {
  exchange: `
    const net = ${LOAD_IMPL};
    const server = net.createServer((socket) => socket.on('data', (data) => socket.end(data)));
    server.listen(0, '127.0.0.1', () => {
      const client = net.connect(server.address().port, '127.0.0.1', () => client.write('ping'));
      client.on('data', (data) => {
        console.log('got ' + data);
        client.end();
        server.close();
      });
    });`,
  serverUnref: `
    const net = ${LOAD_IMPL};
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    server.unref();
    console.log('ready');`,
  serverUnrefRef: `
    const net = ${LOAD_IMPL};
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => console.log('ready'));
    server.unref();
    server.ref();`,
  // The server for these is in the test process, so only the client is in the child.
  clientOpen: `
    const net = ${LOAD_IMPL};
    const client = net.connect(Number(process.argv[1]), '127.0.0.1', () => console.log('ready'));`,
  clientUnref: `
    const net = ${LOAD_IMPL};
    const client = net.connect(Number(process.argv[1]), '127.0.0.1', () => {
      client.unref();
      console.log('ready');
    });`,
  clientUnrefRef: `
    const net = ${LOAD_IMPL};
    const client = net.connect(Number(process.argv[1]), '127.0.0.1', () => {
      client.unref();
      client.ref();
      console.log('ready');
    });`,
  clientUnrefWhileConnecting: `
    const net = ${LOAD_IMPL};
    const client = net.connect(Number(process.argv[1]), '127.0.0.1');
    client.unref();
    console.log('ready');`,
  clientPaused: `
    const net = ${LOAD_IMPL};
    const client = net.connect(Number(process.argv[1]), '127.0.0.1', () => {
      client.pause();
      console.log('ready');
    });`,
};

// How each script should end, on net and so on rsnet.
const LIFETIME_EXPECTED = {
  exchange: 'exits',
  serverUnref: 'exits',
  serverUnrefRef: 'stays alive',
  clientOpen: 'stays alive',
  clientUnref: 'exits',
  clientUnrefRef: 'stays alive',
  clientUnrefWhileConnecting: 'exits',
  clientPaused: 'exits',
};

for (const [name, script] of Object.entries(LIFETIME_SCRIPTS)) {
  const expectation = LIFETIME_EXPECTED[name];
  test(`process lifetime, ${name}: ${expectation}, as with net`, { timeout: 8000 }, async (t) => {
    const { track } = testScope(t);
    // A server that accepts and holds connections (it reads, so it never resets them).
    const holder = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
    holder.on('connection', (socket) => {
      socket.resume();
      socket.on('error', () => {});
    });
    const args = [String(holder.address().port)];
    const outcomes = {};
    await Promise.all(IMPLEMENTATIONS.map(async ([impl]) => {
      const options = expectation === 'exits' ?
        { timeout: 2000 } :
        { timeout: 4000, ready: 'ready', aliveMs: 500 };
      const result = await runNode(['-e', script, ...args], { env: implEnv(impl), ...options });
      assert.equal(result.stderr, '', `${impl}: stderr`);
      outcomes[impl] = {
        outcome: result.killed ? 'stays alive' : 'exits',
        code: result.code,
        stdout: result.stdout,
      };
      if (expectation !== 'exits') {
        assert.ok(result.sinceReadyMs !== null, `${impl}: never printed ready: ${result.stdout}`);
      }
    }));
    assert.equal(outcomes.node.outcome, expectation, 'net itself');
    assert.deepEqual(outcomes.rsnet, outcomes.node);
  });
}

// Node keeps the loop alive while a write request is in flight, even on an unref'd
// handle (libuv counts active requests), so everything written is delivered before the
// process exits.
test('process lifetime: an unref()ed socket still delivers everything it was given before exit',
  { timeout: 10000 }, async (t) => {
    const { track } = testScope(t);
    const SIZE = 32 * 1024 * 1024;
    const script = `
      const net = ${LOAD_IMPL};
      const client = net.connect(Number(process.argv[1]), '127.0.0.1', () => {
        client.end(Buffer.alloc(${SIZE}, 97));
        client.unref();
      });`;
    const received = {};
    for (const [impl] of IMPLEMENTATIONS) {
      const server = await startServer(nodeNet, track, undefined, 0, '127.0.0.1');
      let bytes = 0;
      const ended = new Promise((resolve) => {
        server.on('connection', (socket) => {
          socket.on('data', (chunk) => {
            bytes += chunk.length;
          });
          socket.on('end', () => resolve('end'));
          socket.on('error', (err) => resolve(err.code));
        });
      });
      const result = await runNode(['-e', script, String(server.address().port)], { env: implEnv(impl), timeout: 5000 });
      const how = await Promise.race([ended, later(2000, 'no end')]);
      received[impl] = { exit: result.killed ? 'killed' : result.code, how, bytes };
    }
    assert.deepEqual(received.node, { exit: 0, how: 'end', bytes: SIZE });
    assert.deepEqual(received.rsnet, received.node);
  });

// ---------------------------------------------------------------------------
