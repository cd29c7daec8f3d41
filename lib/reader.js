'use strict';

// A socket's read side: what its native handle reads, given to the stream as Node's net
// gives it (lib/socket.js delegates here). One Reader per socket, for every handle it
// has; an onread socket (options.onread) has a UserBufferReader, which fills the user's
// buffers and calls back instead of pushing to the stream.
//
//   data(buffer)        the handle read `buffer`
//   end(type, payload)  the handle read the end: EOF, or READ_ERROR with an errno
//   want()              the stream asks for data (Socket#_read)
//   stop()              stop the handle reading (back-pressure, or paused at connect)
//   pause(), resume()   Socket#pause() and #resume()/#read(): onread only
//   attach(handle)      the socket took a new handle
//   drop()              the socket is destroyed: what is unread was its connection's
//   bytesRead           what the stream (or the callback) was given
//
// and a handle's own readStart() (http calls it, bypassing _read) brings an end that was
// held meanwhile, as a resume through _read does. The other methods are the Reader's own.
//
// As Node's do, a socket gives its stream data only while push() returns true. What the
// I/O thread read ahead meanwhile is held outside the stream, as Node leaves it in the
// kernel, and goes to the stream in chunks of up to 64 KiB when it asks again; reading
// stops in the kernel in between. The end comes after the data, from a later turn of the
// loop, never from inside read(), resume() or _read().

const { isUint8Array } = require('node:util/types');
const { SocketHandle, currentTurn, kind } = require('./binding');
const { errnoException, uv } = require('./errors');
const { debug } = require('./debug');

// On a handle: the Reader of the socket that owns it.
const kReader = Symbol('kReader');

// Held-back reads go to the stream in chunks of up to this size, as Node reads them.
const HELD_CHUNK = 64 * 1024;

class Reader {
  constructor(socket) {
    this.socket = socket;
    this.bytesRead = 0;
    // Whether the stream asked for data (_read) and has not refused any since (push false).
    this.wants = false;
    // Reads the I/O thread made ahead that the stream did not want yet, oldest first.
    this.held = null;
    // The end of the stream ({ type, payload }) found while reading was stopped, while reads
    // were held back, or right after data: it comes after them (see scheduleEnd).
    this.pendingEnd = null;
    this.endScheduled = false;
    // The delivery turn (lib/binding.js) that brought the latest data.
    this.dataTurn = 0;
    // Set while onread callbacks run (UserBufferReader): an end then waits.
    this.delivering = false;
  }

  attach(handle) {
    // Native handles start reading as soon as they are connected.
    if (handle.reading === undefined) handle.reading = false;
    handle[kReader] = this;
  }

  data(buffer) {
    this.dataTurn = currentTurn();
    this.take(buffer);
  }

  take(buffer) {
    this.socket._unrefTimer();
    if (this.held === null && this.wants) this.push(buffer);
    else if (this.held === null) this.held = [buffer];
    else this.held.push(buffer);
    // What the I/O thread read ahead may keep arriving for a moment after a readStop.
    if (!this.wants) this.stop();
  }

  // Whether data read before an end has still to be delivered.
  waiting() {
    return this.held !== null;
  }

  end(type, payload) {
    const handle = this.socket._handle;
    // Read just before a readStop reached the I/O thread: keep it until reading resumes,
    // as libuv would only find it then. Also after data still held back.
    if (handle && (!handle.reading || this.waiting())) {
      this.pendingEnd = { type, payload };
      return;
    }
    // libuv stops reading after a short read, so the end that follows data comes from a
    // later poll, after the immediates that the data's consumers queued. Data delivered at
    // the end of the previous turn (a deferred batch) had its consumers' immediates queued
    // for this turn's end, so that counts as close too.
    if (handle && currentTurn() - this.dataTurn <= 1) {
      this.pendingEnd = { type, payload };
      this.scheduleEnd();
      return;
    }
    this.finish(type, payload);
  }

  want() {
    this.wants = true;
    if (this.held !== null) this.pushHeld();
    const handle = this.socket._handle;
    if (!this.wants || this.held !== null || !handle) return;
    // `handle.reading` is the flag Node's own handles carry; http pauses sockets through it.
    if (!handle.reading) this.start();
    else if (this.pendingEnd !== null) this.scheduleEnd();
  }

  // Whether the handle reads now; a handle that cannot read destroys the socket.
  start() {
    const socket = this.socket;
    const err = socket._handle.readStart();
    if (err !== 0) {
      // As Node's tryReadStart: the write end of a pipe cannot be read.
      socket.destroy(errnoException(err, 'read'));
      return false;
    }
    socket._handle.reading = true;
    return true;
  }

  stop() {
    const handle = this.socket._handle;
    if (handle && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  // The stream's own pause() and resume() do it: it stops asking.
  pause() {}

  resume() {}

  drop() {
    this.pendingEnd = null;
    this.held = null;
    this.wants = false;
  }

  push(chunk) {
    this.bytesRead += chunk.length;
    if (!this.socket.push(chunk)) this.wants = false;
  }

  // Gives the stream held-back reads while it wants them, merged into chunks of up to
  // HELD_CHUNK bytes as Node would have read them from the kernel.
  pushHeld() {
    const held = this.held;
    let i = 0;
    while (i < held.length && this.wants && this.socket._handle) {
      let end = i + 1;
      let size = held[i].length;
      while (end < held.length && size + held[end].length <= HELD_CHUNK) size += held[end++].length;
      const chunk = end - i === 1 ? held[i] : Buffer.concat(held.slice(i, end), size);
      i = end;
      this.push(chunk);
    }
    // A listener may have destroyed the socket, which dropped what was held.
    if (this.held !== held) return;
    if (i === held.length) this.held = null;
    else held.splice(0, i);
  }

  // An end found while reading was stopped, or together with data, comes once reading
  // resumes, after the immediates queued meanwhile, as libuv would read it in the next
  // poll: never from inside read(), resume() or _read(), nor before a consumer that paused
  // on the data until its next immediate has resumed.
  scheduleEnd() {
    if (this.endScheduled) return;
    this.endScheduled = true;
    setImmediate(afterNextImmediates, this);
  }

  deliverEnd() {
    this.endScheduled = false;
    const end = this.pendingEnd;
    const socket = this.socket;
    const handle = socket._handle;
    if (end === null || socket.destroyed || !handle || !handle.reading || this.waiting() ||
        this.delivering) {
      return;
    }
    this.pendingEnd = null;
    this.finish(end.type, end.payload);
  }

  finish(type, payload) {
    const socket = this.socket;
    if (type === kind.READ_ERROR) return socket.destroy(errnoException(payload, 'read'));
    debug('EOF');
    if (socket._handle) socket._handle.reading = false;
    socket.push(null);
    socket.read(0);
  }
}

function afterNextImmediates(reader) {
  setImmediate(deliverEnd, reader);
}

function deliverEnd(reader) {
  reader.deliverEnd();
}

// options.onread: reads go into the user's buffer and to a callback, one call per fill, as
// libuv reads at most the buffer's length at a time; the stream gets no data, so it never
// asks for more, and pause(), resume() and read() stop and start the handle themselves.
class UserBufferReader extends Reader {
  constructor(socket, onread) {
    super(socket);
    // A buffer, or a function that gives one per read. Until it has (at a handle), the
    // callback gets what Node's net gives it then: true.
    if (typeof onread.buffer === 'function') {
      this.buffer = true;
      this.generate = onread.buffer;
    } else {
      this.buffer = onread.buffer;
      this.generate = null;
    }
    this.callback = onread.callback;
    // Whether reads go into the user's buffer: Node reads into its own buffers when a
    // buffer function's first answer is no Uint8Array, and then passes the callback
    // whatever it has.
    this.used = this.generate === null;
    // What did not fit before the callback asked to stop: delivered first when reading
    // resumes, as it would wait in the kernel.
    this.rest = null;
  }

  // As Node's initSocketHandle: a buffer function gives the first buffer now.
  attach(handle) {
    super.attach(handle);
    const generate = this.generate;
    if (generate !== null) {
      // Called as Node calls it, with no `this`.
      const first = generate();
      this.used = isUint8Array(first);
      if (this.used) this.buffer = first;
    }
  }

  take(buffer) {
    const handle = this.socket._handle;
    if (this.rest !== null || !handle || !handle.reading) {
      this.rest = this.rest === null ? buffer : Buffer.concat([this.rest, buffer]);
      return;
    }
    this.socket._unrefTimer();
    this.delivering = true;
    try {
      this.fill(buffer);
    } finally {
      this.delivering = false;
    }
  }

  fill(buffer) {
    const socket = this.socket;
    let offset = 0;
    while (offset < buffer.length) {
      const target = this.buffer;
      let n = buffer.length - offset;
      if (this.used) {
        n = Math.min(n, target.length);
        // libuv refuses to read into an empty buffer.
        if (n === 0) return this.finish(kind.READ_ERROR, uv.ENOBUFS);
        target.set(buffer.subarray(offset, offset + n));
      }
      offset += n;
      this.bytesRead += n;
      const more = this.callback.call(socket, n, target) !== false;
      const generate = this.generate;
      if (generate !== null) {
        const next = generate();
        if (isUint8Array(next)) this.buffer = next;
      }
      if (socket.destroyed || !socket._handle) return;
      if (!more) this.stop();
      if (!socket._handle.reading) {
        if (offset < buffer.length) this.rest = buffer.subarray(offset);
        return;
      }
    }
  }

  waiting() {
    return this.rest !== null;
  }

  start() {
    if (!super.start()) return false;
    // Held-back data comes first, on a later tick as a read from the kernel would.
    if (this.rest !== null) process.nextTick(deliverRest, this);
    return true;
  }

  pause() {
    const socket = this.socket;
    const handle = socket._handle;
    if (!socket.connecting && handle && handle.reading) {
      handle.reading = false;
      if (!socket.destroyed) handle.readStop();
    }
  }

  resume() {
    const socket = this.socket;
    if (!socket.connecting && socket._handle && !socket._handle.reading) this.start();
  }

  drop() {
    super.drop();
    this.rest = null;
  }

  finish(type, payload) {
    // libuv asks for a buffer before it reads the end, too.
    if (type === kind.EOF && this.used && this.buffer.length === 0) {
      type = kind.READ_ERROR;
      payload = uv.ENOBUFS;
    }
    super.finish(type, payload);
  }
}

// Data held back while reading was stopped, then the end that followed it.
function deliverRest(reader) {
  const rest = reader.rest;
  const socket = reader.socket;
  const handle = socket._handle;
  if (rest === null || !handle || !handle.reading || socket.destroyed) return;
  reader.rest = null;
  reader.take(rest);
  if (reader.pendingEnd !== null) reader.deliverEnd();
}

// The reader for a socket made with `options.onread`: a UserBufferReader when it is valid;
// an invalid one is ignored, as Node ignores it.
function createReader(socket, onread) {
  if (onread !== null && typeof onread === 'object' && typeof onread.callback === 'function' &&
      (isUint8Array(onread.buffer) || typeof onread.buffer === 'function')) {
    return new UserBufferReader(socket, onread);
  }
  return new Reader(socket);
}

// http pauses and resumes a socket through its handle's readStop()/readStart(), as Node's
// handles allow, bypassing _read: an end found in between must still come after such a
// resume.
const nativeReadStart = SocketHandle.prototype.readStart;
SocketHandle.prototype.readStart = function readStart() {
  const err = nativeReadStart.call(this);
  const reader = this[kReader];
  if (err === 0 && reader !== undefined && reader.pendingEnd !== null) reader.scheduleEnd();
  return err;
};

module.exports = { createReader };
