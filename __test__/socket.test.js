'use strict';

// net.Socket, the client side (connecting is in connect.test.js): every scenario runs on
// Node's own net and on rsnet (see helpers/side-by-side.js) and what the two runs observed
// must be the same: events (names and order), data, properties and errors. Peers are
// Node's net unless a test says otherwise, so a difference is the client's. Each test also
// checks Node's result against what the documentation promises, so that a scenario which
// observes nothing cannot pass.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const nodeNet = require('node:net');
const path = require('node:path');

const line = require('../lib/node-line');
const {
  CLIENT_EVENTS,
  LOAD_IMPL,
  closed,
  delay,
  errorShape,
  implEnv,
  later,
  names,
  next,
  outcome,
  pattern,
  record,
  recordEvents,
  replyPeer,
  rsnet,
  runNode,
  sameOnBoth,
  sideBySide,
  socketState,
  startServer,
  testScope,
  tmpDir,
  tmpPath,
  until,
} = require('./helpers');

const T = { timeout: 15000 };
const PEER_EVENTS = ['data', 'end', 'finish', 'error', 'close'];

// ---------------------------------------------------------------------------------------
// 1. Writing

// A connected client and the peer's side of it, each with its events recorded; `received`
// collects what the peer got.
async function connectedPair(run, { clientOptions = {}, peer = {}, host = '127.0.0.1' } = {}) {
  const received = [];
  let accept;
  const accepted = new Promise((resolve) => {
    accept = resolve;
  });
  const server = await run.listen({ host, ...peer }, (socket) => {
    socket.on('data', (chunk) => received.push(chunk));
    accept(socket);
  });
  const client = run.track(new run.net.Socket(clientOptions));
  const clientEvents = record(client, CLIENT_EVENTS, run);
  client.connect(server.address().port, host);
  const peerSocket = await accepted;
  const peerEvents = record(peerSocket, PEER_EVENTS, run);
  await until(() => !client.connecting, 'client connect');
  return { client, clientEvents, peer: peerSocket, peerEvents, received, bytes: () => Buffer.concat(received) };
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
    const events = record(socket, CLIENT_EVENTS, run);
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
    await events.closed;
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
    const { client, bytes, clientEvents } = await connectedPair(run);
    const order = [];
    for (const event of ['finish', 'end', 'close', 'error']) client.on(event, () => order.push(event));
    for (let i = 0; i < 5; i++) client.write(`w${i};`, (...args) => order.push([`cb${i}`, args]));
    client.end('bye', 'utf8', (...args) => order.push(['end-cb', args.map((a) => errorShape(a, run))]));
    order.push('end() returned');
    await until(() => bytes().toString() === 'w0;w1;w2;w3;w4;bye', 'all written');
    // The peer (allowHalfOpen false) ends in turn, and the client closes.
    await clientEvents.closed;
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
    await clientEvents.closed;
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
    await clientEvents.closed;
    await until(() => peerEvents.includes('close(true)') || peerEvents.includes('close(false)'), 'peer close');
    return { returned, clientEvents, peerEvents, destroyed: client.destroyed };
  });
  assert.deepEqual(node.peerEvents.slice(1).map((e) => e.error ? e.error.code : e), ['ECONNRESET', 'close(true)']);
  assert.deepEqual(rsnet, node);
});

test('write: resetAndDestroy() while connecting resets once connected', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const peerEvents = [];
    const server = await run.listen({}, (socket) => {
      peerEvents.push(...record(socket, PEER_EVENTS, run));
      socket.on('error', (err) => peerEvents.push(err.code));
      socket.on('close', () => peerEvents.push('peer closed'));
    });
    const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const events = record(socket, CLIENT_EVENTS, run);
    const returned = socket.resetAndDestroy() === socket;
    const state = socketState(socket, run);
    await events.closed;
    await until(() => peerEvents.includes('peer closed'), 'peer close');
    return { returned, state: [state.readyState, state.destroyed], events, peerEvents };
  });
  assert.ok(node.peerEvents.includes('ECONNRESET'));
  assert.deepEqual(node.state, ['opening', false]);
  assert.deepEqual(rsnet, node);
});

test('write: resetAndDestroy() on a socket that never connected emits ERR_SOCKET_CLOSED', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const socket = run.track(new run.net.Socket());
    const events = record(socket, CLIENT_EVENTS, run);
    const result = outcome(() => socket.resetAndDestroy(), run);
    await events.closed;
    return { result, events };
  });
  assert.equal(node.events[0].error.code, 'ERR_SOCKET_CLOSED');
  assert.deepEqual(rsnet, node);
});

test('write: resetAndDestroy() on a Unix socket throws ERR_INVALID_HANDLE_TYPE', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const sockPath = tmpPath('reset');
    await run.listen({ path: sockPath }, () => {});
    const socket = run.track(run.net.connect(sockPath));
    const events = record(socket, CLIENT_EVENTS, run);
    await next(socket, 'connect');
    const result = outcome(() => socket.resetAndDestroy(), run);
    const destroyed = socket.destroyed;
    socket.destroy();
    await events.closed;
    return { result, destroyed, events };
  });
  assert.equal(node.result.threw.code, 'ERR_INVALID_HANDLE_TYPE');
  assert.equal(node.destroyed, false);
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
    await clientEvents.closed;
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
      let cbError;
      const afterEnd = await new Promise((resolve) => {
        const result = ended.client.write('late', (err) => {
          cbError = err;
          resolve({ result, err: errorShape(err, run) });
        });
      });
      await ended.clientEvents.closed;

      const destroyed = await connectedPair(run);
      destroyed.client.destroy();
      const afterDestroy = await new Promise((resolve) => {
        const result = destroyed.client.write('late', (err) => resolve({ result, err: errorShape(err, run) }));
      });
      await delay(10);
      return {
        afterEnd, endedEvents: ended.clientEvents, afterDestroy, destroyedEvents: destroyed.clientEvents,
        // The callback and the 'error' event get the same error object.
        sameError: ended.clientEvents.errors[0] === cbError,
      };
    });
    assert.equal(node.afterEnd.err.code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.deepEqual(names(node.endedEvents).slice(-2), ['error', 'close(true)']);
    assert.equal(node.sameError, true);
    assert.equal(node.afterDestroy.err.code, 'ERR_STREAM_DESTROYED');
    assert.deepEqual(rsnet, node);
  });

// ---------------------------------------------------------------------------------------
// 2. Reading

// A peer that writes each of `chunks` (a Buffer or string) after `gap` ms (the first
// after `firstGap`), then ends.
function scriptedPeer(chunks, gap = 5, firstGap = gap) {
  return async (socket) => {
    socket.on('error', () => {});
    for (const [i, chunk] of chunks.entries()) {
      await delay(i === 0 ? firstGap : gap);
      if (socket.destroyed) return;
      socket.write(chunk);
    }
    socket.end();
  };
}

test('read: data events, bytesRead, end and close', T, async () => {
  const chunks = ['hello ', Buffer.from([0xe2, 0x9c]), Buffer.from([0x93, 0x00, 0xff]), 'world'];
  const total = Buffer.concat(chunks.map((c) => Buffer.from(c)));
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, scriptedPeer(chunks));
    const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const events = record(socket, CLIENT_EVENTS, run);
    let bytesReadAtEnd;
    let isBuffer = true;
    socket.on('data', (chunk) => { isBuffer &&= Buffer.isBuffer(chunk); });
    socket.on('end', () => { bytesReadAtEnd = socket.bytesRead; });
    await events.closed;
    return {
      events, isBuffer, bytesReadAtEnd, bytesRead: socket.bytesRead, hex: Buffer.concat(events.data).toString('hex'),
    };
  });
  assert.equal(node.hex, total.toString('hex'));
  assert.equal(node.bytesRead, total.length);
  assert.deepEqual(names(node.events),
    ['connectionAttempt', 'connect', 'ready', 'data', 'end', 'finish', 'close(false)']);
  assert.deepEqual(rsnet, node);
});

test('read: readable event and read(n)', T, async () => {
  const chunks = ['abcdefg', 'hij', 'klmnopqrstu', 'vwxyz'];
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, scriptedPeer(chunks));
    const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const events = record(socket, [...CLIENT_EVENTS, 'readable'], run);
    const reads = [];
    socket.on('readable', () => {
      let chunk;
      while ((chunk = socket.read(4)) !== null) reads.push(chunk.toString());
    });
    await events.closed;
    // Any number of 'readable' events may come before the last one; compare the rest.
    const compact = events.filter((e, i) => e !== 'readable' || events[i + 1] !== 'readable');
    return { events: compact, reads, bytesRead: socket.bytesRead, readableEnded: socket.readableEnded };
  });
  assert.deepEqual(node.reads, ['abcd', 'efgh', 'ijkl', 'mnop', 'qrst', 'uvwx', 'yz']);
  assert.ok(node.events.includes('readable') && node.events.includes('end'));
  assert.deepEqual(rsnet, node);
});

test("read: a socket consumed only through 'readable' starts reading once connected", T, async () => {
  // The listener comes while the socket is connecting: the read it asks for must survive
  // the connection. The peer writes a little later, so a read that stopped stays stopped;
  // several connections, since a lost read may depend on timing.
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, scriptedPeer(['abcdefg', 'hij', 'klmnopqrstu', 'vwxyz'], 2, 30));
    const trials = [];
    for (let i = 0; i < 25; i++) {
      const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
      const reads = [];
      socket.on('readable', () => {
        let chunk;
        while ((chunk = socket.read(4)) !== null) reads.push(chunk.toString());
      });
      socket.on('error', () => {});
      const closed = next(socket, 'close');
      const outcome = await Promise.race([closed.then(() => 'closed'), delay(400).then(() => 'stuck')]);
      trials.push({ outcome, reads: reads.join(' '), bytesRead: socket.bytesRead });
      socket.destroy();
    }
    return trials;
  }, { timeout: 20000 });
  assert.deepEqual(node[0], { outcome: 'closed', reads: 'abcd efgh ijkl mnop qrst uvwx yz', bytesRead: 26 });
  assert.deepEqual(rsnet, node);
});

test('read: setEncoding(utf8) keeps split characters whole; setEncoding(hex)', T, async () => {
  // 'é' (c3 a9) and '😀' (f0 9f 98 80) are split across writes.
  const chunks = [Buffer.from([0x41, 0xc3]), Buffer.from([0xa9, 0xf0, 0x9f]), Buffer.from([0x98, 0x80, 0x42])];
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, scriptedPeer(chunks, 15));
    const results = {};
    for (const encoding of ['utf8', 'hex']) {
      const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
      const events = record(socket, CLIENT_EVENTS, run);
      socket.setEncoding(encoding);
      await events.closed;
      results[encoding] = {
        types: [...new Set(events.data.map((c) => typeof c))],
        text: events.data.join(''),
        replacement: events.data.some((c) => c.includes('\ufffd')),
        readableEncoding: socket.readableEncoding,
        bytesRead: socket.bytesRead,
        events,
      };
    }
    return results;
  });
  assert.deepEqual(node.utf8.types, ['string']);
  assert.equal(node.utf8.text, 'Aé😀B');
  assert.equal(node.utf8.replacement, false);
  assert.equal(node.hex.text, '41c3a9f09f988042');
  assert.deepEqual(rsnet, node);
});

test('read: pause() stops data events, resume() delivers what was buffered', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, (socket) => socket.write('while paused'));
    const socket = run.track(new run.net.Socket());
    const events = record(socket, [...CLIENT_EVENTS, 'pause', 'resume'], run);
    socket.on('data', () => {});
    socket.connect(server.address().port, '127.0.0.1');
    socket.pause();
    await next(socket, 'connect');
    // Node keeps reading into the stream's buffer while paused: wait for the bytes to land.
    await until(() => socket.bytesRead === 12, 'bytes read while paused', 500).catch(() => {});
    await delay(20);
    const paused = {
      isPaused: socket.isPaused(), readableFlowing: socket.readableFlowing,
      readableLength: socket.readableLength, bytesRead: socket.bytesRead,
    };
    events.push('-- resume()');
    socket.resume();
    await until(() => events.data.length > 0, 'data after resume');
    const resumed = { isPaused: socket.isPaused(), readableFlowing: socket.readableFlowing };
    socket.end();
    await events.closed;
    return { events, paused, resumed, data: Buffer.concat(events.data).toString() };
  });
  assert.deepEqual(node.paused, { isPaused: true, readableFlowing: false, readableLength: 12, bytesRead: 12 });
  assert.ok(node.events.indexOf('data') > node.events.indexOf('-- resume()'));
  assert.equal(node.data, 'while paused');
  assert.deepEqual(rsnet, node);
});

test('read: for await...of yields the data; breaking out destroys the socket', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, scriptedPeer(['one', 'two', 'three']));
    const port = server.address().port;
    const full = run.track(run.net.connect(port, '127.0.0.1'));
    const fullEvents = record(full, CLIENT_EVENTS.filter((e) => e !== 'data'), run);
    const chunks = [];
    for await (const chunk of full) chunks.push(chunk.toString());
    await fullEvents.closed;

    const early = run.track(run.net.connect(port, '127.0.0.1'));
    const earlyEvents = record(early, CLIENT_EVENTS.filter((e) => e !== 'data'), run);
    let first;
    for await (const chunk of early) {
      // TCP may merge the peer's first writes: only the start is certain.
      first = chunk.toString().startsWith('one');
      break;
    }
    const destroyedAfterBreak = early.destroyed;
    await earlyEvents.closed;
    return {
      text: chunks.join(''), fullEvents, bytesRead: full.bytesRead, first, destroyedAfterBreak, earlyEvents,
    };
  });
  assert.equal(node.text, 'onetwothree');
  assert.equal(node.first, true);
  assert.equal(node.destroyedAfterBreak, true);
  assert.deepEqual(rsnet, node);
});

test('read: microtasks queued in an event handler run before the next event', T, async () => {
  // Node delivers each I/O callback separately: promise callbacks (await) scheduled in
  // one event's listener run before the next event, so `await once(socket, 'connect')`
  // still sees a connected socket even if the peer sends and closes at once.
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, (socket) => socket.end('bye'));
    const port = server.address().port;
    const trials = [];
    for (let i = 0; i < 5; i++) {
      const socket = run.track(run.net.connect(port, '127.0.0.1'));
      const order = [];
      for (const name of ['connect', 'data', 'end', 'close']) {
        socket.on(name, () => {
          order.push(name);
          Promise.resolve().then(() => order.push(`after ${name}`));
        });
      }
      const closed = next(socket, 'close');
      await next(socket, 'connect');
      const afterAwait = [socket.remoteAddress, socket.destroyed];
      await closed;
      await delay(1);
      trials.push({ order, afterAwait });
    }
    return trials;
  });
  assert.deepEqual(node[0].order,
    ['connect', 'after connect', 'data', 'after data', 'end', 'after end', 'close', 'after close']);
  assert.deepEqual(node[0].afterAwait, ['127.0.0.1', false]);
  assert.deepEqual(rsnet, node);
});

// The onread option: data goes into the caller's buffer and to its callback, never to the
// stream. How TCP splits the bytes into callbacks is the kernel's choice, so the runs
// compare the bytes, the buffers used, the stops and the events, not the callback count.
const ONREAD_EVENTS = ['connect', 'ready', 'data', 'end', 'error', 'close(false)', 'close(true)'];
const keyEvents = (events) => names(events).filter((e) => ONREAD_EVENTS.includes(e));

function patterned(size, seed) {
  const data = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

// A client with `onread`, connected to a peer that sends `data` and ends.
async function onreadClientOf(run, data, onread) {
  const server = await run.listen({}, (socket) => socket.end(data));
  return run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1', onread }));
}

test('onread: fills the given buffer, returning false stops reading until resume()', T, async () => {
  const sent = patterned(200 * 1024, 7);
  const { node, rsnet } = await sideBySide(async (run) => {
    const buffer = Buffer.alloc(4096);
    const received = [];
    let maxRead = 0;
    let sameBuffer = true;
    let thisIsSocket = true;
    const socket = await onreadClientOf(run, sent, {
      buffer,
      callback(n, buf) {
        received.push(Buffer.from(buf.subarray(0, n)));
        maxRead = Math.max(maxRead, n);
        if (buf !== buffer) sameBuffer = false;
        if (this !== socket) thisIsSocket = false;
        return received.length > 1;
      },
    });
    const events = record(socket, CLIENT_EVENTS, run);
    await until(() => received.length === 1, 'first callback');
    await delay(100);
    const whileStopped = { calls: received.length, isPaused: socket.isPaused(), events: [...events] };
    socket.resume();
    await events.closed;
    const all = Buffer.concat(received);
    return { whileStopped, events, maxRead, sameBuffer, thisIsSocket,
      sameBytes: all.equals(sent), bytesRead: socket.bytesRead };
  });
  assert.deepEqual(node.whileStopped.calls, 1);
  assert.deepEqual(keyEvents(node.whileStopped.events), ['connect', 'ready']);
  assert.deepEqual(keyEvents(node.events), ['connect', 'ready', 'end', 'close(false)']);
  assert.equal(node.maxRead, 4096);
  assert.equal(node.sameBytes, true);
  assert.equal(node.bytesRead, sent.length);
  assert.deepEqual(rsnet, node);
});

test('onread: a buffer function is asked for the first buffer at connect and a new one after each callback', T, async () => {
  const sent = patterned(50 * 1024, 11);
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, (socket) => socket.end(sent));
    const made = [];
    const received = [];
    let latestUsed = true;
    const socket = run.track(new run.net.Socket({
      onread: {
        buffer: () => {
          made.push(new Uint8Array(1000 + made.length));
          return made.at(-1);
        },
        callback(n, buf) {
          if (buf !== made.at(-1) || n > buf.length) latestUsed = false;
          received.push(Buffer.from(buf.buffer, buf.byteOffset, n));
        },
      },
    }));
    const madeBeforeConnect = made.length;
    socket.connect(server.address().port, '127.0.0.1');
    const madeAtConnect = made.length;
    const events = record(socket, CLIENT_EVENTS, run);
    await events.closed;
    return { madeBeforeConnect, madeAtConnect, oneMorePerCallback: made.length === received.length + 1,
      latestUsed, sameBytes: Buffer.concat(received).equals(sent), events };
  });
  assert.deepEqual({ ...node, events: keyEvents(node.events) }, { madeBeforeConnect: 0, madeAtConnect: 1,
    oneMorePerCallback: true, latestUsed: true, sameBytes: true, events: ['connect', 'ready', 'end', 'close(false)'] });
  assert.deepEqual(rsnet, node);
});

test('onread: ignored when invalid; a function giving no buffer and an empty buffer behave as in Node', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await run.listen({}, (socket) => socket.end('some bytes'));
    const port = server.address().port;
    const cases = {
      notABuffer: { buffer: 5, callback() {} },
      noCallback: { buffer: Buffer.alloc(10) },
      functionGivesString: { buffer: () => 'no buffer', callback: null },
      emptyBuffer: { buffer: Buffer.alloc(0), callback: null },
    };
    const out = {};
    for (const [name, onread] of Object.entries(cases)) {
      const calls = [];
      if (onread.callback === null) {
        onread.callback = (n, buf) => { calls.push([n, buf === true ? true : typeof buf]); };
      }
      const socket = run.track(run.net.connect({ port, host: '127.0.0.1', onread }));
      const events = record(socket, CLIENT_EVENTS, run);
      await events.closed;
      out[name] = { events, calls, data: Buffer.concat(events.data).toString() };
    }
    return out;
  });
  assert.equal(node.notABuffer.data, 'some bytes');
  assert.equal(node.noCallback.data, 'some bytes');
  assert.deepEqual(node.functionGivesString.calls, [[10, true]]);
  assert.equal(node.emptyBuffer.events.find((e) => e.error).error.code, 'ENOBUFS');
  assert.deepEqual(rsnet, node);
});

test('onread: pause() and resume() from the callback, a small buffer and an early end lose no byte', T, async () => {
  const sent = patterned(300 * 1024, 23);
  const { node, rsnet } = await sideBySide(async (run) => {
    const received = [];
    let stops = 0;
    const socket = await onreadClientOf(run, sent, {
      buffer: Buffer.alloc(1000),
      callback(n, buf) {
        received.push(Buffer.from(buf.subarray(0, n)));
        if (received.length % 37 === 0) {
          stops++;
          socket.pause();
          setTimeout(() => socket.resume(), 2);
        }
        if (received.length % 53 === 0) {
          stops++;
          setTimeout(() => socket.resume(), 2);
          return false;
        }
        return true;
      },
    });
    const events = record(socket, CLIENT_EVENTS, run);
    await events.closed;
    const all = Buffer.concat(received);
    return { events, sameBytes: all.equals(sent), length: all.length, stopped: stops > 10 };
  });
  assert.deepEqual({ ...node, events: keyEvents(node.events) }, { events: ['connect', 'ready', 'end', 'close(false)'],
    sameBytes: true, length: sent.length, stopped: true });
  assert.deepEqual(rsnet, node);
});

test('onread: pause() and resume() inside a callback that then returns false keep the end after the data', T,
  async () => {
    const sent = patterned(5000, 31);
    const { node, rsnet } = await sideBySide(async (run) => {
      const received = [];
      const socket = await onreadClientOf(run, sent, {
        buffer: Buffer.alloc(1000),
        callback(n, buf) {
          received.push(Buffer.from(buf.subarray(0, n)));
          if (received.length === 1) {
            // Stop until the rest of the data and the end have arrived.
            setTimeout(() => socket.resume(), 100);
            return false;
          }
          if (received.length === 2) {
            socket.pause();
            socket.resume();
            setTimeout(() => socket.resume(), 20);
            return false;
          }
          return true;
        },
      });
      const order = [];
      socket.on('end', () => order.push(`end after ${Buffer.concat(received).length} bytes`));
      const events = record(socket, CLIENT_EVENTS, run);
      await events.closed;
      return { order, sameBytes: Buffer.concat(received).equals(sent), events: keyEvents(events) };
    });
    assert.deepEqual(node, { order: ['end after 5000 bytes'], sameBytes: true,
      events: ['connect', 'ready', 'end', 'close(false)'] });
    assert.deepEqual(rsnet, node);
  });

test('onread: data held back when the socket is destroyed is not delivered after a new connect()', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    let accepted = 0;
    const server = await run.listen({}, (socket) => {
      socket.on('error', () => {});
      socket.write(accepted++ === 0 ? 'OLD-OLD-OLD-OLD' : 'new');
    });
    const received = [];
    const socket = run.track(new run.net.Socket({
      onread: {
        buffer: Buffer.alloc(4),
        callback(n, buf) {
          received.push(buf.subarray(0, n).toString());
          return received.length > 1;
        },
      },
    }));
    socket.connect(server.address().port, '127.0.0.1');
    await until(() => received.length === 1, 'first callback');
    await delay(50);
    socket.destroy();
    await next(socket, 'close');
    socket.connect(server.address().port, '127.0.0.1', () => socket.resume());
    await until(() => received.length === 2, 'data from the second connection');
    await delay(50);
    return { received };
  });
  assert.deepEqual(node.received, ['OLD-', 'new']);
  assert.deepEqual(rsnet, node);
});

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
    const client = run.track(run.peer.connect(server.address().port, '127.0.0.1'));
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

// ---------------------------------------------------------------------------------------
// 3. Half-open connections and how sockets close

test('half-open: allowHalfOpen false ends the socket after the peer ends; later writes fail with EPIPE', T,
  async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const { client, clientEvents, peer, peerEvents, bytes } =
        await connectedPair(run, { peer: { allowHalfOpen: true } });
      let atEnd;
      let late;
      client.on('end', () => {
        atEnd = { readyState: client.readyState, writable: client.writable, writableEnded: client.writableEnded };
        // Until the socket ends itself (on a later tick) it still writes; then it does not.
        client.write('same tick');
        process.nextTick(() => client.write('next tick'));
        process.nextTick(() => process.nextTick(() => {
          late = { result: client.write('too late', (err) => clientEvents.push(['write cb', errorShape(err, run)])) };
        }));
      });
      peer.end('from peer');
      await clientEvents.closed;
      await until(() => peerEvents.some((e) => e === 'close(false)' || e === 'close(true)'), 'peer close');
      return { clientEvents, peerEvents, atEnd, late, peerGot: bytes().toString() };
    });
    assert.deepEqual(node.atEnd, { readyState: 'writeOnly', writable: true, writableEnded: false });
    assert.equal(node.peerGot, 'same ticknext tick');
    const epipe = node.clientEvents.find((e) => e.error).error;
    assert.deepEqual([epipe.code, epipe.message], ['EPIPE', 'This socket has been ended by the other party']);
    assert.deepEqual(rsnet, node);
  });

test('half-open: allowHalfOpen true stays writable after the peer ends', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, clientEvents, peer, peerEvents, bytes } =
      await connectedPair(run, { clientOptions: { allowHalfOpen: true }, peer: { allowHalfOpen: true } });
    const states = [];
    client.on('end', async () => {
      states.push(['at end', client.readyState, client.writable]);
      await delay(20);
      states.push(['later', client.readyState, client.writable, client.destroyed]);
      client.write('answer ');
      client.end('after your FIN');
      states.push(['after end()', client.readyState]);
    });
    peer.end('question');
    await clientEvents.closed;
    await until(() => peerEvents.includes('close(false)'), 'peer close');
    return { clientEvents, peerEvents, states, peerGot: bytes().toString(), allowHalfOpen: client.allowHalfOpen };
  });
  assert.equal(node.peerGot, 'answer after your FIN');
  assert.deepEqual(node.states, [['at end', 'writeOnly', true], ['later', 'writeOnly', true, false],
    ['after end()', 'closed']]);
  assert.deepEqual(rsnet, node);
});

// How each way of closing looks from both ends. `act(client, peer)` closes.
const closings = [
  ['client ends first', (client) => client.end()],
  ['peer ends first', (client, peer) => peer.end()],
  ['client destroy()', (client) => client.destroy()],
  ['client destroy(err)', (client) => client.destroy(Object.assign(new Error('local failure'), { code: 'EBOOM' }))],
  ['peer resets', (client, peer) => peer.resetAndDestroy()],
  ['peer destroys', (client, peer) => peer.destroy()],
];

for (const [label, act] of closings) {
  test(`close: ${label}: end/finish/close order and hadError`, T, async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const { client, clientEvents, peer, peerEvents } = await connectedPair(run);
      const states = [];
      client.on('close', () => states.push(['close', client.readyState, client.destroyed]));
      act(client, peer);
      states.push(['sync', client.readyState, client.destroyed]);
      await clientEvents.closed;
      await until(() => peerEvents.some((e) => e === 'close(false)' || e === 'close(true)'), 'peer close');
      return { clientEvents, peerEvents, states };
    });
    assert.ok(node.clientEvents.at(-1).startsWith('close('));
    assert.deepEqual(rsnet, node);
  });
}

// A client that stopped reading must not read the reset either: the kernel reports it once,
// to the next write, as ECONNRESET (EPIPE after that). The sizes are below and at rsnet's
// read-ahead bound, where its I/O thread is last waiting to read or throttled.
for (const size of [256 * 1024, 1024 * 1024]) test(`close: writing to a peer that reset the connection (${size / 1024} KiB unread)`, T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    let peer;
    const peerEvents = [];
    const server = await run.listen({}, (socket) => {
      peer = socket;
      peerEvents.push(...record(socket, PEER_EVENTS, run));
      // Enough data to fill the client's read buffer: a client that does not consume stops reading.
      socket.once('data', () => socket.write(Buffer.alloc(size)));
    });
    const client = run.track(new run.net.Socket());
    const events = record(client, CLIENT_EVENTS.filter((e) => e !== 'data'), run);
    client.connect(server.address().port, '127.0.0.1');
    await next(client, 'connect');
    client.write('ping');
    await until(() => client.readableLength >= client.readableHighWaterMark, 'client read buffer full');
    await delay(20);
    const peerClosed = next(peer, 'close');
    peer.resetAndDestroy();
    await peerClosed;
    await delay(20);
    const cb = [];
    client.write('into the void', (err) => cb.push(errorShape(err, run)));
    await events.closed;
    await delay(5);
    return { events, cb, full: client.readableLength >= client.readableHighWaterMark };
  });
  const error = node.events.find((e) => e.error).error;
  assert.match(error.code, /^(ECONNRESET|EPIPE)$/);
  assert.equal(error.syscall, 'write');
  assert.equal(node.events.at(-1), 'close(true)');
  assert.deepEqual(rsnet, node);
});

// The peer's FIN often reaches rsnet during the turn that delivered the connect: its 'end',
// and the end() and destroy() that follow, must still come as in the next turn's poll phase,
// so that 'close' waits for the immediate queued here (lib/binding.js, endOfTurn).
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

// ---------------------------------------------------------------------------------------
// 4. Timeouts

test('setTimeout: emits timeout once after inactivity, keeps the socket open, re-arms on activity', T,
  async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const { client, clientEvents, bytes } = await connectedPair(run);
      const returned = client.setTimeout(40) === client;
      const timeout = client.timeout;
      await next(client, 'timeout');
      await delay(100);
      clientEvents.push('-- write');
      const state = [client.readyState, client.destroyed];
      client.write('wake up');
      await next(client, 'timeout');
      await until(() => bytes().length === 7, 'write arrived');
      client.destroy();
      await clientEvents.closed;
      return { returned, timeout, state, events: clientEvents };
    });
    assert.deepEqual(names(node.events).slice(-5), ['ready', 'timeout', '-- write', 'timeout', 'close(false)']);
    assert.deepEqual(node.state, ['open', false]);
    assert.equal(node.timeout, 40);
    assert.deepEqual(rsnet, node);
  });

test('setTimeout: writes and incoming data postpone the timeout', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, clientEvents, peer } = await connectedPair(run);
    client.setTimeout(150);
    for (let i = 0; i < 4; i++) {
      await delay(40);
      clientEvents.push(`-- write ${i}`);
      client.write('.');
    }
    for (let i = 0; i < 4; i++) {
      await delay(40);
      clientEvents.push(`-- peer writes ${i}`);
      peer.write('.');
    }
    await next(client, 'timeout');
    client.destroy();
    await clientEvents.closed;
    return { events: clientEvents };
  });
  const events = names(node.events);
  assert.deepEqual(events.slice(events.indexOf('-- peer writes 3') + 1), ['data', 'timeout', 'close(false)']);
  assert.ok(!events.slice(0, events.indexOf('-- peer writes 3')).includes('timeout'));
  assert.deepEqual(rsnet, node);
});

test('setTimeout(0) disables the timeout and removes its callback', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const { client, clientEvents } = await connectedPair(run);
    const before = client.timeout;
    const onTimeout = () => clientEvents.push('callback');
    client.setTimeout(30, onTimeout);
    const listeners = [client.listenerCount('timeout')];
    client.setTimeout(0, onTimeout);
    listeners.push(client.listenerCount('timeout'));
    const after = client.timeout;
    await delay(120);
    client.destroy();
    await clientEvents.closed;
    return { before, after, listeners, events: clientEvents };
  });
  assert.deepEqual([node.before, node.after], [undefined, 0]);
  assert.deepEqual(node.listeners, [2, 1]);
  assert.ok(!names(node.events).includes('timeout'));
  assert.deepEqual(rsnet, node);
});

test('setTimeout: bad arguments throw what net throws', T, async () => {
  const values = ['x', -1, Infinity, NaN, null, 1n];
  const { node, rsnet } = await sideBySide((run) => {
    const socket = run.track(new run.net.Socket());
    const results = values.map((value) => outcome(() => socket.setTimeout(value), run));
    results.push(outcome(() => socket.setTimeout(10, 'not a function'), run));
    socket.setTimeout(0);
    return results;
  });
  assert.equal(node[0].threw.code, 'ERR_INVALID_ARG_TYPE');
  assert.equal(node[1].threw.code, 'ERR_OUT_OF_RANGE');
  assert.equal(node[2].threw.code, 'ERR_OUT_OF_RANGE');
  assert.deepEqual(rsnet, node);
});

test('setTimeout() after destroy() returns the socket, checks nothing and arms nothing; otherwise net\'s order', T, async () => {
  const { node, rsnet: ours } = await sideBySide(async (run) => {
    const { client } = await connectedPair(run);
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

// ---------------------------------------------------------------------------------------
// 5. State

for (const [family, host] of [['IPv4', '127.0.0.1'], ['IPv6', '::1']]) {
  test(`state: readyState, pending, connecting, address() and remote/local properties over ${family}`, T,
    async () => {
      const { node, rsnet } = await sideBySide(async (run) => {
        const peers = [];
        const server = await run.listen({ host, allowHalfOpen: true }, (socket) => {
          peers.push(socket);
          socket.on('data', () => {});
        });
        const port = server.address().port;
        const steps = [];
        const take = (step, socket) => steps.push([step, socketState(socket, run)]);

        // The peer ends first: the client goes writeOnly, then ends too.
        const a = run.track(new run.net.Socket({ allowHalfOpen: true }));
        const aEvents = record(a, CLIENT_EVENTS, run);
        take('a: new', a);
        a.connect({ port, host });
        take('a: connect() called', a);
        for (const name of ['connect', 'end', 'finish', 'close']) a.on(name, () => take(`a: ${name}`, a));
        await next(a, 'connect');
        await until(() => peers.length === 1, 'peer a');
        peers[0].end();
        await next(a, 'end');
        a.end();
        take('a: end() called', a);
        await aEvents.closed;

        // The client ends first: readOnly until the peer ends.
        const b = run.track(run.net.connect({ port, host }));
        const bEvents = record(b, CLIENT_EVENTS, run);
        for (const name of ['connect', 'finish', 'end', 'close']) b.on(name, () => take(`b: ${name}`, b));
        await next(b, 'connect');
        await until(() => peers.length === 2, 'peer b');
        b.end();
        take('b: end() called', b);
        await next(b, 'finish');
        peers[1].end();
        await bEvents.closed;
        take('b: after close', b);
        b.destroy();
        take('b: destroy() again', b);
        return { steps, aEvents, bEvents };
      });
      const states = node.steps.map(([step, s]) => [step, s.readyState]);
      assert.deepEqual(states, [
        ['a: new', 'open'], ['a: connect() called', 'opening'], ['a: connect', 'open'], ['a: end', 'writeOnly'],
        ['a: end() called', 'closed'], ['a: finish', 'closed'], ['a: close', 'closed'],
        ['b: connect', 'open'], ['b: end() called', 'readOnly'], ['b: finish', 'readOnly'], ['b: end', 'closed'],
        ['b: close', 'closed'], ['b: after close', 'closed'], ['b: destroy() again', 'closed'],
      ]);
      const connected = node.steps.find(([step]) => step === 'a: connect')[1];
      assert.deepEqual(connected.address, { address: host, family, port: 'LOCAL' });
      assert.deepEqual([connected.remoteAddress, connected.remotePort, connected.remoteFamily], [host, 'PORT', family]);
      assert.deepEqual([connected.localAddress, connected.localFamily], [host, family]);
      assert.deepEqual(rsnet, node);
    });
}

test('state: a Unix socket has no TCP addresses', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const sockPath = tmpPath('state');
    await run.listen({ path: sockPath }, (socket) => socket.end());
    const socket = run.track(run.net.connect(sockPath));
    const events = record(socket, CLIENT_EVENTS, run);
    const steps = [['connect() called', socketState(socket, run)]];
    socket.on('connect', () => steps.push(['connect', socketState(socket, run)]));
    await events.closed;
    steps.push(['closed', socketState(socket, run)]);
    return { steps, events };
  });
  assert.equal(node.steps[1][1].readyState, 'open');
  assert.deepEqual(node.steps[1][1].address, {});
  assert.deepEqual(rsnet, node);
});

// ---------------------------------------------------------------------------------------
// 6. Errors

for (const [family, host] of [['IPv4', '127.0.0.1'], ['IPv6', '::1']]) {
  test(`error: ECONNREFUSED over ${family}: fields, events and state`, T, async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const port = await run.closedPort();
      const socket = run.track(run.net.connect(port, host));
      const events = record(socket, CLIENT_EVENTS, run);
      const onError = [];
      socket.on('error', () => onError.push(socketState(socket, run)));
      await events.closed;
      return { events, onError, closed: socketState(socket, run) };
    });
    const error = node.events.find((e) => e.error).error;
    assert.deepEqual(
      [error.ctor, error.code, error.syscall, error.address, error.port, error.message],
      ['Error', 'ECONNREFUSED', 'connect', host, 'CLOSED', `connect ECONNREFUSED ${host}:CLOSED`]);
    assert.equal(node.events.at(-1), 'close(true)');
    assert.deepEqual(rsnet, node);
  });
}

test('error: connecting to a missing Unix socket path', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const missing = run.label(tmpPath('missing'), 'PATH');
    const socket = run.track(run.net.connect(missing));
    const events = record(socket, CLIENT_EVENTS, run);
    await events.closed;
    const relative = run.track(run.net.connect('no-such-socket-here'));
    const relativeEvents = record(relative, CLIENT_EVENTS, run);
    await relativeEvents.closed;
    return { events, relativeEvents };
  });
  const error = node.events.find((e) => e.error).error;
  assert.deepEqual([error.code, error.syscall, error.address, error.message], ['ENOENT', 'connect', 'PATH',
    'connect ENOENT PATH']);
  assert.equal(node.relativeEvents.find((e) => e.error).error.code, 'ENOENT');
  assert.deepEqual(rsnet, node);
});

const badConnects = [
  ['connect({ port: -1 })', (net) => net.connect({ port: -1 })],
  ['connect({ port: 65536 })', (net) => net.connect({ port: 65536 })],
  ['connect({ port: "abc" })', (net) => net.connect({ port: 'abc' })],
  ['connect({ port: true })', (net) => net.connect({ port: true })],
  ['connect({ port: 80, localAddress: "nope" })', (net) => net.connect({ port: 80, localAddress: 'nope' })],
  ['connect({ port: 80, lookup: 1 })', (net) => net.connect({ port: 80, lookup: 1 })],
  ['connect({ port: 80, family: 5 })', (net) => net.connect({ port: 80, family: 5 })],
  ['connect({ port: 80, host: 1 })', (net) => net.connect({ port: 80, host: 1 })],
  // Node 22 refuses a host with a NUL byte before the lookup; Node 20 lets DNS fail it.
  ...(line.validatesConnectHost ?
    [['connect({ port: 80, host: "a\\0b" })', (net) => net.connect({ port: 80, host: 'a\0b' })]] : []),
  ['connect({ port: 80, localPort: "x" })', (net) => net.connect({ port: 80, localPort: 'x' })],
  ['connect({ port: 80, autoSelectFamily: 1 })', (net) => net.connect({ port: 80, autoSelectFamily: 1 })],
  ['connect({ path: 1 })', (net) => net.connect({ path: 1 })],
  ['connect({})', (net) => net.connect({})],
  ['connect()', (net) => net.connect()],
  ['createConnection()', (net) => net.createConnection()],
  ['new Socket().connect()', (net) => new net.Socket().connect()],
  ['new Socket().connect({ port: -1 })', (net) => new net.Socket().connect({ port: -1 })],
  ['new Socket().connect(65536, host)', (net) => new net.Socket().connect(65536, '127.0.0.1')],
];

// Calls fn() and then destroys every socket a connect() made meanwhile, even one the
// caller never got because connect() threw.
function destroyingSockets(net, fn) {
  const created = new Set();
  const { connect } = net.Socket.prototype;
  net.Socket.prototype.connect = function (...args) {
    created.add(this);
    return connect.apply(this, args);
  };
  try {
    return fn();
  } finally {
    net.Socket.prototype.connect = connect;
    for (const socket of created) socket.destroy();
  }
}

for (const [label, attempt] of badConnects) {
  test(`error: ${label} throws what net throws`, T, async () => {
    const { node, rsnet } = await sideBySide((run) => destroyingSockets(run.net,
      () => outcome(() => attempt(run.net), run)));
    assert.ok(node.threw, 'Node throws');
    assert.deepEqual(rsnet, node);
  });
}

test('error: a connect() that throws leaves nothing that keeps the process alive', T, async () => {
  // In a child process: if something stays referenced, the child does not exit by itself.
  const script = `
    const net = ${LOAD_IMPL};
    const codes = [];
    const attempts = [
      () => net.connect({ port: -1 }),
      () => net.connect({ path: 1 }),
      () => net.connect({ port: 80, host: 1 }),
      () => new net.Socket().connect(65536, '127.0.0.1'),
    ];
    for (const attempt of attempts) {
      try { attempt(); } catch (err) { codes.push(err.code); }
    }
    console.log(codes.join(' '));
  `;
  const { node, rsnet } = await sideBySide(async (run) => {
    const out = await runNode(['-e', script], { env: implEnv(run.name), timeout: 3000 });
    return { exited: !out.timedOut, code: out.code, stdout: out.stdout.trim() };
  }, { timeout: 6000 });
  assert.deepEqual(node, {
    exited: true, code: 0,
    stdout: 'ERR_SOCKET_BAD_PORT ERR_INVALID_ARG_TYPE ERR_INVALID_ARG_TYPE ERR_SOCKET_BAD_PORT',
  });
  assert.deepEqual(rsnet, node);
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

// ---------------------------------------------------------------------------------------
// 7. A random conversation: the same seeded sequence of writes (sizes, encodings), pauses,
// resumes, corks and a final end or destroy, on a client and server of each implementation.
// After each step the test waits until whatever can arrive has arrived, so each side's
// event log (with the steps as markers) is deterministic. RSNET_SEED=<n> replays a run.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPayload(random) {
  const int = (n) => Math.floor(random() * n);
  const roll = random();
  const size = roll < 0.1 ? 0 : roll < 0.6 ? int(100) : roll < 0.9 ? int(20000) : 20000 + int(300000);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = int(256);
  const kinds = ['utf8', 'hex', 'base64', 'latin1', 'ucs2', 'Buffer', 'Uint8Array'];
  const kind = kinds[int(kinds.length)];
  let value;
  if (kind === 'utf8') {
    const pools = [[0x20, 0x7f], [0xa0, 0x7ff], [0x800, 0xd7ff], [0x1f600, 0x1f64f]];
    const chars = [];
    for (let length = 0; length < size;) {
      const [lo, hi] = pools[int(pools.length)];
      const char = String.fromCodePoint(lo + int(hi - lo));
      chars.push(char);
      length += Buffer.byteLength(char);
    }
    value = chars.join('');
  } else if (kind === 'ucs2') {
    const chars = [];
    for (let i = 0; i < size / 2; i++) chars.push(String.fromCharCode(0x20 + int(0xd000)));
    value = chars.join('');
  } else if (kind === 'latin1') {
    value = bytes.toString('latin1');
  } else if (kind === 'hex' || kind === 'base64') {
    value = bytes.toString(kind);
  } else {
    value = kind === 'Buffer' ? bytes : new Uint8Array(bytes);
  }
  const encoding = typeof value === 'string' ? kind : undefined;
  const expected = typeof value === 'string' ? Buffer.from(value, encoding) : Buffer.from(value);
  return { kind, value, encoding, expected };
}

function randomPlan(seed) {
  const random = mulberry32(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const steps = [];
  const count = 20 + Math.floor(random() * 20);
  for (let i = 0; i < count; i++) {
    const side = pick(['client', 'server']);
    const op = pick(['write', 'write', 'write', 'write', 'pause', 'resume', 'cork', 'uncork']);
    steps.push(op === 'write' ? { side, op, payload: randomPayload(random) } : { side, op });
  }
  const finish = {
    side: pick(['client', 'server']),
    how: pick(['end', 'end', 'destroy', 'destroy(err)']),
    allowHalfOpen: random() < 0.5,
    tail: randomPayload(random),
  };
  return { steps, finish };
}

async function converse(run, plan) {
  const { steps, finish } = plan;
  const accepted = [];
  const server = await run.listen({ net: run.net, allowHalfOpen: finish.allowHalfOpen }, (s) => accepted.push(s));
  const client = run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1',
    allowHalfOpen: finish.allowHalfOpen }));
  await next(client, 'connect');
  await until(() => accepted.length === 1, 'accepted');
  const sides = { client: { socket: client }, server: { socket: accepted[0] } };
  sides.client.peer = sides.server;
  sides.server.peer = sides.client;
  for (const side of Object.values(sides)) {
    Object.assign(side, { sent: [], corked: [], paused: false });
    side.log = record(side.socket, ['data', 'end', 'finish', 'error', 'close', 'pause', 'resume'], run);
    side.received = () => Buffer.concat(side.log.data);
    side.flushedLength = () => side.sent.reduce((n, b) => n + b.length, 0);
  }
  const mark = (text) => {
    for (const side of Object.values(sides)) side.log.push(text);
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  // Whatever a flowing side can receive has arrived.
  const settle = async () => {
    await turn();
    for (const side of Object.values(sides)) {
      if (!side.paused) await until(() => side.received().length >= side.peer.flushedLength(), 'delivery');
    }
    await turn();
  };

  for (const [i, step] of steps.entries()) {
    const side = sides[step.side];
    const { socket } = side;
    mark(`#${i} ${step.side}.${step.op}${step.payload ? ` ${step.payload.kind} ${step.payload.expected.length}` : ''}`);
    if (step.op === 'write') {
      const { value, encoding, expected } = step.payload;
      if (encoding) socket.write(value, encoding);
      else socket.write(value);
      (socket.writableCorked ? side.corked : side.sent).push(expected);
    } else if (step.op === 'pause') {
      socket.pause();
      side.paused = true;
    } else if (step.op === 'resume') {
      socket.resume();
      side.paused = false;
    } else if (step.op === 'cork') {
      socket.cork();
    } else if (step.op === 'uncork') {
      socket.uncork();
      if (!socket.writableCorked) side.sent.push(...side.corked.splice(0));
    }
    await settle();
  }

  mark('-- flush');
  for (const side of Object.values(sides)) {
    while (side.socket.writableCorked) side.socket.uncork();
    side.sent.push(...side.corked.splice(0));
    side.socket.resume();
    side.paused = false;
  }
  await settle();

  const actor = sides[finish.side];
  const other = actor.peer;
  mark(`-- ${finish.side}.${finish.how}, allowHalfOpen ${finish.allowHalfOpen}`);
  other.socket.once('end', () => {
    if (!finish.allowHalfOpen) return;
    // Half-open: the side still open answers after the other's FIN, then ends.
    if (finish.how === 'end') {
      const { value, encoding, expected } = finish.tail;
      if (encoding) other.socket.write(value, encoding);
      else other.socket.write(value);
      other.sent.push(expected);
    }
    other.socket.end();
  });
  if (finish.how === 'end') actor.socket.end();
  else if (finish.how === 'destroy') actor.socket.destroy();
  else actor.socket.destroy(new Error('random failure'));
  await Promise.all([actor.log.closed, other.log.closed]);

  const result = {};
  for (const [name, side] of Object.entries(sides)) {
    const expected = Buffer.concat(side.peer.sent);
    result[name] = {
      log: side.log,
      receivedLength: side.received().length,
      receivedAll: side.received().equals(expected),
      bytesRead: side.socket.bytesRead,
      destroyed: side.socket.destroyed,
    };
  }
  return result;
}

test('random conversation (seeded): both peers observe the same bytes and events', { timeout: 30000 },
  async (t) => {
    const seeds = process.env.RSNET_SEED ? [Number(process.env.RSNET_SEED)] :
      [1, 2].map(() => Math.floor(Math.random() * 2 ** 32));
    for (const seed of seeds) {
      t.diagnostic(`seed ${seed}`);
      const plan = randomPlan(seed);
      try {
        const { node, rsnet } = await sideBySide((run) => converse(run, plan), { timeout: 10000 });
        assert.ok(node.client.receivedAll && node.server.receivedAll, 'Node delivers every byte');
        assert.ok(node.client.log.at(-1).startsWith('close(') && node.server.log.at(-1).startsWith('close('));
        assert.deepEqual(rsnet, node);
      } catch (err) {
        err.message = `random conversation failed with seed ${seed} (RSNET_SEED=${seed} replays it)\n${err.message}`;
        throw err;
      }
    }
  });

// ---------------------------------------------------------------------------------------
// 8. Echo, both ends (issue #2): a client writes, the server echoes, then one side ends or
// destroys the connection; each end's events (names and order, with the data and the
// errors) must be the same as on net.

// What a socket looks like once it has closed.
function stateAtClose(socket, into) {
  socket.on('close', () => {
    into.push({
      readyState: socket.readyState,
      destroyed: socket.destroyed,
      pending: socket.pending,
      bytesRead: socket.bytesRead,
      bytesWritten: socket.bytesWritten,
      readable: socket.readable,
      writable: socket.writable,
    });
  });
}

// A client writes 'hello' and ' world'; the server echoes each chunk; then `mode` says
// who ends the connection and how.
async function echoScenario(net, track, mode, where) {
  const states = { server: [], client: [] };
  let serverLog = null;
  let serverSocketClosed = null;
  const server = await startServer(net, track, undefined, ...where.listenArgs());
  const serverEvents = [];
  server.on('close', () => serverEvents.push('close'));
  server.on('connection', (socket) => {
    serverEvents.push('connection');
    serverLog = recordEvents(socket);
    serverSocketClosed = closed(socket);
    stateAtClose(socket, states.server);
    let received = '';
    socket.on('data', (chunk) => {
      // Echo 'hello world' only: what a client sends with end() is not echoed, so
      // that its 'finish' and the echo cannot race.
      if (received.length < 11) socket.write(chunk);
      received += chunk;
      if (received !== 'hello world') return;
      if (mode === 'server destroy()') socket.destroy();
      if (mode === 'server destroy(err)') socket.destroy(Object.assign(new Error('server boom'), { code: 'EBOOM' }));
      if (mode === 'server end()') socket.end();
    });
    socket.on('error', () => {});
  });

  const client = track(net.connect(where.connectArgs(server)));
  const clientLog = recordEvents(client);
  stateAtClose(client, states.client);
  const clientClosed = closed(client);
  client.on('connect', () => {
    client.write('hello');
    client.write(' world');
  });
  let echoed = '';
  client.on('data', (chunk) => {
    echoed += chunk;
    if (echoed !== 'hello world') return;
    if (mode === 'client end()') client.end();
    if (mode === 'client end(data)') client.end('!');
    if (mode === 'client destroy()') client.destroy();
    if (mode === 'client destroy(err)') client.destroy(Object.assign(new Error('client boom'), { code: 'EBOOM' }));
  });
  client.on('error', () => {});
  await clientClosed;
  assert.ok(serverSocketClosed, 'the server saw no connection');
  await serverSocketClosed;
  server.close();
  await closed(server);
  return { server: serverLog, client: clientLog, states, serverEvents };
}

const TCP4 = {
  listenArgs: () => [0, '127.0.0.1'],
  connectArgs: (server) => ({ port: server.address().port, host: '127.0.0.1' }),
};

const ECHO_EXPECTED = {
  'client end()': {
    client: ['connect', 'ready', 'data:hello world', 'finish', 'end', 'close:false'],
    server: ['data:hello world', 'end', 'finish', 'close:false'],
  },
  'client end(data)': {
    client: ['connect', 'ready', 'data:hello world', 'finish', 'end', 'close:false'],
    server: ['data:hello world!', 'end', 'finish', 'close:false'],
  },
  'client destroy()': {
    client: ['connect', 'ready', 'data:hello world', 'close:false'],
    server: ['data:hello world', 'end', 'finish', 'close:false'],
  },
  'server end()': {
    client: ['connect', 'ready', 'data:hello world', 'end', 'finish', 'close:false'],
    server: ['data:hello world', 'finish', 'end', 'close:false'],
  },
  'server destroy()': {
    client: ['connect', 'ready', 'data:hello world', 'end', 'finish', 'close:false'],
    server: ['data:hello world', 'close:false'],
  },
  'client destroy(err)': {
    client: ['connect', 'ready', 'data:hello world', 'error', 'close:true'],
    server: ['data:hello world', 'end', 'finish', 'close:false'],
  },
  'server destroy(err)': {
    client: ['connect', 'ready', 'data:hello world', 'end', 'finish', 'close:false'],
    server: ['data:hello world', 'error', 'close:true'],
  },
};
for (const mode of Object.keys(ECHO_EXPECTED)) {
  test(`echo over TCP, ${mode}: same events on both ends as net`, { timeout: 5000 }, async (t) => {
    const expected = await sameOnBoth(({ net, track }) => echoScenario(net, track, mode, TCP4));
    assert.deepEqual(names(expected.client), ECHO_EXPECTED[mode].client);
    assert.deepEqual(names(expected.server), ECHO_EXPECTED[mode].server);
    assert.deepEqual(expected.serverEvents, ['connection', 'close']);
  });
}
test('echo over IPv6 (::1), client end(): same events as net', { timeout: 5000 }, async (t) => {
  const where = {
    listenArgs: () => [0, '::1'],
    connectArgs: (server) => ({ port: server.address().port, host: '::1' }),
  };
  const expected = await sameOnBoth(({ net, track }) => echoScenario(net, track, 'client end()', where));
  assert.deepEqual(names(expected.client), ECHO_EXPECTED['client end()'].client);
});
test('echo over a Unix socket, client end() and server destroy(err): same events as net',
  { timeout: 5000 }, async (t) => {
    const dir = tmpDir('echo');
    let n = 0;
    for (const mode of ['client end()', 'server destroy(err)']) {
      const where = {
        file: null,
        listenArgs() {
          this.file = path.join(dir, `echo-${n++}.sock`);
          return [this.file];
        },
        connectArgs() {
          return { path: this.file };
        },
      };
      const expected = await sameOnBoth(({ net, track }) => echoScenario(net, track, mode, where));
      assert.deepEqual(names(expected.client), ECHO_EXPECTED[mode].client);
      assert.deepEqual(names(expected.server), ECHO_EXPECTED[mode].server);
    }
  });

test('net client against rsnet server and rsnet client against net server: same events as net alone',
  { timeout: 5000 }, async (t) => {
    const { track } = testScope(t);
    // echoScenario takes one module; mix them with a module that serves from one and
    // connects from the other.
    const mixed = (serverNet, clientNet) => ({
      createServer: (...args) => serverNet.createServer(...args),
      connect: (...args) => clientNet.connect(...args),
    });
    const expected = await echoScenario(nodeNet, track, 'client end()', TCP4);
    assert.deepEqual(await echoScenario(mixed(nodeNet, rsnet), track, 'client end()', TCP4), expected);
    assert.deepEqual(await echoScenario(mixed(rsnet, nodeNet), track, 'client end()', TCP4), expected);
  });

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// 9. Back-pressure (issue #2): write() and 'drain' against a peer that does not read, and
// writes made before the connection.

test('write() returns false above the high-water mark while the peer does not read; drain follows its reading',
  { timeout: 15000 }, async (t) => {
    const CHUNK = 1024;
    const LIMIT = 256 * 1024 * 1024;
    const expected = await sameOnBoth(async ({ net, track }) => {
      const server = await startServer(net, track, { pauseOnConnect: true }, 0, '127.0.0.1');
      const client = track(net.connect(server.address().port, '127.0.0.1'));
      const [[peer]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
      const chunk = pattern(CHUNK);
      const hwm = client.writableHighWaterMark;
      let written = 0;
      let returnedFalse = false;
      let lengthWhileTrueOk = true;
      while (written < LIMIT) {
        const ok = client.write(chunk);
        written += CHUNK;
        if (!ok) {
          returnedFalse = true;
          break;
        }
        if (client.writableLength >= hwm) lengthWhileTrueOk = false;
      }
      const atFalse = {
        returnedFalse,
        lengthWhileTrueOk,
        lengthAtLeastHwm: client.writableLength >= hwm,
        needDrain: client.writableNeedDrain,
      };
      let drained = false;
      client.on('drain', () => {
        drained = true;
      });
      await delay(200);
      const drainedWhilePaused = drained;

      let received = 0;
      let inOrder = true;
      peer.on('data', (data) => {
        for (let i = 0; i < data.length && inOrder; i += 4096) {
          const offset = (received + i) % CHUNK;
          if (data[i] !== chunk[offset]) inOrder = false;
        }
        received += data.length;
      });
      peer.resume();
      if (!drained) await once(client, 'drain');
      client.end();
      await once(peer, 'end');
      return {
        atFalse,
        drainedWhilePaused,
        drainedAfterResume: drained,
        received: received === written,
        inOrder,
        needDrainAfter: client.writableNeedDrain,
      };
    }, { timeout: 7000 });
    assert.deepEqual(expected, {
      atFalse: { returnedFalse: true, lengthWhileTrueOk: true, lengthAtLeastHwm: true, needDrain: true },
      drainedWhilePaused: false,
      drainedAfterResume: true,
      received: true,
      inOrder: true,
      needDrainAfter: false,
    });
  });

// A write made while connecting waits for the connection; in net it is handed to the
// handle from a 'connect' listener, so its callback (and 'drain', when it filled the
// buffer) come between 'connect' and 'ready'; a second buffered write's callback after.
test('writes made before the connection: callbacks and drain around connect/ready as in net',
  { timeout: 5000 }, async (t) => {
    const expected = await sameOnBoth(async ({ net, track }) => {
      const server = await startServer(net, track, undefined, 0, '127.0.0.1');
      server.on('connection', (socket) => socket.resume());
      const client = track(net.connect(server.address().port, '127.0.0.1'));
      const events = recordEvents(client, { data: false });
      events.push(`write1:${client.write(Buffer.alloc(client.writableHighWaterMark + 1), () => events.push('cb1'))}`);
      events.push(`write2:${client.write('x', () => events.push('cb2'))}`);
      await once(client, 'connect');
      await later(50);
      return events;
    }, { timeout: 7000 });
    assert.deepEqual(expected, ['write1:false', 'write2:false', 'connect', 'drain', 'cb1', 'ready', 'cb2']);
  });
