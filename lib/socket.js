'use strict';

// net.Socket: a stream.Duplex over a native SocketHandle. The handle reads, writes and
// connects on the I/O thread; this file turns its events into Node's stream semantics.

const { addAbortListener } = require('node:events');
const { BlockList, isIP } = require('node:net');
const stream = require('node:stream');
const { isUint8Array } = require('node:util/types');
const {
  SocketHandle, afterPoll, atClose, currentTurn, guessHandleType, kind, kOnEvent, own, disown,
} = require('./binding');
const { unixName, refusedAtOnce } = require('./unix-path');
const { codes, nativeError, errnoException, exceptionWithHostPort, uv } = require('./errors');
const {
  getTimerDuration,
  validateAbortSignal,
  validateFunction,
  validateInt32,
  validateNumber,
} = require('./validators');
const connect = require('./connect');
const perf = require('./perf');
const { ForeignHandle, adoptHandle } = require('./foreign-handle');
const { debug } = require('./debug');
const line = require('./node-line');
const typeOfService = require('./type-of-service');
const boundSocket = require('./bound-socket');
const { keepAliveArgs } = require('./keep-alive-probes');

const {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_INVALID_FD_TYPE,
  ERR_INVALID_HANDLE_TYPE,
  ERR_MISSING_ARGS,
  ERR_SOCKET_CLOSED,
  ERR_IP_BLOCKED,
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
} = codes;


const kPendingWrite = Symbol('kPendingWrite');
const kWriteCallback = Symbol('kWriteCallback');
const kShutdownCallback = Symbol('kShutdownCallback');
const kBytesRead = Symbol('kBytesRead');
const kBytesWritten = Symbol('kBytesWritten');
const kTimeout = Symbol('kTimeout');
const kUnref = Symbol('kUnref');
const kSetNoDelay = Symbol('kSetNoDelay');
const kSetKeepAlive = Symbol('kSetKeepAlive');
const kSetKeepAliveInitialDelay = Symbol('kSetKeepAliveInitialDelay');
// Node 24's probe interval and count (lib/keep-alive-probes.js).
const kKeepAliveProbes = Symbol('kKeepAliveProbes');
const kResetOnDestroy = Symbol('kResetOnDestroy');
// Set from _final's shutdown until it is done: { peer } (the peer's address then).
const kShutdown = Symbol('kShutdown');
const kAttempt = Symbol('kAttempt');
// The 'net' performance measurement of the connect in progress (lib/perf.js).
const kPerf = Symbol('kPerf');
const kReadEnd = Symbol('kReadEnd');
const kBuffer = Symbol('kBuffer');
const kBufferGen = Symbol('kBufferGen');
const kBufferCb = Symbol('kBufferCb');
const kBufferRest = Symbol('kBufferRest');
const kBufferUsed = Symbol('kBufferUsed');
const kBufferDelivering = Symbol('kBufferDelivering');
const kWants = Symbol('kWants');
const kHeld = Symbol('kHeld');
const kEndScheduled = Symbol('kEndScheduled');
const kOwner = Symbol('kOwner');
const kDataTurn = Symbol('kDataTurn');

// Held-back reads go to the stream in chunks of up to this size, as Node reads them.
const HELD_CHUNK = 64 * 1024;

class Socket extends stream.Duplex {
  constructor(options) {
    // A socket carries bytes: net refuses object mode before it looks at anything else.
    if (options?.objectMode) {
      throw new ERR_INVALID_ARG_VALUE('options.objectMode', options.objectMode, 'is not supported');
    } else if (options?.readableObjectMode || options?.writableObjectMode) {
      const name = options.readableObjectMode ? 'readableObjectMode' : 'writableObjectMode';
      throw new ERR_INVALID_ARG_VALUE(`options.${name}`,
        options.readableObjectMode || options.writableObjectMode, 'is not supported');
    }
    // Node's net checks this before it copies the options, and raises a negative delay to 0
    // in the caller's own object.
    if (typeof options?.keepAliveInitialDelay !== 'undefined') {
      validateNumber(options.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
      if (options.keepAliveInitialDelay < 0) options.keepAliveInitialDelay = 0;
    }
    if (typeof options === 'number') options = { fd: options };
    else options = { ...options };
    // The handle emits 'close' itself, after the native socket is gone.
    options.emitClose = false;
    options.autoDestroy = true;
    options.decodeStrings = false;
    options.allowHalfOpen = Boolean(options.allowHalfOpen);
    super(options);

    this.connecting = false;
    this._hadError = false;
    this._handle = null;
    this._parent = null;
    this._host = null;
    this._peername = null;
    this._sockname = null;
    this._server = null;
    this.server = null;
    this[kPendingWrite] = null;
    this[kWriteCallback] = null;
    this[kShutdownCallback] = null;
    this[kBytesRead] = 0;
    this[kBytesWritten] = 0;
    this[kTimeout] = null;
    this[kUnref] = false;
    this[kResetOnDestroy] = false;
    this[kShutdown] = null;
    this[kAttempt] = null;
    this[kPerf] = null;
    // The end of the stream (EOF or a read error) found while reading was stopped or reads
    // were held back: it comes after them, once the stream asks for more.
    this[kReadEnd] = null;
    this[kEndScheduled] = false;
    // Whether the stream asked for data (_read) and has not refused any since (push false).
    this[kWants] = false;
    // Reads the I/O thread made ahead that the stream did not want yet, oldest first: kept
    // out of the stream's buffer, as Node leaves them in the kernel, until _read asks.
    this[kHeld] = null;
    // The turn of the loop that brought the latest data.
    this[kDataTurn] = 0;
    // The onread option: data goes into the user's buffer and to a callback, not the stream.
    // An invalid onread is ignored, as Node ignores it.
    this[kBuffer] = null;
    this[kBufferGen] = null;
    this[kBufferCb] = null;
    // What did not fit before the callback asked to stop: delivered first when reading resumes.
    this[kBufferRest] = null;
    // Whether reads go into the user's buffer: Node reads into its own buffers when a buffer
    // function's first answer is no Uint8Array, and then passes the callback whatever it has.
    this[kBufferUsed] = false;
    // Set while callbacks run, so that a resume() from one does not deliver the end early.
    this[kBufferDelivering] = false;
    const onread = options.onread;
    if (onread !== null && typeof onread === 'object' && typeof onread.callback === 'function' &&
        (isUint8Array(onread.buffer) || typeof onread.buffer === 'function')) {
      if (typeof onread.buffer === 'function') {
        this[kBuffer] = true;
        this[kBufferGen] = onread.buffer;
      } else {
        this[kBuffer] = onread.buffer;
        this[kBufferUsed] = true;
      }
      this[kBufferCb] = onread.callback;
    }
    this[kSetNoDelay] = Boolean(options.noDelay);
    this[kSetKeepAlive] = Boolean(options.keepAlive);
    this[kSetKeepAliveInitialDelay] = ~~(options.keepAliveInitialDelay / 1000);
    this[kKeepAliveProbes] = {};

    typeOfService.takeOption(this, options);

    this.on('end', onReadableStreamEnd);

    // A BoundSocket (Node 24) is a bound handle to connect later, not a connected one.
    if (boundSocket.boundSocketOf({ handle: options.handle }) !== null) {
      boundSocket.adoptForConnect(this, options.handle);
      options.handle = null;
    }
    const fdHandle = options.fd !== undefined && !options.handle ? openFd(options.fd) : null;
    if (options.handle) {
      const adopted = adoptHandle(options.handle);
      this._setHandle(adopted.handle);
      if (options.pauseOnCreate) {
        // The native side started this socket paused already.
        this._handle.reading = false;
        this.readableFlowing = false;
      } else {
        this._handle.reading = adopted.reading;
        if (!options.manualStart) this.read(0);
      }
      // noDelay and keepAlive wait for a connect, as in net: a socket made around a handle
      // or descriptor only remembers them.
    } else if (fdHandle !== null) {
      // A descriptor opened by number: as in Node, it reads once asked to, unless it was
      // made non-readable or asked to wait.
      this._setHandle(fdHandle);
      if (options.readable !== false) {
        if (options.pauseOnCreate) this.readableFlowing = false;
        else if (!options.manualStart) this.read(0);
      }
    }

    // stream.Duplex destroys the socket when the signal aborts. As net, rsnet only notes
    // the abort (connect attempts check it), with one listener of its own added a tick
    // later and removed by the abort alone.
    if (options.signal) {
      validateAbortSignal(options.signal, 'options.signal');
      const signal = options.signal;
      let listener;
      const onAbort = () => {
        listener?.[Symbol.dispose]();
        this._aborted = true;
      };
      // events' abort listener, as net's: it runs even when an earlier one stops the event.
      if (signal.aborted) process.nextTick(onAbort);
      else process.nextTick(() => (listener = addAbortListener(signal, onAbort)));
    }
    // Lines with the option check it last and refuse a blocked address at connect.
    if (line.blockList && options.blockList) {
      if (!BlockList.isBlockList(options.blockList)) {
        throw new ERR_INVALID_ARG_TYPE('options.blockList', 'net.BlockList', options.blockList);
      }
      this.blockList = options.blockList;
    }
  }

  _setHandle(handle) {
    // Native handles start reading as soon as they are connected.
    if (handle.reading === undefined) handle.reading = false;
    this._handle = handle;
    handle[kOwner] = this;
    own(handle, this);
    // unref() before connect() (or before a handle was replaced) holds for the new handle.
    if (this[kUnref]) handle.unref();
    // As Node's initSocketHandle: a buffer generator gives the first buffer now.
    if (this[kBufferGen] !== null) {
      const first = this[kBufferGen]();
      this[kBufferUsed] = isUint8Array(first);
      if (this[kBufferUsed]) this[kBuffer] = first;
    }
  }

  _applyOptions() {
    const handle = this._handle;
    if (this[kSetNoDelay] && handle.setNoDelay) handle.setNoDelay(true);
    if (this[kSetKeepAlive] && handle.setKeepAlive) {
      const probes = this[kKeepAliveProbes];
      handle.setKeepAlive(true, Math.max(0, this[kSetKeepAliveInitialDelay]), probes.interval, probes.count);
    }
  }

  // Every native event of this socket's handle arrives here.
  [kOnEvent](type, payload) {
    switch (type) {
      case kind.DATA: return this._onData(payload);
      case kind.EOF:
      case kind.READ_ERROR:
        // Read just before a readStop reached the I/O thread: keep it until reading
        // resumes, as libuv would only find it then. Also after data still held back.
        if (this._handle && (!this._handle.reading || this[kHeld] !== null ||
            this[kBufferRest] !== null)) {
          this[kReadEnd] = { type, payload };
          return;
        }
        // libuv stops reading after a short read, so the end that follows data comes from
        // a later poll, after the immediates that the data's consumers queued. Data
        // delivered at the end of the previous turn (a deferred batch) had its consumers'
        // immediates queued for this turn's end, so that counts as close too.
        if (this._handle && currentTurn() - this[kDataTurn] <= 1) {
          this[kReadEnd] = { type, payload };
          scheduleReadEnd(this);
          return;
        }
        return this._onReadEnd(type, payload);
      case kind.CONNECT: return this._onConnect(payload);
      case kind.WRITE_DONE: return this._onWriteDone(0);
      case kind.WRITE_ERROR: return this._onWriteDone(payload);
      case kind.SHUTDOWN: return this._onShutdown(payload);
    }
  }

  _onData(buffer) {
    this[kDataTurn] = currentTurn();
    if (this[kBufferCb] !== null) return this._onUserBufferData(buffer);
    this._unrefTimer();
    if (this[kHeld] === null && this[kWants]) this._pushRead(buffer);
    else if (this[kHeld] === null) this[kHeld] = [buffer];
    else this[kHeld].push(buffer);
    // What the I/O thread read ahead may keep arriving for a moment after a readStop.
    if (!this[kWants]) this._stopReading();
  }

  _pushRead(chunk) {
    this[kBytesRead] += chunk.length;
    if (!this.push(chunk)) this[kWants] = false;
  }

  // Gives the stream held-back reads while it wants them, merged into chunks of up to
  // HELD_CHUNK bytes as Node would have read them from the kernel.
  _pushHeld() {
    const held = this[kHeld];
    let i = 0;
    while (i < held.length && this[kWants] && this._handle) {
      let end = i + 1;
      let size = held[i].length;
      while (end < held.length && size + held[end].length <= HELD_CHUNK) size += held[end++].length;
      const chunk = end - i === 1 ? held[i] : Buffer.concat(held.slice(i, end), size);
      i = end;
      this._pushRead(chunk);
    }
    // A listener may have destroyed the socket, which dropped what was held.
    if (this[kHeld] !== held) return;
    if (i === held.length) this[kHeld] = null;
    else held.splice(0, i);
  }

  _stopReading() {
    const handle = this._handle;
    if (handle && handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  // onread: fills the user's buffer and calls back once per fill, as libuv reads at most
  // the buffer's length at a time. What arrives while reading is stopped (the callback
  // returned false, or pause()) waits in kBufferRest, as it would wait in the kernel.
  _onUserBufferData(buffer) {
    const handle = this._handle;
    if (this[kBufferRest] !== null || !handle || !handle.reading) {
      const rest = this[kBufferRest];
      this[kBufferRest] = rest === null ? buffer : Buffer.concat([rest, buffer]);
      return;
    }
    this._unrefTimer();
    this[kBufferDelivering] = true;
    try {
      this._fillUserBuffers(buffer);
    } finally {
      this[kBufferDelivering] = false;
    }
  }

  _fillUserBuffers(buffer) {
    let offset = 0;
    while (offset < buffer.length) {
      const target = this[kBuffer];
      let n = buffer.length - offset;
      if (this[kBufferUsed]) {
        n = Math.min(n, target.length);
        // libuv refuses to read into an empty buffer.
        if (n === 0) return this._onReadEnd(kind.READ_ERROR, uv.ENOBUFS);
        target.set(buffer.subarray(offset, offset + n));
      }
      offset += n;
      this[kBytesRead] += n;
      const more = this[kBufferCb](n, target) !== false;
      if (this[kBufferGen] !== null) {
        const next = this[kBufferGen]();
        if (isUint8Array(next)) this[kBuffer] = next;
      }
      if (this.destroyed || !this._handle) return;
      if (!more) this._stopReading();
      if (!this._handle.reading) {
        if (offset < buffer.length) this[kBufferRest] = buffer.subarray(offset);
        return;
      }
    }
  }

  _onReadEnd(type, payload) {
    // libuv asks for a buffer before it reads the end, too.
    if (type === kind.EOF && this[kBufferUsed] && this[kBuffer].length === 0) {
      type = kind.READ_ERROR;
      payload = uv.ENOBUFS;
    }
    if (type === kind.READ_ERROR) return this.destroy(errnoException(payload, 'read'));
    return this._onEof();
  }

  _onEof() {
    debug('EOF');
    if (this._handle) this._handle.reading = false;
    this.push(null);
    this.read(0);
  }

  _onConnect(errno) {
    const attempt = this[kAttempt];
    this[kAttempt] = null;
    if (this.destroyed) return;
    if (errno !== 0) {
      if (attempt && attempt.onError) return attempt.onError(errno);
      this.connecting = false;
      return this._connectFailed(attempt, errno);
    }
    debug('afterConnect');
    this.connecting = false;
    this._sockname = null;
    this._peername = null;
    this._unrefTimer();
    // Node measures one of several addresses' attempts from its success only.
    let measure = this[kPerf];
    this[kPerf] = null;
    if (attempt && attempt.onSuccess) {
      attempt.onSuccess();
      measure = perf.connectStarted(attempt.address, attempt.port);
    }
    // Options asked for before the socket existed apply now, as in Node's afterConnect.
    this._applyOptions();
    typeOfService.applyOnConnect(this);
    this.emit('connect');
    this.emit('ready');
    const handle = this._handle;
    if (handle) {
      if (!this.isPaused()) {
        this.read(0);
      } else if (!this._readableState.reading) {
        // Paused since connect() began and nobody asked for data: don't read, as Node
        // wouldn't. A read the stream asked for meanwhile (state.reading) goes on.
        this._stopReading();
      }
    }
    // Even when a 'connect' listener destroyed the socket, as in Node.
    if (measure !== null) perf.connectDone(measure);
  }

  _onWriteDone(errno) {
    const cb = this[kWriteCallback];
    this[kWriteCallback] = null;
    if (errno === 0) {
      if (cb) cb();
      return;
    }
    const err = errnoException(errno, 'write');
    if (cb) cb(err);
    else this.destroy(err);
  }

  _onShutdown(errno) {
    const cb = this[kShutdownCallback];
    this[kShutdownCallback] = null;
    if (!cb) return;
    if (errno === 0 || errno === uv.ENOTCONN) cb();
    else cb(errnoException(errno, 'shutdown'));
  }

  _unrefTimer() {
    if (this[kTimeout]) this[kTimeout].refresh();
  }

  _read(n) {
    if (this.connecting || !this._handle) {
      this.once('connect', () => this._read(n));
      return;
    }
    this[kWants] = true;
    if (this[kHeld] !== null) this._pushHeld();
    if (!this[kWants] || this[kHeld] !== null || !this._handle) return;
    // `handle.reading` is the flag Node's own handles carry; http pauses sockets through it.
    if (!this._handle.reading) this._startReading();
    else if (this[kReadEnd] !== null) scheduleReadEnd(this);
  }

  _startReading() {
    const err = this._handle.readStart();
    if (err !== 0) {
      // As Node's tryReadStart: the write end of a pipe cannot be read.
      this.destroy(errnoException(err, 'read'));
      return;
    }
    this._handle.reading = true;
    // Held-back onread data comes first, on a later tick as a read from the kernel would.
    if (this[kBufferRest] !== null) process.nextTick(deliverBufferRest, this);
  }

  // As Node's net.Socket: with onread the stream gets no data, so Readable never asks for
  // more; pause(), resume() and read() stop and start the handle themselves.
  pause() {
    if (this[kBuffer] && !this.connecting && this._handle && this._handle.reading) {
      this._handle.reading = false;
      if (!this.destroyed) {
        this._handle.readStop();
      }
    }
    return super.pause();
  }

  resume() {
    if (this[kBuffer] && !this.connecting && this._handle && !this._handle.reading) {
      this._startReading();
    }
    return super.resume();
  }

  read(n) {
    if (this[kBuffer] && !this.connecting && this._handle && !this._handle.reading) {
      this._startReading();
    }
    return super.read(n);
  }

  _writeGeneric(writev, data, encoding, cb) {
    if (this.connecting) {
      // As Node does: the write goes out from a 'connect' listener, so it runs after the
      // listeners added before it and before 'ready'.
      this[kPendingWrite] = { writev, data, encoding };
      const onClose = () => cb(new ERR_SOCKET_CLOSED_BEFORE_CONNECTION());
      this.once('connect', function connect() {
        this.off('close', onClose);
        this[kPendingWrite] = null;
        this._writeGeneric(writev, data, encoding, cb);
      });
      this.once('close', onClose);
      return;
    }
    if (!this._handle) {
      cb(new ERR_SOCKET_CLOSED());
      return;
    }
    this._unrefTimer();
    let result;
    let bytes;
    if (writev) {
      const buffers = new Array(data.length);
      bytes = 0;
      for (let i = 0; i < data.length; i++) {
        const { chunk, encoding: enc } = data[i];
        buffers[i] = typeof chunk === 'string' ? Buffer.from(chunk, enc) : chunk;
        bytes += buffers[i].length;
      }
      result = this._handle.writev(buffers);
    } else if (typeof data === 'string') {
      if (encoding === 'buffer') {
        // Node's net hands a string written with encoding 'buffer' to writeBuffer as it is.
        throw nativeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'Second argument must be a buffer');
      }
      if (encoding === 'utf8' || encoding === 'utf-8') {
        bytes = Buffer.byteLength(data);
        result = this._handle.writeUtf8String(data);
      } else {
        const buffer = Buffer.from(data, encoding);
        bytes = buffer.length;
        result = this._handle.writeBuffer(buffer);
      }
    } else {
      bytes = data.length;
      result = this._handle.writeBuffer(data);
    }
    if (result === 0) {
      this[kBytesWritten] += bytes;
      cb();
    } else if (result === 1) {
      this[kBytesWritten] += bytes;
      this[kWriteCallback] = cb;
    } else {
      cb(errnoException(result, 'write'));
    }
  }

  _writev(chunks, cb) {
    this._writeGeneric(true, chunks, '', cb);
  }

  _write(data, encoding, cb) {
    this._writeGeneric(false, data, encoding, cb);
  }

  _final(cb) {
    // Node 20 waits for a connect whenever the socket is pending, even one that never
    // connects (no 'finish' then); later lines only while it is connecting.
    if (line.finalWaitsWhilePending ? this.pending : this.connecting) {
      this.once('connect', () => this._final(cb));
      return;
    }
    if (!this._handle) return cb();
    // Node's shutdown is a request libuv carries out on a later turn of the loop; rsnet's
    // happens at once, and on loopback the peer's FIN can close the connection before the
    // next line runs. Until the request is done, the peer's address is as Node would
    // still read it, and a reset is refused (see _destroy).
    const peer = this._peername === null ? this._handle.remoteAddress() : null;
    this[kShutdown] = { peer: peer && peer.family !== 'unix' ? peer : null };
    const done = (err) => {
      this[kShutdown] = null;
      cb(err);
    };
    const result = this._handle.shutdown();
    // A libuv shutdown completes after the poll phase (libuv's pending phase), never
    // inside end(); a write queued in an immediate before it finds the socket finished.
    if (result === 0 || result === uv.ENOTCONN) return afterPoll(done);
    if (result === 1) {
      this[kShutdownCallback] = done;
      return;
    }
    done(errnoException(result, 'shutdown'));
  }

  _destroy(exception, cb) {
    debug('destroy');
    boundSocket.release(this);
    this.connecting = false;
    this[kAttempt] = null;
    this[kPendingWrite] = null;
    if (this[kPerf]) {
      perf.connectDropped(this[kPerf]);
      this[kPerf] = null;
    }
    // What was read but not taken belonged to this connection, not to a later connect().
    this[kReadEnd] = null;
    this[kBufferRest] = null;
    this[kHeld] = null;
    this[kWants] = false;
    const shutting = this[kShutdown] !== null;
    this[kShutdown] = null;
    if (this[kTimeout]) {
      clearTimeout(this[kTimeout]);
      this[kTimeout] = null;
    }
    const isException = Boolean(exception);
    if (this._handle) {
      const handle = this._handle;
      debug('close handle');
      disown(handle);
      if (this[kResetOnDestroy] && shutting) {
        // libuv refuses to reset a stream with a shutdown pending (EINVAL): Node's net emits
        // that at once, and never closes the handle, so no 'close' follows. rsnet does close
        // it, quietly.
        this[kResetOnDestroy] = false;
        handle.close();
        this._handle = null;
        this[kWriteCallback] = null;
        this[kShutdownCallback] = null;
        this.emit('error', errnoException(uv.EINVAL, 'reset'));
        cb(exception);
        if (this._server) {
          this._server._connections--;
          this._server._emitCloseIfDrained();
          this._server = null;
        }
        return;
      }
      if (this[kResetOnDestroy]) {
        this[kResetOnDestroy] = false;
        handle.reset();
      } else {
        handle.close();
      }
      this._handle = null;
      // A write still queued natively is cancelled by the close.
      const writeCb = this[kWriteCallback];
      this[kWriteCallback] = null;
      this[kShutdownCallback] = null;
      cb(exception);
      // As libuv closing a handle: a write still in flight is cancelled (Node 20 then calls
      // its callback without an error, later lines with ECANCELED), and 'close' follows in
      // the closing phase of this turn of the loop.
      atClose(() => {
        if (writeCb) writeCb(line.cancelledWriteFails ? errnoException(uv.ECANCELED, 'write') : null);
        debug('emit close');
        this.emit('close', isException);
      });
    } else {
      cb(exception);
      // Node emits a handle-less socket's 'close' with no argument at all.
      process.nextTick(() => this.emit('close'));
    }
    if (this._server) {
      debug('has server');
      this._server._connections--;
      this._server._emitCloseIfDrained();
      this._server = null;
    }
  }

  connect(...args) {
    let normalized;
    if (Array.isArray(args[0]) && args[0][connect.kNormalized]) normalized = args[0];
    else normalized = connect.normalizeArgs(args);
    const [options, cb] = normalized;
    // In net's order: the callback is added even when the arguments are then refused.
    if (cb !== null) this.once('connect', cb);
    if (options.port === undefined && options.path == null) {
      throw new ERR_MISSING_ARGS(['options', 'port', 'path']);
    }
    if (this.write !== Socket.prototype.write) this.write = Socket.prototype.write;
    if (this.destroyed) {
      this._handle = null;
      this._peername = null;
      this._sockname = null;
    }
    // An adopted BoundSocket's own kind says whether this is a Unix or a TCP connect.
    const bound = this[boundSocket.kBoundSource];
    // A falsy path (0, NaN, '') is no path to net: the port is used.
    const pipe = bound && this._handle ? bound.path !== undefined : Boolean(options.path);
    // (options.timeout is net.connect()'s, not this method's.)
    // A second connect() on a live socket reuses its handle and the kernel decides.
    if (!this._handle) {
      // As net's initSocketHandle: a new handle makes the stream new again, whether it was
      // destroyed or only ended or errored.
      this._undestroy();
      this._setHandle(new SocketHandle());
      // Of the kind net would make (a Pipe for any path), before the path is checked.
      this._handle.pipe = pipe;
      // Byte counts are per connection, as on a fresh Node handle.
      this[kBytesRead] = 0;
      this[kBytesWritten] = 0;
    }
    this.connecting = true;
    if (pipe) connect.connectPath(this, options.path);
    else connect.lookupAndConnect(this, options);
    return this;
  }

  // Starts one native connect attempt; `attempt` says what to do with its outcome.
  _connectNative(attempt) {
    this[kAttempt] = attempt;
    const handle = this._handle;
    const reading = !this.isPaused();
    let result;
    if (attempt.path !== undefined) {
      handle.pipe = true;
      result = handle.connectUnix(unixName(attempt.path), reading);
    } else {
      // The family a lookup named, which the address must be in.
      const family = isIP(attempt.address);
      attempt.family = attempt.addressType ?? family;
      // A single connect binds first (a multi-address one bound in connect.js), then
      // announces the attempt: a bind that fails is the connect's error, with no events.
      if (!attempt.onError) {
        if (attempt.localAddress || attempt.localPort) {
          const err = this._bindLocal(attempt);
          if (err !== 0) {
            this[kAttempt] = null;
            this.destroy(exceptionWithHostPort(err, 'bind', attempt.localAddress, attempt.localPort));
            return;
          }
        }
        this.emit('connectionAttempt', attempt.address, attempt.port, attempt.family);
        if (this.blockList?.check(attempt.address, `ipv${attempt.family}`)) {
          this[kAttempt] = null;
          this.destroy(new ERR_IP_BLOCKED(attempt.address));
          return;
        }
      }
      if (attempt.family !== family) {
        // net's handle cannot parse an address of the other family: EINVAL.
        result = uv.EINVAL;
      } else if (attempt.delayedError) {
        // libuv reports a bind's EADDRINUSE from the connect's callback.
        const errno = attempt.delayedError;
        process.nextTick(() => {
          if (this[kAttempt] === attempt) this._onConnect(errno);
        });
        return;
      } else {
        result = handle.connectTcp(attempt.address, attempt.port, reading);
      }
    }
    if (result === 0) {
      handle.reading = reading;
      if (attempt.path === undefined && !attempt.onError) {
        this[kPerf] = perf.connectStarted(attempt.address, attempt.port);
      }
      return;
    }
    this[kAttempt] = null;
    if (attempt.onError) return attempt.onError(result, true);
    // libuv reports a Unix socket's connect error from its callback, on a later tick.
    // A TCP connect that fails at once is destroyed with no attempt event, as in Node.
    if (attempt.path !== undefined && !refusedAtOnce(attempt.path)) {
      process.nextTick(() => this._connectFailed(attempt, result));
    } else if (attempt.path !== undefined) {
      // Node's Pipe handle has no getsockname: the local end reads 'undefined:undefined'.
      this.destroy(exceptionWithHostPort(result, 'connect', attempt.path, undefined, 'undefined:undefined'));
    } else {
      this.destroy(syncConnectException(result, attempt, this._getsockname()));
    }
  }

  // Binds the local end as net does before a connect (libuv's uv_tcp_bind): in the
  // target's family, so that a local address of the other family is EINVAL; to the
  // family's any-address when only a port is given (attempt.localAddress says what was
  // bound); to the port as net's handle takes it (an int32, of which libuv keeps the low 16
  // bits). Then net's check: a positive localPort that is not the port the socket got is
  // EADDRINUSE. Returns 0 or a negative errno; an EADDRINUSE that libuv would report at the
  // connect is left in attempt.delayedError.
  _bindLocal(attempt) {
    const { family } = attempt;
    attempt.localAddress ||= family === 6 ? '::' : '0.0.0.0';
    const { localAddress, localPort } = attempt;
    const handle = this._handle;
    let err;
    if (handle instanceof ForeignHandle) err = handle.bindLocal(localAddress, localPort, family);
    else if (isIP(localAddress) !== family) err = uv.EINVAL;
    else err = handle.bindLocal(localAddress, (Number(localPort) | 0) & 0xffff);
    if (err === uv.EADDRINUSE) {
      attempt.delayedError = err;
      err = 0;
    }
    if (err === 0 && localPort > 0) {
      const info = handle.localAddress();
      if (info && info.port !== localPort) err = uv.EADDRINUSE;
    }
    return err;
  }

  _connectFailed(attempt, errno) {
    const pipe = attempt.path !== undefined;
    const ex = pipe ? exceptionWithHostPort(errno, 'connect', attempt.path) :
      connectException(errno, attempt);
    this.emit('connectionAttemptFailed', pipe ? attempt.path : attempt.address,
      attempt.port, attempt.family, ex);
    this.destroy(ex);
  }

  // A fresh handle for the next address after a failed attempt.
  _replaceHandle() {
    if (this._handle) {
      disown(this._handle);
      this._handle.close();
    }
    // As net's initSocketHandle, for each next address: the stream is made new again (an
    // error or a close emitted meanwhile no longer counts).
    this._undestroy();
    this._sockname = null;
    this._setHandle(new SocketHandle());
  }

  destroySoon() {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', this.destroy);
  }

  resetAndDestroy() {
    if (!this._handle) return this.destroy(new ERR_SOCKET_CLOSED());
    // Only TCP has an RST to send.
    if (this._handle.pipe) throw new ERR_INVALID_HANDLE_TYPE();
    if (this.connecting) {
      this.once('connect', () => this._reset());
    } else {
      this._reset();
    }
    return this;
  }

  _reset() {
    this[kResetOnDestroy] = true;
    return this.destroy();
  }

  // In net's order: a destroyed socket arms nothing and checks nothing; `timeout` takes
  // the value before it is checked; the callback is checked once the timer is set.
  setTimeout(msecs, callback) {
    if (this.destroyed) return this;
    this.timeout = msecs;
    msecs = getTimerDuration(msecs, 'msecs');
    if (this[kTimeout]) {
      clearTimeout(this[kTimeout]);
      this[kTimeout] = null;
    }
    // The callback is checked only once the timer is cleared (or armed), as in Node's net.
    if (msecs === 0) {
      if (callback !== undefined) {
        validateFunction(callback, 'callback');
        this.removeListener('timeout', callback);
      }
    } else {
      const timer = setTimeout(() => {
        debug('_onTimeout');
        this.emit('timeout');
      }, msecs);
      timer.unref();
      this[kTimeout] = timer;
      if (callback !== undefined) {
        validateFunction(callback, 'callback');
        this.once('timeout', callback);
      }
    }
    return this;
  }

  // As net: the handle hears only of a change (and only if it can).
  setNoDelay(enable) {
    const on = enable === undefined ? true : Boolean(enable);
    if (!this._handle) {
      this[kSetNoDelay] = on;
      return this;
    }
    if (this._handle.setNoDelay && on !== this[kSetNoDelay]) {
      this[kSetNoDelay] = on;
      this._handle.setNoDelay(on);
    }
    return this;
  }

  // Node's net validates nothing here: any value is taken through Boolean() and
  // `~~(ms / 1000)` (so only a Symbol or a BigInt delay throws, from JavaScript itself).
  setKeepAlive(enable, initialDelayMsecs, intervalMsecs, count) {
    let probes;
    [enable, initialDelayMsecs, probes] = keepAliveArgs(enable, initialDelayMsecs, intervalMsecs, count);
    const on = Boolean(enable);
    const delay = ~~(initialDelayMsecs / 1000);
    if (!this._handle) {
      this[kSetKeepAlive] = on;
      this[kSetKeepAliveInitialDelay] = delay;
      this[kKeepAliveProbes] = probes;
      return this;
    }
    if (!this._handle.setKeepAlive) return this;
    const last = this[kKeepAliveProbes];
    const probesChanged = probes.interval !== last.interval || probes.count !== last.count;
    if (on !== this[kSetKeepAlive] || (on && (delay !== this[kSetKeepAliveInitialDelay] || probesChanged))) {
      this[kSetKeepAlive] = on;
      this[kSetKeepAliveInitialDelay] = delay;
      this[kKeepAliveProbes] = probes;
      this._handle.setKeepAlive(on, Math.max(0, delay), probes.interval, probes.count);
    }
    return this;
  }

  address() {
    return this._getsockname();
  }

  _getpeername() {
    if (!this._handle || this.connecting) return this._peername || {};
    if (!this._peername) {
      const info = (this[kShutdown] && this[kShutdown].peer) || this._handle.remoteAddress();
      if (!info || info.family === 'unix') return {};
      this._peername = info;
    }
    return this._peername;
  }

  _getsockname() {
    // A client that adopted a BoundSocket on a Unix path reports that path, even destroyed.
    const boundPath = this[boundSocket.kBoundSource]?.path;
    if (boundPath !== undefined) return { address: boundPath };
    if (!this._handle) return {};
    if (!this._sockname) {
      const info = this._handle.localAddress();
      if (info && info.family === 'unix') return {};
      // As net: an answer, or that there was none, holds until the connect completes.
      this._sockname = info || {};
    }
    return this._sockname;
  }

  get remoteAddress() { return this._getpeername().address; }
  get remoteFamily() { return this._getpeername().family; }
  get remotePort() { return this._getpeername().port; }
  get localAddress() { return this._getsockname().address; }
  get localPort() { return this._getsockname().port; }
  get localFamily() { return this._getsockname().family; }

  get pending() {
    return !this._handle || this.connecting;
  }

  get readyState() {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  get bufferSize() {
    if (this._handle) return this.writableLength;
    return undefined;
  }

  get bytesRead() {
    return this[kBytesRead];
  }

  get bytesWritten() {
    let bytes = this._handle instanceof ForeignHandle ? this._handle.bytesWritten : this[kBytesWritten];
    const buffered = this.writableBuffer;
    if (!buffered) return undefined;
    for (const entry of buffered) {
      bytes += Buffer.isBuffer(entry.chunk) ? entry.chunk.length :
        Buffer.byteLength(entry.chunk, entry.encoding);
    }
    const pending = this[kPendingWrite];
    if (pending) {
      if (pending.writev) {
        for (const entry of pending.data) {
          bytes += Buffer.isBuffer(entry.chunk) ? entry.chunk.length :
            Buffer.byteLength(entry.chunk, entry.encoding);
        }
      } else {
        bytes += typeof pending.data === 'string' ?
          Buffer.byteLength(pending.data, pending.encoding) : pending.data.length;
      }
    }
    return bytes;
  }

  get _connecting() {
    return this.connecting;
  }

  ref() {
    this[kUnref] = false;
    if (this._handle) this._handle.ref();
    return this;
  }

  unref() {
    this[kUnref] = true;
    if (this._handle) this._handle.unref();
    return this;
  }
}

// new Socket({ fd }): as Node's createHandle, only a TCP or Unix stream socket is taken.
// A FIFO (also PIPE to Node) is refused by the native open with ENOTSOCK.
function openFd(fd) {
  validateInt32(fd, 'fd', 0);
  const type = guessHandleType(fd);
  if (type !== 'TCP' && type !== 'PIPE') throw new ERR_INVALID_FD_TYPE(type);
  const handle = new SocketHandle();
  const err = handle.open(fd);
  if (err !== 0) {
    handle.close();
    throw errnoException(err, 'open');
  }
  handle.pipe = type === 'PIPE';
  return handle;
}

// onread data held back while reading was stopped, then the end that followed it.
function deliverBufferRest(socket) {
  const rest = socket[kBufferRest];
  const handle = socket._handle;
  if (rest === null || !handle || !handle.reading || socket.destroyed) return;
  socket[kBufferRest] = null;
  socket._onUserBufferData(rest);
  if (socket[kReadEnd] !== null) deliverReadEnd(socket);
}

// An end found while reading was stopped, or together with data, comes once reading
// resumes, after the immediates queued meanwhile, as libuv would read it in the next poll:
// never from inside read(), resume() or _read(), nor before a consumer that paused on the
// data until its next immediate has resumed.
function scheduleReadEnd(socket) {
  if (socket[kEndScheduled]) return;
  socket[kEndScheduled] = true;
  setImmediate(afterNextImmediates, socket);
}

function afterNextImmediates(socket) {
  setImmediate(deliverReadEnd, socket);
}

function deliverReadEnd(socket) {
  socket[kEndScheduled] = false;
  const end = socket[kReadEnd];
  const handle = socket._handle;
  if (end === null || socket.destroyed || !handle || !handle.reading ||
      socket[kHeld] !== null || socket[kBufferRest] !== null || socket[kBufferDelivering]) {
    return;
  }
  socket[kReadEnd] = null;
  socket._onReadEnd(end.type, end.payload);
}

// http pauses and resumes a socket through its handle's readStop()/readStart(), as Node's
// handles allow, bypassing _read: an end found in between must still come after such a
// resume.
const nativeReadStart = SocketHandle.prototype.readStart;
SocketHandle.prototype.readStart = function readStart() {
  const err = nativeReadStart.call(this);
  const owner = this[kOwner];
  if (err === 0 && owner !== undefined && owner[kReadEnd] !== null) scheduleReadEnd(owner);
  return err;
};

// With allowHalfOpen false the Duplex ends our side once the peer ended theirs;
// a write after that is the peer's fault, as Node reports it.
function onReadableStreamEnd() {
  if (!this.allowHalfOpen) this.write = writeAfterFIN;
}

function writeAfterFIN(chunk, encoding, cb) {
  if (!this.writableEnded) return stream.Duplex.prototype.write.call(this, chunk, encoding, cb);
  if (typeof encoding === 'function') {
    cb = encoding;
    encoding = null;
  }
  const err = new Error('This socket has been ended by the other party');
  err.code = 'EPIPE';
  if (typeof cb === 'function') process.nextTick(cb, err);
  this.destroy(err);
  return false;
}

// A failed TCP connect as Node reports it, naming the local end when it was chosen.
function connectException(errno, attempt) {
  const { address, port, localAddress, localPort } = attempt;
  if (localAddress && localPort) {
    const ex = exceptionWithHostPort(errno, 'connect', address, port,
      `${localAddress}:${localPort}`);
    ex.localAddress = localAddress;
    ex.localPort = localPort;
    return ex;
  }
  return exceptionWithHostPort(errno, 'connect', address, port);
}

// Node names the socket's local end (getsockname) when connect fails at once: the socket
// libuv made for it (bound or not: the family's any-address, port 0), or none when the
// address did not parse ('undefined:undefined').
function syncConnectException(errno, attempt, sockname) {
  const { address, port } = attempt;
  return exceptionWithHostPort(errno, 'connect', address, port, `${sockname.address}:${sockname.port}`);
}

Socket.prototype._unrefActive = Socket.prototype._unrefTimer;
typeOfService.install(Socket);

module.exports = { Socket };
