'use strict';

// The read side under back-pressure (issue 16): a socket gives its stream no more than
// Node's net would (push only while push() returns true; what the I/O thread read ahead
// waits outside the stream's buffer), and the end of the stream comes after the data,
// never from inside read(), resume() or _read(). Each scenario runs on Node's net and on
// rsnet (helpers/side-by-side.js); the peer is always Node's net, so a difference is the client's.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { delay, next, pattern, record, sideBySide } = require('./helpers');

const T = { timeout: 30000 };
const KiB = 1024;
const MiB = 1024 * KiB;
// Node reads at most 64 KiB at a time: a paused stream may hold one such read above its mark.
const READ_SIZE = 64 * KiB;


const digest = (buffers) => crypto.createHash('sha256').update(Buffer.concat(buffers)).digest('hex');

// A Node server that writes `data` to each connection and ends it.
function sender(run, data) {
  return run.listen({}, (socket) => {
    socket.on('error', () => {});
    socket.end(data);
  });
}

// Counts, on `socket`, calls of read(), resume() and _read() that are still on the stack,
// and records every end of stream pushed or emitted while one is.
function watchReentrantEnd(socket) {
  const seen = { pushedInside: 0, endInside: 0, depth: 0 };
  for (const name of ['read', 'resume', '_read']) {
    const original = socket[name];
    socket[name] = function watched(...args) {
      seen.depth++;
      try {
        return original.apply(this, args);
      } finally {
        seen.depth--;
      }
    };
  }
  const push = socket.push;
  socket.push = function watchedPush(chunk, encoding) {
    if (chunk === null && seen.depth > 0) seen.pushedInside++;
    return push.call(this, chunk, encoding);
  };
  socket.on('end', () => {
    if (seen.depth > 0) seen.endInside++;
  });
  return seen;
}

test('read-side: pause() on every chunk keeps readableLength within net\'s, and loses no byte', T,
  async () => {
    const data = pattern(4 * MiB, 16);
    const { node, rsnet } = await sideBySide(async (run) => {
      const server = await sender(run, data);
      const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
      const reentrant = watchReentrantEnd(socket);
      const chunks = [];
      let maxPaused = 0;
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        socket.pause();
        maxPaused = Math.max(maxPaused, socket.readableLength);
        setTimeout(() => {
          maxPaused = Math.max(maxPaused, socket.readableLength);
          socket.resume();
        }, 5);
      });
      await next(socket, 'end');
      return {
        bytes: Buffer.concat(chunks).length,
        digest: digest(chunks),
        bytesRead: socket.bytesRead,
        maxPaused,
        pushedInside: reentrant.pushedInside,
        endInside: reentrant.endInside,
      };
    }, { timeout: 25000 });
    const expected = { bytes: data.length, digest: digest([data]), bytesRead: data.length };
    for (const result of [node, rsnet]) {
      assert.equal(result.bytes, expected.bytes);
      assert.equal(result.digest, expected.digest);
      assert.equal(result.bytesRead, expected.bytesRead);
      assert.equal(result.pushedInside, 0);
      assert.equal(result.endInside, 0);
    }
    // Node's net reads while the stream is below its mark, one read at a time.
    assert.ok(node.maxPaused > 0 && node.maxPaused <= 128 * KiB, `net's largest: ${node.maxPaused}`);
    assert.ok(rsnet.maxPaused <= node.maxPaused + READ_SIZE,
      `largest readableLength while paused: rsnet ${rsnet.maxPaused}, net ${node.maxPaused}`);
  });

test('read-side: one read() per \'readable\' keeps readableLength within net\'s', T, async () => {
  const data = pattern(3 * MiB, 17);
  const { node, rsnet } = await sideBySide(async (run) => {
    const server = await sender(run, data);
    const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const reentrant = watchReentrantEnd(socket);
    const chunks = [];
    let maxLength = 0;
    // A slow consumer: one 16 KiB read per turn of the loop, waiting for 'readable' when
    // there is not enough.
    const pump = () => {
      maxLength = Math.max(maxLength, socket.readableLength);
      const chunk = socket.read(16 * KiB);
      if (chunk === null) {
        socket.once('readable', pump);
        return;
      }
      chunks.push(chunk);
      setTimeout(pump, 1);
    };
    socket.once('readable', pump);
    await next(socket, 'end');
    return {
      digest: digest(chunks),
      maxLength,
      pushedInside: reentrant.pushedInside,
      endInside: reentrant.endInside,
    };
  }, { timeout: 25000 });
  for (const result of [node, rsnet]) {
    assert.equal(result.digest, digest([data]));
    assert.equal(result.pushedInside, 0);
    assert.equal(result.endInside, 0);
  }
  assert.ok(node.maxLength > 0);
  assert.ok(rsnet.maxLength <= node.maxLength + READ_SIZE,
    `largest readableLength: rsnet ${rsnet.maxLength}, net ${node.maxLength}`);
});

test('read-side: data read ahead while paused comes in chunks like net\'s after resume()', T,
  async () => {
    const data = pattern(8 * MiB, 18);
    const { node, rsnet } = await sideBySide(async (run) => {
      // Small writes, one per turn of the loop: a reader that keeps reading sees many small
      // reads, where one that leaves them in the kernel later reads them merged.
      const server = await run.listen({}, (socket) => {
        socket.on('error', () => {});
        let offset = 0;
        const writeSome = () => {
          if (socket.destroyed) return;
          if (offset >= data.length) return socket.end();
          const more = socket.write(data.subarray(offset, offset + 4 * KiB));
          offset += 4 * KiB;
          if (more) writeSome();
          else socket.once('drain', writeSome);
        };
        writeSome();
      });
      const socket = run.track(run.net.connect(server.address().port, '127.0.0.1'));
      const chunks = [];
      // Paused at the first data, with the rest on its way.
      const [first] = await next(socket, 'data');
      chunks.push(first);
      socket.pause();
      // Long enough for the whole payload to be read ahead or to wait in the kernel.
      await delay(500);
      const paused = socket.readableLength;
      const sizes = [];
      socket.on('data', (chunk) => {
        sizes.push(chunk.length);
        chunks.push(chunk);
      });
      socket.resume();
      await next(socket, 'end');
      return { paused, events: sizes.length, largest: Math.max(...sizes), digest: digest(chunks) };
    });
    for (const result of [node, rsnet]) {
      assert.equal(result.digest, digest([data]));
      assert.ok(result.largest <= READ_SIZE, `largest chunk ${result.largest}`);
    }
    assert.ok(rsnet.paused <= node.paused + READ_SIZE,
      `buffered while paused: rsnet ${rsnet.paused}, net ${node.paused}`);
    // Chunks of up to 64 KiB, as net's: the count may differ by how the kernel split the
    // stream, not by a multiple. Tolerance: a quarter more, plus two.
    assert.ok(rsnet.events <= Math.ceil(node.events * 1.25) + 2,
      `data events after resume: rsnet ${rsnet.events}, net ${node.events}`);
  });

// A small HTTP/1 client that reads the way a widely used one does: on 'readable' it reads
// while its parser is not paused; the parser pauses when a response is complete until the
// application has taken it (the next turn of the loop), and a stream that ends while it is
// paused is a protocol error (the real client asserts there).
function httpClient(net, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let paused = false;
    let head = null;
    let received = Buffer.alloc(0);
    let body = 0;
    let complete = false;
    let endWhilePaused = false;
    const execute = (chunk) => {
      if (head === null) {
        received = Buffer.concat([received, chunk]);
        const at = received.indexOf('\r\n\r\n');
        if (at < 0) return;
        head = received.subarray(0, at).toString('latin1');
        chunk = received.subarray(at + 4);
      }
      body += chunk.length;
      const length = Number(/content-length: (\d+)/i.exec(head)[1]);
      if (body > length) reject(new Error(`body longer than ${length}`));
      if (body === length && !complete) {
        complete = true;
        paused = true;
        setImmediate(() => {
          paused = false;
          readMore();
        });
      }
    };
    const readMore = () => {
      while (!paused) {
        const chunk = socket.read();
        if (chunk === null) break;
        execute(chunk);
      }
    };
    socket.on('readable', readMore);
    socket.on('end', () => {
      if (paused) endWhilePaused = true;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ complete, endWhilePaused }));
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
}

test('read-side: an HTTP/1 client that pauses its parser never sees the end while paused', T,
  async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const sizes = [];
      let seed = 7;
      for (let i = 0; i < 300; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        // Mostly small answers, some well above a stream's high-water mark.
        sizes.push(i % 3 === 0 ? 64 * KiB + (seed % (192 * KiB)) : 100 + (seed % (8 * KiB)));
      }
      let served = 0;
      const server = await run.listen({}, (socket) => {
        socket.on('error', () => {});
        let request = '';
        socket.on('data', (chunk) => {
          request += chunk;
          if (!request.includes('\r\n\r\n')) return;
          const size = sizes[served++];
          socket.end(Buffer.concat([
            Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`),
            Buffer.alloc(size, 'x'),
          ]));
        });
      });
      const outcomes = { complete: 0, endWhilePaused: 0 };
      const port = server.address().port;
      for (let i = 0; i < sizes.length; i += 4) {
        const batch = sizes.slice(i, i + 4).map(() => httpClient(run.net, port));
        for (const result of await Promise.all(batch)) {
          if (result.complete) outcomes.complete++;
          if (result.endWhilePaused) outcomes.endWhilePaused++;
        }
      }
      return outcomes;
    }, { timeout: 25000 });
    assert.deepEqual(node, { complete: 300, endWhilePaused: 0 });
    assert.deepEqual(rsnet, node);
  });

// The Duplex constructor destroys a socket whose signal has already aborted, before the
// socket has set up its read side.
test('read-side: a socket made with an aborted signal is destroyed as net\'s', T, async () => {
  const { node, rsnet } = await sideBySide(async (run) => {
    const socket = run.track(new run.net.Socket({ signal: AbortSignal.abort() }));
    const events = record(socket, ['error', 'close'], run);
    await events.closed;
    return { events, bytesRead: socket.bytesRead };
  });
  assert.equal(node.events[0].error.name, 'AbortError');
  assert.deepEqual(rsnet, node);
});

// Node calls an onread buffer function on its own (no `this`), and the callback on the
// socket.
test('read-side: onread calls its buffer function with no this and its callback on the socket', T,
  async () => {
    const { node, rsnet } = await sideBySide(async (run) => {
      const server = await run.listen({}, (socket) => socket.end('some bytes'));
      const receivers = [];
      const describe = (self, socket) => {
        if (self === undefined) return 'undefined';
        return self === socket ? 'socket' : typeof self;
      };
      const socket = run.track(new run.net.Socket({
        onread: {
          buffer() {
            receivers.push(`buffer: ${describe(this, socket)}`);
            return Buffer.alloc(64);
          },
          callback() {
            receivers.push(`callback: ${describe(this, socket)}`);
          },
        },
      }));
      socket.connect(server.address().port, '127.0.0.1');
      await next(socket, 'close');
      // How many reads the bytes take is the kernel's choice.
      return [...new Set(receivers)];
    });
    assert.deepEqual(node, ['buffer: undefined', 'callback: socket']);
    assert.deepEqual(rsnet, node);
  });
