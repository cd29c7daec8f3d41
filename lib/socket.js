'use strict';

// net.Socket: a stream.Duplex over a native SocketHandle. The handle reads, writes and
// connects on the I/O thread; this file turns its events into Node's stream semantics.
// The read side (back-pressure, read-ahead held outside the stream, the end after the
// data, options.onread) is lib/reader.js; the connect path is lib/connect.js.

const { addAbortListener } = require('node:events');
const { BlockList, isIP } = require('node:net');
const stream = require('node:stream');
const {
  SocketHandle, afterPoll, atClose, guessHandleType, kind, kOnEvent, own, disown,
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
const { createReader } = require('./reader');
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

// The read side (lib/reader.js).
const kReader = Symbol('kReader');
// The write side: a write waiting for the connect ({ writev, data, encoding }), the callback
// of the write and of the shutdown the handle still carries out, and the bytes written.
const kPendingWrite = Symbol('kPendingWrite');
const kWriteCallback = Symbol('kWriteCallback');
const kShutdownCallback = Symbol('kShutdownCallback');
const kBytesWritten = Symbol('kBytesWritten');
// Set from _final's shutdown until it is done: { peer } (the peer's address then).
const kShutdown = Symbol('kShutdown');
// The connect attempt in progress, and its 'net' performance measurement (lib/perf.js).
const kAttempt = Symbol('kAttempt');
const kPerf = Symbol('kPerf');
// The idle timer (setTimeout), and whether the socket lets the process exit (unref).
const kTimeout = Symbol('kTimeout');
const kUnref = Symbol('kUnref');
// TCP options, kept until there is a connection to apply them to; Node 24's keep-alive
// probe interval and count (lib/keep-alive-probes.js).
const kSetNoDelay = Symbol('kSetNoDelay');
const kSetKeepAlive = Symbol('kSetKeepAlive');
const kSetKeepAliveInitialDelay = Symbol('kSetKeepAliveInitialDelay');
const kKeepAliveProbes = Symbol('kKeepAliveProbes');
// resetAndDestroy(): the handle is reset (RST), not closed, when the socket is destroyed.
const kResetOnDestroy = Symbol('kResetOnDestroy');

class Socket extends stream.Duplex {
  constructor(options) {
    options = streamOptions(options);
    super(options);
    // Node's own fields.
    this.connecting = false;
    this._hadError = false;
    this._handle = null;
    this._parent = null;
    this._host = null;
    this._peername = null;
    this._sockname = null;
    this._server = null;
    this.server = null;
    this[kReader] = createReader(this, options.onread);
    this[kPendingWrite] = null;
    this[kWriteCallback] = null;
    this[kShutdownCallback] = null;
    this[kBytesWritten] = 0;
    this[kShutdown] = false;
    this[kAttempt] = null;
    this[kPerf] = null;
    this[kTimeout] = null;
    this[kUnref] = false;
    this[kResetOnDestroy] = false;
    takeTcpOptions(this, options);
    this.on('end', onReadableStreamEnd);
    takeHandle(this, options);
    watchSignal(this, options.signal);
    takeBlockList(this, options.blockList);
  }

  _setHandle(handle) {
    this._handle = handle;
    own(handle, this);
    // unref() before connect() (or before a handle was replaced) holds for the new handle.
    if (this[kUnref]) handle.unref();
    this[kReader].attach(handle);
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
      case kind.DATA: return this[kReader].data(payload);
      case kind.EOF:
      case kind.READ_ERROR: return this[kReader].end(type, payload);
      case kind.CONNECT: return this._onConnect(payload);
      case kind.WRITE_DONE: return this._onWriteDone(0);
      case kind.WRITE_ERROR: return this._onWriteDone(payload);
      case kind.SHUTDOWN: return this._onShutdown(payload);
    }
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
        this[kReader].stop();
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
    this[kReader].want();
  }

  // With options.onread these stop and start the handle themselves (lib/reader.js).
  pause() {
    this[kReader].pause();
    return super.pause();
  }

  resume() {
    this[kReader].resume();
    return super.resume();
  }

  read(n) {
    this[kReader].resume();
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
    this[kShutdown] = true;
    const done = (err) => {
      this[kShutdown] = false;
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
    // (A socket that the Duplex constructor destroyed, for an aborted signal, has no reader
    // yet.)
    this[kReader]?.drop();
    const shutting = this[kShutdown] === true;
    this[kShutdown] = false;
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
      this[kReader].bytesRead = 0;
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
      const info = this._handle.remoteAddress(this[kShutdown]);
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
    return this[kReader].bytesRead;
  }

  get bytesWritten() {
    let bytes = this._handle instanceof ForeignHandle ? this._handle.bytesWritten : this[kBytesWritten];
    const buffered = this.writableBuffer;
    if (!buffered) return undefined;
    for (const entry of buffered) bytes += chunkBytes(entry.chunk, entry.encoding);
    const pending = this[kPendingWrite];
    if (pending && pending.writev) {
      for (const entry of pending.data) bytes += chunkBytes(entry.chunk, entry.encoding);
    } else if (pending) {
      bytes += chunkBytes(pending.data, pending.encoding);
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

// The options the Duplex is made with, from the caller's. A socket carries bytes: net
// refuses object mode before it looks at anything else.
function streamOptions(options) {
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
  return options;
}

// noDelay, keepAlive and typeOfService wait for a connect, as in net: a socket made around
// a handle or descriptor only remembers them.
function takeTcpOptions(socket, options) {
  socket[kSetNoDelay] = Boolean(options.noDelay);
  socket[kSetKeepAlive] = Boolean(options.keepAlive);
  socket[kSetKeepAliveInitialDelay] = ~~(options.keepAliveInitialDelay / 1000);
  socket[kKeepAliveProbes] = {};
  typeOfService.takeOption(socket, options);
}

// The handle a socket is made around: a BoundSocket's (Node 24), one of Node's or rsnet's
// handles (options.handle), or a descriptor (options.fd).
function takeHandle(socket, options) {
  // A BoundSocket is a bound handle to connect later, not a connected one.
  if (boundSocket.boundSocketOf({ handle: options.handle }) !== null) {
    boundSocket.adoptForConnect(socket, options.handle);
    options.handle = null;
  }
  const fdHandle = options.fd !== undefined && !options.handle ? openFd(options.fd) : null;
  if (options.handle) {
    const adopted = adoptHandle(options.handle);
    socket._setHandle(adopted.handle);
    if (options.pauseOnCreate) {
      // The native side started this socket paused already.
      socket._handle.reading = false;
      socket.readableFlowing = false;
    } else {
      socket._handle.reading = adopted.reading;
      if (!options.manualStart) socket.read(0);
    }
  } else if (fdHandle !== null) {
    // A descriptor opened by number: as in Node, it reads once asked to, unless it was
    // made non-readable or asked to wait.
    socket._setHandle(fdHandle);
    if (options.readable !== false) {
      if (options.pauseOnCreate) socket.readableFlowing = false;
      else if (!options.manualStart) socket.read(0);
    }
  }
}

// stream.Duplex destroys the socket when the signal aborts. As net, rsnet only notes the
// abort (connect attempts check it), with one listener of its own added a tick later and
// removed by the abort alone.
function watchSignal(socket, signal) {
  if (!signal) return;
  validateAbortSignal(signal, 'options.signal');
  let listener;
  const onAbort = () => {
    listener?.[Symbol.dispose]();
    socket._aborted = true;
  };
  // events' abort listener, as net's: it runs even when an earlier one stops the event.
  if (signal.aborted) process.nextTick(onAbort);
  else process.nextTick(() => (listener = addAbortListener(signal, onAbort)));
}

// Lines with the option check it last and refuse a blocked address at connect.
function takeBlockList(socket, blockList) {
  if (!line.blockList || !blockList) return;
  if (!BlockList.isBlockList(blockList)) {
    throw new ERR_INVALID_ARG_TYPE('options.blockList', 'net.BlockList', blockList);
  }
  socket.blockList = blockList;
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

// A chunk the stream hands _write (a Buffer or a string), in bytes.
function chunkBytes(chunk, encoding) {
  return Buffer.isBuffer(chunk) ? chunk.length : Buffer.byteLength(chunk, encoding);
}

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
