'use strict';

// Descriptors handed over by number: `server.listen({ fd })` and `new net.Socket({ fd })`,
// as a supervisor (systemd's socket activation, say) passes sockets to a child process.
// Each scenario runs in a child given the socket as descriptor 3 (fixtures/fd-child.js),
// once with Node's net and once with rsnet, and the two reports must be the same. At the
// end: sockets made from handles (`new net.Socket({ handle })`), side by side.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const {
  IMPLEMENTATIONS, delay, errorShape, implEnv, next, record, rsnet, sideBySide, start, startNode, until,
} = require('./helpers');

const T = { timeout: 15000 };
const CHILD = path.join(__dirname, 'fixtures', 'fd-child.js');

// Resolves to the JSON report `child` prints, or rejects with its stderr if it fails or
// takes longer than 8 s.
async function reportOf(child, what) {
  const out = await child.exited;
  if (out.code !== 0) throw new Error(`${what} exited with ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

// Runs the fixture on `side` ('node' or 'rsnet') as `role` with `fd` as its descriptor 3;
// `onListening` runs once a server child says it listens. Resolves to the child's report.
function runChild(side, role, fd, onListening) {
  const child = startNode([CHILD, role], { env: implEnv(side), stdio: [fd, 'ipc'], timeout: 8000 });
  child.process.on('message', () => onListening && onListening());
  return reportOf(child, `${role} child (${side})`);
}

// Runs the fixture as `role` in a shell pipeline, `source | fixture | cat`: Node gives a
// child socket pairs for 'pipe'; a shell's | gives it real pipes.
function runPiped(source, side, role) {
  const quote = (arg) => `'${arg.replace(/'/g, "'\\''")}'`;
  const command = `${source} | ${[process.execPath, CHILD, role].map(quote).join(' ')} | cat`;
  return reportOf(start('/bin/sh', ['-c', command], { env: implEnv(side), timeout: 8000 }), `${role} child (${side})`);
}

// A listening Node server whose socket the child takes over; the parent closes its own
// copy once the child listens, so every connection goes to the child.
async function handOverServer(side, listenArgs, connectArgs) {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(...listenArgs, resolve));
  const address = server.address();
  let reply = '';
  try {
    const report = await runChild(side, 'server', server._handle.fd, () => {
      server.close();
      const args = typeof address === 'string' ? [address] : [address.port, '127.0.0.1'];
      const client = net.connect(...args, () => client.write(connectArgs.send));
      client.on('data', (d) => { reply += d; });
      client.on('error', () => {});
    });
    return { report, reply };
  } finally {
    if (server.listening) server.close();
  }
}

test('listen({ fd }): a server on an inherited TCP socket answers as Node\'s does', T, async () => {
  const results = {};
  for (const [name] of IMPLEMENTATIONS) {
    results[name] = await handOverServer(name, [0, '127.0.0.1'], { send: 'tcp' });
  }
  assert.deepEqual(results.node, {
    report: { listening: true, address: ['address', 'family', 'port'], events: ['data tcp', 'end', 'close false'] },
    reply: 'hello tcp',
  });
  assert.deepEqual(results.rsnet, results.node);
});

test('listen({ fd }): a server on an inherited Unix socket; address() is null as in Node', T, async () => {
  const results = {};
  for (const [name] of IMPLEMENTATIONS) {
    // An abstract name: closing the parent's server removes no file the child needs.
    results[name] = await handOverServer(name, [`\0rsnet-fd-${process.pid}-${name}`], { send: 'unix' });
  }
  assert.deepEqual(results.node, {
    report: { listening: true, address: null, events: ['data unix', 'end', 'close false'] },
    reply: 'hello unix',
  });
  assert.deepEqual(results.rsnet, results.node);
});

test('new Socket({ fd }): an inherited connected socket reads, writes and ends as Node\'s does', T, async () => {
  const peer = net.createServer((socket) => socket.on('data', (d) => socket.end(`pong ${d}`)));
  await new Promise((resolve) => peer.listen(0, '127.0.0.1', resolve));
  const results = {};
  try {
    for (const [name] of IMPLEMENTATIONS) {
      const client = net.connect(peer.address().port, '127.0.0.1');
      // The parent must not read what is meant for the child.
      client.pause();
      await new Promise((resolve) => client.once('connect', resolve));
      const report = runChild(name, 'client', client._handle.fd);
      client.destroy();
      results[name] = await report;
    }
  } finally {
    peer.close();
  }
  assert.deepEqual(results.node, {
    state: { readyState: 'open', connecting: false, pending: false, remoteFamily: 'IPv4', localAddress: '127.0.0.1' },
    events: ['data pong ping', 'end', 'finish', 'close false'],
    bytesRead: 9,
    bytesWritten: 4,
  });
  assert.deepEqual(results.rsnet, results.node);
});

test('listen({ fd }) then close(): the socket stays open for the other processes sharing it', T, async () => {
  const results = {};
  for (const [name] of IMPLEMENTATIONS) {
    // The parent keeps serving on the socket it lends, as a supervisor would.
    const server = net.createServer((socket) => socket.end('still here'));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const report = await runChild(name, 'listen-close', server._handle.fd);
      const reply = await new Promise((resolve) => {
        let data = '';
        const client = net.connect(server.address().port, '127.0.0.1');
        client.on('data', (d) => { data += d; });
        client.on('error', (err) => resolve(err.code));
        client.on('close', () => resolve(data));
      });
      results[name] = { report, reply };
    } finally {
      server.close();
    }
  }
  assert.deepEqual(results.node, { report: { listening: true, closed: true }, reply: 'still here' });
  assert.deepEqual(results.rsnet, results.node);
});

// Resolves with the reply a server gives to "hi" on `port`, or the connect error's code.
function ask(port) {
  return new Promise((resolve) => {
    let data = '';
    const client = net.connect(port, '127.0.0.1', () => client.end('hi'));
    client.on('data', (d) => { data += d; });
    client.on('error', (err) => resolve(err.code));
    client.on('close', () => resolve(data));
  });
}

test('listen(server): the other server\'s handle serves this one with this one\'s options, closed once', T,
  async () => {
    const results = {};
    for (const [name, impl] of IMPLEMENTATIONS) {
      // a would start connections paused; b, which takes its handle over, would not.
      const a = impl.createServer({ pauseOnConnect: true }, (socket) => socket.resume().end('a'));
      await new Promise((resolve) => a.listen(0, '127.0.0.1', resolve));
      const port = a.address().port;
      const oldFd = a._handle.fd;
      const b = impl.createServer((socket) => socket.on('data', (d) => socket.end(`b got ${d}`)));
      await new Promise((resolve, reject) => {
        b.once('error', reject);
        b.listen(a, resolve);
      });
      const samePort = b.address().port === port;
      const reply = await ask(port);
      await new Promise((resolve) => a.close(resolve));
      // Once the descriptor is closed, a file opened now takes its number: a second close
      // of that number by b would close the file.
      for (let i = 0; i < 200; i++) {
        try {
          fs.fstatSync(oldFd);
        } catch {
          break;
        }
        await delay(5);
      }
      const file = fs.openSync(__filename, 'r');
      await new Promise((resolve) => b.close(() => resolve()));
      await delay(20);
      let fileOpen = false;
      try {
        fileOpen = fs.fstatSync(file).isFile();
        fs.closeSync(file);
      } catch {
        // Closed by a handle that still thought it owned the number.
      }
      results[name] = { samePort, reply, fileOpen, reused: file === oldFd };
    }
    assert.deepEqual(results.node, { samePort: true, reply: 'b got hi', fileOpen: true, reused: true });
    assert.deepEqual(results.rsnet, results.node);
  });

test('listen(nodeServer) and listen(nodeServer._handle): rsnet listens on a duplicate, Node keeps its own', T,
  async () => {
    const listenOn = async (what) => {
      const server = rsnet.createServer((socket) => socket.resume().end('rsnet'));
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(what, resolve);
      });
      return server;
    };
    const nodeServer = net.createServer((socket) => socket.resume().end('node'));
    await new Promise((resolve) => nodeServer.listen(0, '127.0.0.1', resolve));
    const port = nodeServer.address().port;
    // The bare handle: once rsnet's server is closed, Node's still serves.
    const fromHandle = await listenOn(nodeServer._handle);
    assert.equal(fromHandle.address().port, port);
    await new Promise((resolve) => fromHandle.close(resolve));
    await delay(20);
    assert.equal(await ask(port), 'node');
    // The server: once Node's is closed, the duplicate still listens.
    const fromServer = await listenOn(nodeServer);
    try {
      await new Promise((resolve) => nodeServer.close(resolve));
      assert.equal(await ask(port), 'rsnet');
    } finally {
      fromServer.close();
    }
  });

test('new Socket({ fd }) on one end of a pipe: reading the write end and writing the read end fail as in Node', T,
  async () => {
    const results = {};
    for (const [name] of IMPLEMENTATIONS) results[name] = await runPiped('echo hi', name, 'pipe-ends');
    assert.deepEqual(results.node, {
      readingStdout: ['error read ENOTCONN', 'close true'],
      writingStdin: ['callback EPIPE', 'error write EPIPE', 'close true'],
    });
    assert.deepEqual(results.rsnet, results.node);
  });

function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return errorShape(err);
  }
  return { threw: false };
}

test('fd: descriptors that are not sockets, or no int32, fail as in Node', T, async () => {
  const file = fs.openSync(__filename, 'r');
  // A number no descriptor has here: one just closed.
  const closed = fs.openSync(__filename, 'r');
  fs.closeSync(closed);
  try {
    const results = {};
    for (const [name, impl] of IMPLEMENTATIONS) {
      const sockets = {};
      for (const [label, fd] of [['string', 'x'], ['negative', -1], ['fraction', 1.5],
        ['too big', 2 ** 31], ['file', file], ['not open', closed]]) {
        sockets[label] = thrown(() => new impl.Socket({ fd }));
      }
      sockets.legacyNumber = thrown(() => new impl.Socket(file));
      const listens = {};
      for (const [label, fd] of [['file', file], ['not open', closed], ['fraction', 1.5]]) {
        const server = impl.createServer();
        const error = new Promise((resolve) => server.once('error', resolve));
        server.listen({ fd });
        listens[label] = { error: errorShape(await error), listening: server.listening };
      }
      listens.negative = thrown(() => impl.createServer().listen({ fd: -1 }));
      results[name] = { sockets, listens, handle: impl._createServerHandle(null, null, null, file) };
    }
    assert.equal(results.node.sockets.file.code, 'ERR_INVALID_FD_TYPE');
    assert.equal(results.node.sockets['not open'].message, 'Unsupported fd type: UNKNOWN');
    assert.equal(results.node.listens.file.error.code, 'EINVAL');
    assert.equal(results.node.handle, -22);
    assert.deepEqual(results.rsnet, results.node);
    // The file is still ours: no failed attempt took it over and closed it.
    assert.ok(fs.fstatSync(file).isFile());
  } finally {
    fs.closeSync(file);
  }
});

test('new Socket({ fd }) on FIFOs: stdin read to the end and a report written to stdout, as in Node', T,
  async () => {
    const size = 300 * 1024;
    const results = {};
    for (const [name] of IMPLEMENTATIONS) {
      results[name] = await runPiped(`head -c ${size} /dev/zero`, name, 'stdio');
    }
    assert.deepEqual(results.node, {
      bytes: size,
      events: ['data', 'end', 'close false'],
      state: { address: {}, readyState: 'closed', bytesRead: size, fifos: true },
    });
    assert.deepEqual(results.rsnet, results.node);
  });

// ---------------------------------------------------------------------------------------
// Handles instead of descriptors: new Socket({ handle }) with an object of net's handle shape,
// and with Node's own connected handle.

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
    const original = run.track(run.peer.connect(server.address().port, '127.0.0.1'));
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
