'use strict';

// Unix domain sockets (issue #4): connect(path) and listen(path) in every form, abstract
// names (Linux), the socket file's mode, EADDRINUSE, and the file being gone once the
// server closes. Each scenario runs once on Node's own net and once on rsnet (see
// helpers/side-by-side.js), and what the two runs saw must be equal; Node's result is also
// checked against what the documentation promises. Clients and peers are Node's net unless
// a test says so.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

const {
  Scope, closeServer, delay, errorShape, hasCommand, listenOutcome, listening, mask, rsnet, sideBySide, ssBacklog,
  tmpDir,
} = require('./helpers');
// Which Node line this is, where net's own answers differ between lines.
const line = require('../lib/node-line');

const T = { timeout: 15000 };
// Each side runs for up to 8 s.
const RUN = { timeout: 8000 };
const HAVE_SS = hasCommand('ss', ['-V']);

describe('Unix sockets', () => {
  // Abstract socket names are machine-wide: a counter keeps this process's apart.
  let abstractCount = 0;

  test('connect(path) and connect({ path }): data both ways, address() is the path', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const dir = tmpDir(name);
      scope.label(dir, '<dir>');
      const file = path.join(dir, 's.sock');
      const seen = { server: [], client: [] };
      const server = scope.server(m, (socket) => {
        seen.server.push({ remote: socket.remoteAddress, local: socket.localAddress, address: socket.address() });
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => socket.end(`echo:${chunk}`));
      });
      const address = await listening(server, file);
      const replies = [];
      for (const [label, target] of [['path', [file]], ['options', [{ path: file }]]]) {
        const socket = scope.peerClient(...target);
        await once(socket, 'connect');
        seen.client.push({ remote: socket.remoteAddress, address: socket.address() });
        socket.setEncoding('utf8');
        socket.end(`hello ${label}`);
        let data = '';
        socket.on('data', (chunk) => (data += chunk));
        await once(socket, 'close');
        replies.push(data);
      }
      const isSocket = fs.statSync(file).isSocket();
      return scope.mask({ address, isSocket, replies, seen });
    }, RUN);
    assert.equal(result.node.address, '<dir>/s.sock');
    assert.equal(result.node.isSocket, true);
    assert.deepEqual(result.node.replies, ['echo:hello path', 'echo:hello options']);
    assert.equal(result.node.seen.server.length, 2);
    assert.deepEqual(result.rsnet, result.node);
  });

  test('listen(path[, backlog][, cb]) and listen({ path, backlog }[, cb])', T, async (t) => {
    if (!HAVE_SS) t.skip('ss is not installed: backlogs are not checked');
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const dir = tmpDir(name);
      const out = [];
      const forms = [
        (file, cb) => [file, 5, cb],
        (file, cb) => [file, cb],
        (file) => [file, '9'],
        (file, cb) => [{ path: file, backlog: 7 }, cb],
        (file) => [{ path: file }],
      ];
      for (const [i, form] of forms.entries()) {
        const file = path.join(dir, `b${i}.sock`);
        const server = scope.server(m);
        let cbCalls = 0;
        server.listen(...form(file, () => cbCalls++));
        await once(server, 'listening');
        out.push({
          address: server.address() === file, cbCalls,
          backlog: HAVE_SS ? ssBacklog(['-x', 'src', file]) : null,
        });
        await closeServer(server);
      }
      return out;
    }, RUN);
    const backlogs = HAVE_SS ? [5, 511, 9, 7, 511] : [null, null, null, null, null];
    assert.deepEqual(result.node, [1, 1, 0, 1, 0].map((cbCalls, i) => ({
      address: true, cbCalls, backlog: backlogs[i],
    })));
    assert.deepEqual(result.rsnet, result.node);
  });

  test('abstract socket (Linux): a name starting with \\0, no file, data both ways', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const abstract = `\0rsnet-test-${process.pid}-${name}-${abstractCount++}`;
      const server = scope.server(m, (socket) => {
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => socket.end(chunk.toUpperCase()));
      });
      const address = await listening(server, abstract);
      // The peer is the same module here; the next test pairs net with rsnet.
      const client = m.connect(abstract);
      scope.track(client);
      client.setEncoding('utf8');
      client.end('ping');
      let data = '';
      client.on('data', (chunk) => (data += chunk));
      await once(client, 'close');
      return { address: address === abstract, data };
    }, RUN);
    assert.deepEqual(result.node, { address: true, data: 'PING' });
    assert.deepEqual(result.rsnet, result.node);
  });

  test("abstract socket: rsnet and the running Node's net reach each other", T, async () => {
    const scope = new Scope();
    try {
      const results = {};
      for (const [serverName, serverModule, clientModule] of [['net', net, rsnet], ['rsnet', rsnet, net]]) {
        const abstract = `\0rsnet-interop-${process.pid}-${serverName}`;
        const server = scope.server(serverModule, (socket) => socket.end('hi'));
        await listening(server, abstract);
        const client = clientModule.connect(abstract);
        scope.track(client);
        results[`${serverName} server`] = await new Promise((resolve) => {
          let data = '';
          client.on('data', (chunk) => (data += chunk));
          client.on('error', (err) => resolve(err.code));
          client.on('close', () => resolve(data));
        });
      }
      assert.deepEqual(results, { 'net server': 'hi', 'rsnet server': 'hi' });
    } finally {
      await scope.cleanup();
    }
  });

  test('readableAll / writableAll set the socket file mode', T, async () => {
    const oldMask = process.umask(0o077);
    try {
      const optionSets = [{}, { readableAll: true }, { writableAll: true }, { readableAll: true, writableAll: true }];
      const result = await sideBySide(async (scope) => {
        const { net: m, name } = scope;
        const dir = tmpDir(name);
        const out = [];
        for (const [i, options] of optionSets.entries()) {
          const file = path.join(dir, `m${i}.sock`);
          const server = scope.server(m);
          await listening(server, { path: file, ...options });
          out.push((fs.statSync(file).mode & 0o777).toString(8));
          await closeServer(server);
        }
        return out;
      }, RUN);
      // libuv 1.46 (Node 20) adds the bits to the mode the umask gave; later libuv sets it.
      assert.deepEqual(result.node, line.chmodSetsExactMode ? ['700', '444', '222', '666'] :
        ['700', '744', '722', '766']);
      assert.deepEqual(result.rsnet, result.node);
    } finally {
      process.umask(oldMask);
    }
  });

  test('readableAll / writableAll on an abstract socket throw ERR_INVALID_ARG_VALUE', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const out = [];
      for (const option of ['readableAll', 'writableAll']) {
        const abstract = `\0rsnet-mode-${process.pid}-${name}-${option}`;
        const server = scope.server(m);
        try {
          server.listen({ path: abstract, [option]: true });
          await delay(20);
          out.push(`no throw, listening ${server.listening}`);
        } catch (err) {
          out.push(mask(errorShape(err, null, { header: false }), new Map([[abstract.slice(1), '<name>']])));
        }
      }
      return out;
    }, RUN);
    assert.equal(result.node[0].code, 'ERR_INVALID_ARG_VALUE');
    assert.equal(result.node[1].code, 'ERR_INVALID_ARG_VALUE');
    assert.deepEqual(result.rsnet, result.node);
  });

  test('EADDRINUSE on a path in use, or left behind by a dead server', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const dir = tmpDir(name);
      scope.label(dir, '<dir>');
      const inUse = path.join(dir, 'used.sock');
      await listening(scope.server(net), inUse);
      const stale = path.join(dir, 'stale.sock');
      fs.writeFileSync(stale, '');
      const out = [];
      for (const file of [inUse, stale]) {
        const server = scope.server(m);
        const outcome = await listenOutcome(server, file);
        out.push(scope.mask({ outcome, listening: server.listening, stillThere: fs.existsSync(file) }));
      }
      return out;
    }, RUN);
    assert.deepEqual(result.node[0], {
      outcome: {
        error: {
          ctor: 'Error', name: 'Error', keys: ['code', 'errno', 'syscall', 'address', 'port'],
          message: 'listen EADDRINUSE: address already in use <dir>/used.sock',
          code: 'EADDRINUSE', errno: -os.constants.errno.EADDRINUSE, syscall: 'listen',
          address: '<dir>/used.sock', port: -1,
        },
      },
      listening: false,
      stillThere: true,
    });
    assert.deepEqual(result.rsnet, result.node);
  });

  test('listen on a path in a directory that does not exist fails as in net', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const dir = scope.label(tmpDir(name), '<dir>');
      const server = scope.server(m);
      return scope.mask(await listenOutcome(server, path.join(dir, 'missing', 'x.sock')));
    }, RUN);
    assert.equal(result.node.error.syscall, 'listen');
    assert.equal(result.node.error.address, '<dir>/missing/x.sock');
    assert.deepEqual(result.rsnet, result.node);
  });

  test('the socket file is gone once close() returns, even with a connection still open', T, async () => {
    const result = await sideBySide(async (scope) => {
      const { net: m, name } = scope;
      const dir = tmpDir(name);
      const trace = [];
      for (const withConnection of [false, true]) {
        const file = path.join(dir, `c${withConnection}.sock`);
        const server = scope.server(m);
        await listening(server, file);
        let client;
        if (withConnection) {
          client = scope.peerClient(file);
          await once(server, 'connection');
        }
        const closed = once(server, 'close');
        server.close();
        trace.push(`after close(): ${fs.existsSync(file)}`);
        if (client) {
          await delay(30);
          trace.push(`with a connection, 30 ms later: ${fs.existsSync(file)}`);
          client.destroy();
        }
        await closed;
        trace.push(`close event: ${fs.existsSync(file)}`);
        // The path is free again.
        const again = scope.server(m);
        await listening(again, file);
        await closeServer(again);
      }
      return trace;
    }, RUN);
    assert.deepEqual(result.node, [
      'after close(): false', 'close event: false',
      'after close(): false', 'with a connection, 30 ms later: false', 'close event: false',
    ]);
    assert.deepEqual(result.rsnet, result.node);
  });
});
