'use strict';

// Issue #11, part 5, "exact validation parity": a differential fuzzer. The same seeded
// sequence of cases runs here on one implementation (Node's net or rsnet, argv[2].impl);
// the runner (stress/lib/parity.js) runs it on both and compares the records case by case.
//
// A case puts a socket or a server into one state (new, connecting, connected, paused,
// half-closed, ended, destroyed, closed, accepted; server new, listening, closing,
// closed, failed to listen) or picks a module function, then makes 1 to 3 calls on it with
// random arguments of every type (unicode strings, objects, arrays, functions, symbols,
// BigInt, NaN, ±Infinity, negative and huge numbers, missing and extra arguments). For each
// call it records the synchronous outcome: what it returned (`this`, another object of the
// case, or the value's shape) or what it threw (class, `code`, message). Then, for a short
// settle time, it records the async errors of every object of the case ('error' events)
// and every callback the calls were given (called with what). Only then is everything
// destroyed.
//
// Determinism, so that Node's net against itself differs in nothing: each case draws from
// its own generator (forked in case order), cases run in small concurrent batches on
// their own objects, connect targets are fixed servers (Node's net: an echo server, one
// that ends at once, ports where nothing listens), a server only listens on port 0 or on a
// port in use, global defaults set by a call are restored at once, timers given to calls
// are far below or far above the settle time, and ports, paths and this run's tag are
// replaced by names in every string recorded.
//
// argv[2]: { impl: 'rsnet' | 'node', seed, calls, out, batch, settleMs }

const dns = require('node:dns');
const fs = require('node:fs');
const nodeNet = require('node:net');
const path = require('node:path');
const { childOptions, delay, loadImpl, prng, report, tmpDir, useLoopbackLookup } = require('../lib/util');

const opts = childOptions();
const net = opts.impl === 'node' ? nodeNet : loadImpl();
const BATCH = opts.batch || 12;
const SETTLE_MS = opts.settleMs || 60;
process.chdir(tmpDir('rsnet-parity-'));
const cwd = process.cwd();
// Abstract socket names are machine-wide: this run's own tag keeps them apart.
const tag = `t${Math.random().toString(36).slice(2, 8)}`;

// ---------------------------------------------------------------------------
// Loopback only: 'localhost' and IP literals resolve, everything else fails.
useLoopbackLookup(() => true);

// ---------------------------------------------------------------------------
// Fixed targets (Node's net in both runs, so the peer behaves the same).

const ports = {}; // name -> number
let anchorPath;

function listenOn(server, ...args) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function setup() {
  const echo = nodeNet.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await listenOn(echo, 0, '127.0.0.1');
  ports.anchor = echo.address().port;
  const ender = nodeNet.createServer((s) => {
    s.on('error', () => {});
    s.resume();
    s.end();
  });
  await listenOn(ender, 0, '127.0.0.1');
  ports.ender = ender.address().port;
  // Takes what comes and never ends: a half-closed client stays half-closed.
  const sink = nodeNet.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.resume();
  });
  await listenOn(sink, 0, '127.0.0.1');
  ports.sink = sink.address().port;
  anchorPath = path.join(cwd, 'anchor.sock');
  const unixEcho = nodeNet.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await listenOn(unixEcho, anchorPath);
  for (let i = 0; i < 2; i++) {
    const s = nodeNet.createServer();
    await listenOn(s, 0, '127.0.0.1');
    ports[`refused${i}`] = s.address().port;
    await new Promise((resolve) => s.close(resolve));
  }
  return [echo, ender, sink, unixEcho];
}

// ---------------------------------------------------------------------------
// Normalising what is recorded: names for ports, paths and this run's tag.

function norm(text) {
  let out = String(text).split(cwd).join('<dir>').split(tag).join('<tag>');
  for (const [name, port] of Object.entries(ports)) {
    out = out.replace(new RegExp(`(?<![0-9])${port}(?![0-9])`, 'g'), `<${name}>`);
  }
  // Ports the kernel picked (servers on port 0, clients' own ports).
  return out.replace(/(?<![0-9.])(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})(?![0-9])/g, '<eport>');
}

function describeError(err) {
  if (!(err instanceof Error)) return { nonError: describe(err) };
  const out = { class: err.constructor ? err.constructor.name : '?', name: err.name, message: norm(err.message) };
  for (const key of ['code', 'syscall', 'errno', 'address', 'port', 'dest']) {
    if (err[key] !== undefined) out[key] = key === 'port' ? norm(err[key]) : err[key];
  }
  if (out.address !== undefined) out.address = norm(out.address);
  if (err instanceof AggregateError) out.errors = err.errors.map(describeError);
  if (err.cause !== undefined) out.cause = err.cause instanceof Error ? describeError(err.cause) : describe(err.cause);
  return out;
}

// A value's shape: primitives as they are (strings normalised), objects by class and
// their own enumerable keys (one level), objects of the case by their role.
function describe(v, roles, depth = 0, key = '') {
  if (roles && roles.has(v)) return `<${roles.get(v)}>`;
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'boolean': return v;
    case 'bigint': return `${v}n`;
    case 'symbol': return `symbol ${norm(v.description)}`;
    case 'function': return `function ${v.name}`;
    case 'string': return `'${norm(v)}'`;
    case 'number': {
      // A port the kernel picked may be one that was refused a moment before: under a
      // port key only the servers that stay up are named.
      const name = Object.keys(ports).find((k) => ports[k] === v && (!/port/i.test(key) || !k.startsWith('refused')));
      if (name) return `<${name}>`;
      if (/port/i.test(key) && Number.isInteger(v) && v > 0) return 'port';
      if (Number.isInteger(v) && v >= 32768 && v <= 60999) return '<eport>';
      return Object.is(v, -0) ? '-0' : String(v);
    }
    default: break;
  }
  if (v === null) return 'null';
  if (v instanceof Error) return describeError(v);
  if (Buffer.isBuffer(v)) return `Buffer(${v.length})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
  if (v instanceof Promise) return 'Promise';
  if (v instanceof net.Socket) return `Socket`;
  if (v instanceof net.Server) return `Server`;
  const ctor = v.constructor ? v.constructor.name : 'null-proto';
  if (depth > 1) return ctor;
  if (Array.isArray(v)) return v.map((x) => describe(x, roles, depth + 1, key));
  const out = { class: ctor };
  for (const k of Object.keys(v).sort()) out[k] = describe(v[k], roles, depth + 1, k);
  return out;
}

// ---------------------------------------------------------------------------
// Random values (from the case's own generator).

const NUMBERS = [0, -0, 1, -1, 0.5, -0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53,
  -(2 ** 53), 65535, 65536, -65536, 1e21, Number.MIN_VALUE, Number.MAX_VALUE, 1e-7, 10, 5000.5, 1e9];
const STRINGS = ['', 'a', 'hello', '\u2603', '\u00fcn\u00efc\u00f6d\u00e9', '\ud83d\ude00', '\ud800', ' ', '0', '80',
  '0x10', '-1', '1e3', 'null', 'true', 'x'.repeat(300)];
const ENCODINGS = ['utf8', 'utf-8', 'UTF8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'ucs2',
  'utf16le', 'buffer', 'nope', '', 'utf32', null, 123];
const HOSTS = ['127.0.0.1', '::1', 'localhost', '0.0.0.0', '', 'no-such-host.invalid', '999.1.1.1', '127.0.0.1 ',
  '[::1]', '::ffff:127.0.0.1', '\u2603', 42, null, undefined, {}, true];
const LISTEN_HOSTS = ['127.0.0.1', '::1', 'localhost', '', 'no-such-host.invalid', '999.1.1.1', '\u2603', 42, null,
  undefined, {}, true];

function gen(rng, c) {
  const g = {};
  // Integers that are ports are few and fixed (0, 1, 10, 65535): a random one could be
  // another program's port on this machine.
  g.number = () => (rng.chance(0.85) ? rng.pick(NUMBERS) :
    rng.pick([-1, 1]) * rng.int(65536, 10000000) * (rng.chance(0.5) ? 1 : 0.37));
  // A timer length: fires long before the settle time ends, or long after; and not in the
  // first milliseconds, where it would race a connect's immediate failure (a 1 ms timeout
  // on a socket connecting to a missing path fires or not by the loop's timing, on net too).
  g.timeout = () => {
    if (rng.chance(0.7)) return rng.pick([0, 10, 15, 5000, 1e9, 2 ** 31 - 1]);
    const n = g.number();
    return n > 0 && n < 10 ? n + 10 : n;
  };

  g.string = () => rng.pick(STRINGS);
  g.odd = () => rng.pick([undefined, null, true, false, Symbol('s'), 10n, -1n, [], [1, 2], { a: 1 }, Object.create(null),
    { valueOf: () => 80 }, { toString: () => '80' }, new Date(0), /re/, new Map(), NaN, Infinity, -Infinity,
    Buffer.from('x'), () => {}, function named() {}]);
  g.port = () => {
    switch (rng.int(0, 9)) {
      case 0: case 1: return ports.anchor;
      case 2: return ports.ender;
      case 3: return rng.pick([ports.refused0, ports.refused1]);
      case 4: return c.selfPort || ports.anchor;
      case 5: return String(ports.anchor);
      case 6: return rng.pick([0, '0']);
      case 7: return rng.pick([-1, 65536, 1e10, NaN, 1.5, Infinity, -Infinity, '', ' ', '0x10', '99999', 'abc',
        '\u2603', 2 ** 53]);
      default: return rng.pick([null, undefined, true, {}, [], 10n, Symbol('p'), () => {}]);
    }
  };
  g.listenPort = () => (rng.chance(0.6) ? rng.pick([0, '0', ports.anchor, undefined]) :
    rng.pick([-1, 65536, 1e10, NaN, 1.5, Infinity, '', ' ', '0x10', '99999', 'abc', null, true, {}, [], 10n]));
  g.host = () => rng.pick(HOSTS);
  g.listenHost = () => rng.pick(LISTEN_HOSTS);
  g.path = () => {
    switch (rng.int(0, 5)) {
      case 0: return path.join(cwd, `c${c.id}-${rng.int(0, 3)}.sock`);
      case 1: return `r${c.id}.sock`;
      case 2: return `\0rsnet-parity-${tag}-${c.id}`;
      case 3: return anchorPath;
      // Too long for sun_path: Node 20 and 22 cut it, so it starts with the case's own name.
      case 4: return path.join(cwd, `c${c.id}-${'x'.repeat(rng.int(90, 200))}`);
      default: return path.join(cwd, 'missing', 'dir.sock');
    }
  };
  g.callback = () => c.callback(rng.int(0, 2));
  g.encoding = () => rng.pick(ENCODINGS);
  g.data = () => {
    switch (rng.int(0, 8)) {
      case 0: return Buffer.from('data');
      case 1: return Buffer.alloc(0);
      case 2: return new Uint8Array(3);
      case 3: return new DataView(new ArrayBuffer(4));
      case 4: return new ArrayBuffer(4);
      case 5: return 'x'.repeat(rng.size(70000));
      case 6: return g.string();
      case 7: return new Float64Array(1);
      default: return g.odd();
    }
  };
  g.signal = () => {
    switch (rng.int(0, 3)) {
      case 0: return AbortSignal.abort();
      case 1: {
        const ac = new AbortController();
        c.aborts.push(ac);
        return ac.signal;
      }
      default: return rng.pick([{}, 'signal', null, { aborted: false }]);
    }
  };
  g.lookup = () => rng.pick([
    function ok(host, o, cb) {
      cb(null, o && o.all ? [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', 4);
    },
    function fails(host, o, cb) {
      cb(Object.assign(new Error('lookup says no'), { code: 'ENOTFOUND' }));
    },
    function notIp(host, o, cb) {
      cb(null, o && o.all ? [{ address: 'not an ip', family: 4 }] : 'not an ip', 4);
    },
    function badFamily(host, o, cb) {
      cb(null, o && o.all ? [{ address: '127.0.0.1', family: 5 }] : '127.0.0.1', 5);
    },
    'lookup', 42, {}, null,
  ]);
  const OPTION_KEYS = {
    port: g.port, host: g.host, path: g.path,
    backlog: g.number,
    exclusive: () => rng.pick([true, false, 1, 'yes']),
    ipv6Only: () => rng.pick([true, false, 0]),
    signal: g.signal,
    allowHalfOpen: () => rng.pick([true, false, 1, null]),
    pauseOnConnect: () => rng.pick([true, false, 'x']),
    noDelay: () => rng.pick([true, false, 'x', 1]),
    keepAlive: () => rng.pick([true, false, 'x', 1]),
    keepAliveInitialDelay: g.number,
    highWaterMark: () => rng.pick([0, 1, 16, 1024, -1, NaN, 'x', 2 ** 31, null]),
    readableHighWaterMark: () => rng.pick([0, 16, -1, 'x']),
    timeout: g.timeout,
    family: () => rng.pick([0, 4, 6, 5, 'IPv4', 'IPv6', -1, 'x', null, '4']),
    hints: () => rng.pick([0, dns.ADDRCONFIG, dns.V4MAPPED, 1e6, -1, 'x']),
    localAddress: () => rng.pick(['127.0.0.1', '::1', 'x', '', 7, '0.0.0.0', null, {}]),
    localPort: () => rng.pick([0, -1, 65536, 'x', NaN, 1.5, '0', null]),
    lookup: g.lookup,
    autoSelectFamily: () => rng.pick([true, false, 'x', 1, null]),
    autoSelectFamilyAttemptTimeout: () => rng.pick([1, 10, 250, 0, -1, 1.5, 2 ** 31, 'x', null]),
    readable: () => rng.pick([true, false, 'x']),
    writable: () => rng.pick([true, false, 'x']),
    readableAll: () => rng.pick([true, false, 'x']),
    writableAll: () => rng.pick([true, false, 'x']),
    onread: () => rng.pick([null, {}, 'x', { buffer: Buffer.alloc(16), callback: () => {} },
      { buffer: () => Buffer.alloc(8), callback: () => {} }, { buffer: 'x', callback: () => {} },
      { buffer: Buffer.alloc(16), callback: 'x' }]),
    fd: () => rng.pick([-1, NaN, 'x', 1.5, null]),
    emitClose: () => rng.pick([true, false]),
    noDelayX: () => undefined,
  };
  const keys = Object.keys(OPTION_KEYS);
  // Anything, for a key: several bad values in one object show the order of the checks.
  const anything = () => (rng.chance(0.5) ? g.odd() : rng.chance(0.5) ? g.number() : g.string());
  g.options = () => {
    if (rng.chance(0.08)) return g.odd();
    if (rng.chance(0.3)) {
      const o = {};
      for (let i = rng.int(2, 5); i > 0; i--) {
        const key = rng.pick(keys);
        o[key] = rng.chance(0.6) && key !== 'port' && key !== 'localPort' ? anything() : OPTION_KEYS[key]();
      }
      return o;
    }
    const o = {};
    for (let i = rng.int(0, 4); i > 0; i--) {
      const key = rng.pick(keys);
      o[key] = OPTION_KEYS[key]();
    }
    return o;
  };
  g.value = () => {
    switch (rng.int(0, 7)) {
      case 0: return g.number();
      case 1: return g.string();
      case 2: return g.odd();
      case 3: return g.port();
      case 4: return g.callback();
      case 5: return g.options();
      case 6: return g.host();
      default: return undefined;
    }
  };
  // The usual arguments, sometimes one swapped for anything, cut short, or one too many.
  g.args = (makers) => {
    const out = [];
    const cut = rng.chance(0.15) ? rng.int(0, makers.length) : makers.length;
    for (let i = 0; i < cut; i++) out.push(rng.chance(0.2) ? g.value() : makers[i]());
    if (rng.chance(0.1)) out.push(g.value());
    c.lastArgs = out;
    return out;
  };
  return g;
}

// ---------------------------------------------------------------------------
// What can be called: socket methods, server methods, module functions.

const SOCKET_METHODS = {
  connect: (s, g, c) => {
    // Once per case, and only on a socket with no handle: Node's net aborts connecting a
    // TCP handle to a path or the other way round.
    const list = g.args(g.pick([[g.options, g.callback], [g.port, g.host, g.callback], [g.path, g.callback],
      [g.port, g.callback]]));
    if (c.connected || !['new', 'destroyed-new', 'destroyed', 'closed'].includes(c.state)) return { skip: true };
    c.connected = true;
    return { value: s.connect(...list) };
  },
  write: (s, g) => s.write(...g.args(g.pick([[g.data, g.callback], [g.data, g.encoding, g.callback],
    [g.value, g.value, g.value]]))),
  end: (s, g) => s.end(...g.args(g.pick([[g.data, g.callback], [g.data, g.encoding, g.callback], [g.callback]]))),
  destroy: (s, g, c) => s.destroy(g.pick([undefined, undefined, c.given(new Error('fuzz')), null])),
  destroySoon: (s) => s.destroySoon(),
  resetAndDestroy: (s) => s.resetAndDestroy(),
  pause: (s) => s.pause(),
  resume: (s) => s.resume(),
  setEncoding: (s, g) => s.setEncoding(...g.args([g.encoding])),
  cork: (s) => s.cork(),
  uncork: (s) => s.uncork(),
  setTimeout: (s, g) => {
    const list = g.args([g.timeout, g.callback]);
    // A timer that fires within a few ms of a connect or a close: which comes first is the
    // loop's timing, not the API's. Only a socket that nothing happens to gets one.
    if (typeof list[0] === 'number' && list[0] > 0 && list[0] < 1000 && !['new', 'destroyed-new'].includes(g.state())) {
      list[0] = 5000;
    }
    return s.setTimeout(...list);
  },
  setNoDelay: (s, g) => s.setNoDelay(...g.args([g.value])),
  setKeepAlive: (s, g) => s.setKeepAlive(...g.args([g.value, g.number])),
  address: (s) => s.address(),
  ref: (s) => s.ref(),
  unref: (s) => s.unref(),
  read: (s, g) => s.read(...g.args([() => g.pick([0, 1, 100, 1e6, -1, NaN, 2 ** 31, undefined, '1'])])),
  setMaxListeners: (s, g) => s.setMaxListeners(...g.args([g.number])),
  getters: (s) => {
    const out = {};
    for (const k of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort', 'localFamily',
      'bytesRead', 'bytesWritten', 'bufferSize', 'readyState', 'pending', 'connecting', 'timeout', 'destroyed',
      'readable', 'writable', 'allowHalfOpen', 'readableEnded', 'writableEnded', 'writableFinished',
      'autoSelectFamilyAttemptedAddresses']) {
      try {
        out[k] = s[k];
      } catch (err) {
        out[k] = err;
      }
    }
    return out;
  },
};

const SERVER_METHODS = {
  listen: (s, g) => s.listen(...g.args(g.pick([[g.listenPort, g.listenHost, g.number, g.callback],
    [g.listenOptions, g.callback], [g.path, g.callback], [g.listenPort, g.callback], [g.callback], [g.value]]))),
  close: (s, g) => s.close(...g.args([g.callback])),
  address: (s) => s.address(),
  getConnections: (s, g) => s.getConnections(...g.args([g.callback])),
  ref: (s) => s.ref(),
  unref: (s) => s.unref(),
  maxConnections: (s, g) => {
    s.maxConnections = g.pick([0, 1, -1, NaN, 'x', undefined, 1.5, null, Infinity]);
    return s.maxConnections;
  },
  asyncDispose: (s) => s[Symbol.asyncDispose](),
  setMaxListeners: (s, g) => s.setMaxListeners(...g.args([g.number])),
  getters: (s) => ({ listening: s.listening, maxConnections: s.maxConnections }),
};

// Global defaults a call changes are put back at once, so cases stay independent.
function restoring(fn) {
  const family = net.getDefaultAutoSelectFamily();
  const timeout = net.getDefaultAutoSelectFamilyAttemptTimeout();
  try {
    return fn();
  } finally {
    net.setDefaultAutoSelectFamily(family);
    net.setDefaultAutoSelectFamilyAttemptTimeout(timeout);
  }
}

// A number first argument of Socket is a descriptor: only ones that cannot be open.
function noFd(list) {
  if (typeof list[0] === 'number' && Number.isInteger(list[0]) && list[0] >= 0) list[0] = -1;
  return list;
}

const MODULE_FUNCTIONS = {
  connect: (g) => net.connect(...g.args(g.pick([[g.options, g.callback], [g.port, g.host, g.callback],
    [g.path, g.callback], [g.port, g.callback]]))),
  createConnection: (g) => net.createConnection(...g.args(g.pick([[g.options, g.callback],
    [g.port, g.host, g.callback]]))),
  createServer: (g) => net.createServer(...g.args([g.serverOptions, g.callback])),
  newServer: (g) => new net.Server(...g.args([g.serverOptions, g.callback])),
  callServer: (g) => net.Server(...g.args([g.serverOptions, g.callback])),
  newSocket: (g) => new net.Socket(...noFd(g.args([g.options]))),
  callSocket: (g) => net.Socket(...noFd(g.args([g.options]))),
  newStream: (g) => new net.Stream(...noFd(g.args([g.options]))),
  isIP: (g) => net.isIP(...g.args([g.host])),
  isIPv4: (g) => net.isIPv4(...g.args([g.host])),
  isIPv6: (g) => net.isIPv6(...g.args([g.host])),
  getDefaultAutoSelectFamily: () => net.getDefaultAutoSelectFamily(),
  setDefaultAutoSelectFamily: (g) => restoring(() => net.setDefaultAutoSelectFamily(
    ...g.args([() => g.pick([true, false, 'x', 1, null])]))),
  getDefaultAutoSelectFamilyAttemptTimeout: () => net.getDefaultAutoSelectFamilyAttemptTimeout(),
  setDefaultAutoSelectFamilyAttemptTimeout: (g) => restoring(() => net.setDefaultAutoSelectFamilyAttemptTimeout(
    ...g.args([() => g.pick([1, 10, 250, 0, -1, 1.5, 'x', 2 ** 31, NaN, Infinity, null, 10n])]))),
};

const SOCKET_STATES = ['new', 'destroyed-new', 'connecting', 'connected', 'paused', 'half-closed',
  'half-closed-remote', 'ended', 'destroyed', 'closed', 'accepted', 'unix-connected'];
const SERVER_STATES = ['new', 'listening', 'listening-unix', 'closing', 'closed', 'failed'];

// ---------------------------------------------------------------------------
// One case.

function once(emitter, event) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      emitter.off(event, onEvent);
      reject(err);
    };
    const onEvent = (...args) => {
      emitter.off('error', onError);
      resolve(args);
    };
    emitter.once(event, onEvent);
    emitter.once('error', onError);
  });
}

class Case {
  constructor(id, rng) {
    this.id = id;
    this.rng = rng;
    this.g = gen(rng, this);
    this.g.pick = (list) => rng.pick(list);
    this.g.state = () => this.state;
    this.g.serverOptions = () => {
      if (rng.chance(0.15)) return this.g.value();
      const o = {};
      for (const key of ['allowHalfOpen', 'pauseOnConnect', 'noDelay', 'keepAlive', 'keepAliveInitialDelay',
        'highWaterMark']) {
        if (rng.chance(0.25)) o[key] = rng.pick([true, false, 'x', 1, -1, NaN, 0, null, 1000, 2 ** 31]);
      }
      return o;
    };
    this.g.listenOptions = () => {
      if (rng.chance(0.1)) return this.g.value();
      const o = {};
      if (rng.chance(0.6)) o.port = this.g.listenPort();
      if (rng.chance(0.4)) o.host = this.g.listenHost();
      if (rng.chance(0.15)) o.path = this.g.path();
      if (rng.chance(0.15)) o.backlog = this.g.number();
      if (rng.chance(0.1)) o.exclusive = rng.pick([true, false, 1]);
      if (rng.chance(0.1)) o.ipv6Only = rng.pick([true, false, 'x']);
      if (rng.chance(0.1)) o.readableAll = rng.pick([true, false, 'x']);
      if (rng.chance(0.1)) o.signal = this.g.signal();
      if (rng.chance(0.05)) o.fd = rng.pick([-1, NaN, 'x', 1.5]);
      if (rng.chance(0.05)) o.handle = rng.pick([{}, null, 'x']);
      if (rng.chance(0.2)) {
        for (const key of ['port', 'host', 'path', 'backlog', 'exclusive', 'ipv6Only', 'readableAll', 'signal']) {
          if (rng.chance(0.3)) o[key] = rng.chance(0.5) || key === 'port' ? this.g.odd() : this.g.number();
        }
      }
      return o;
    };
    this.roles = new Map();
    this.objects = [];
    this.asyncLog = [];
    this.recording = false;
    this.aborts = [];
    this.givenErrors = new Set();
    this.cbCount = 0;
    this.calls = [];
  }

  given(err) {
    this.givenErrors.add(err);
    return err;
  }

  // A callback argument: records that it was called, and with what error.
  callback(kind) {
    const n = this.cbCount++;
    const record = (args) => {
      if (!this.recording) return;
      const first = args[0];
      const what = first instanceof Error ? (this.givenErrors.has(first) ? 'given error' : describeError(first)) :
        first === null || first === undefined ? String(first) : typeof first;
      this.asyncLog.push(['callback', n, what]);
    };
    if (kind === 0) return (...args) => record(args);
    if (kind === 1) return function cb(...args) {
      record(args);
    };
    return () => record([]);
  }

  watch(obj, role) {
    if (!obj || typeof obj !== 'object' || this.roles.has(obj)) return;
    if (!(obj instanceof net.Socket || obj instanceof net.Server || obj instanceof nodeNet.Socket ||
      obj instanceof nodeNet.Server)) return;
    this.roles.set(obj, role);
    this.objects.push(obj);
    obj.on('error', (err) => {
      if (!this.recording) return;
      this.asyncLog.push(['error', role, this.givenErrors.has(err) ? 'given error' : describeError(err)]);
    });
    if (obj instanceof net.Server && !(obj instanceof nodeNet.Server && net !== nodeNet)) {
      obj.on('connection', (s) => this.watch(s, `${role}.accepted`));
    }
  }

  async makeSocket(state) {
    const connected = async (options = {}, target = [ports.anchor, '127.0.0.1']) => {
      const s = net.connect(...(target.length === 1 ? [{ path: target[0], ...options }] :
        [{ port: target[0], host: target[1], ...options }]));
      this.watch(s, 'this');
      await once(s, 'connect');
      return s;
    };
    switch (state) {
      case 'new': return new net.Socket();
      case 'destroyed-new': {
        const s = new net.Socket();
        s.destroy();
        return s;
      }
      case 'connecting': return net.connect(ports.anchor, '127.0.0.1');
      case 'connected': return connected();
      case 'unix-connected': return connected({}, [anchorPath]);
      case 'paused': {
        const s = await connected();
        s.pause();
        return s;
      }
      case 'half-closed': {
        const s = await connected({ allowHalfOpen: true }, [ports.sink, '127.0.0.1']);
        s.end();
        await once(s, 'finish');
        return s;
      }
      case 'half-closed-remote': {
        const s = await connected({ allowHalfOpen: true }, [ports.ender, '127.0.0.1']);
        s.resume();
        await once(s, 'end');
        s.pause();
        return s;
      }
      case 'ended': {
        const s = await connected({}, [ports.ender, '127.0.0.1']);
        s.resume();
        await once(s, 'end');
        return s;
      }
      case 'destroyed': {
        const s = await connected();
        s.destroy();
        return s;
      }
      case 'closed': {
        const s = await connected();
        s.destroy();
        await once(s, 'close');
        return s;
      }
      case 'accepted': {
        const server = net.createServer();
        this.watch(server, 'server');
        await listenOn(server, 0, '127.0.0.1');
        this.selfPort = server.address().port;
        const accepted = once(server, 'connection');
        const peer = nodeNet.connect(this.selfPort, '127.0.0.1');
        this.watch(peer, 'peer');
        // Both ends connected, or a reset would race the peer's connect.
        const [[s]] = await Promise.all([accepted, once(peer, 'connect')]);
        return s;
      }
      default: throw new Error(`no state ${state}`);
    }
  }

  async makeServer(state) {
    const s = net.createServer();
    this.watch(s, 'this');
    switch (state) {
      case 'new': return s;
      case 'listening':
        await listenOn(s, 0, '127.0.0.1');
        this.selfPort = s.address().port;
        return s;
      case 'listening-unix':
        await listenOn(s, path.join(cwd, `l${this.id}.sock`));
        return s;
      case 'closing':
        await listenOn(s, 0, '127.0.0.1');
        s.close();
        return s;
      case 'closed':
        await listenOn(s, 0, '127.0.0.1');
        await new Promise((resolve) => s.close(resolve));
        return s;
      case 'failed':
        await listenOn(s, ports.anchor, '127.0.0.1').catch(() => {});
        return s;
      default: throw new Error(`no state ${state}`);
    }
  }

  // One call: its synchronous outcome, as a record.
  call(where, fn) {
    let record;
    this.lastArgs = undefined;
    try {
      const out = fn();
      if (out && out.skip) return;
      const value = out && Object.prototype.hasOwnProperty.call(out, 'value') && Object.keys(out).length === 1 ?
        out.value : out;
      for (const v of [value, ...(Array.isArray(value) ? value : [])]) {
        if (v instanceof net.Socket || v instanceof net.Server) this.watch(v, `made${this.objects.length}`);
      }
      if (value instanceof Promise) {
        value.then(() => this.recording && this.asyncLog.push(['promise', where, 'resolved']),
          (err) => this.recording && this.asyncLog.push(['promise', where, describeError(err)]));
      }
      record = { returned: describe(value, this.roles) };
    } catch (err) {
      record = { threw: describeError(err) };
    }
    if (this.lastArgs) record.args = describe(this.lastArgs, this.roles);
    this.calls.push([where, record]);
  }

  async run() {
    const { rng, g } = this;
    const kind = rng.random();
    const n = rng.int(1, 3);
    let target;
    let methods;
    this.recording = true;
    try {
      if (kind < 0.5) {
        this.state = rng.pick(SOCKET_STATES);
        target = await this.makeSocket(this.state);
        methods = SOCKET_METHODS;
      } else if (kind < 0.75) {
        this.state = rng.pick(SERVER_STATES);
        target = await this.makeServer(this.state);
        methods = SERVER_METHODS;
      } else {
        this.state = 'module';
      }
    } catch (err) {
      this.calls.push(['setup', { threw: describeError(err) }]);
      return;
    }
    // Only what the calls cause is compared.
    this.asyncLog.length = 0;
    if (target) {
      this.watch(target, 'this');
      this.roles.set(target, 'this');
    }
    for (let i = 0; i < n; i++) {
      if (target) {
        const name = rng.pick(Object.keys(methods));
        this.call(`${target instanceof net.Server ? 'Server' : 'Socket'}(${this.state})#${name}`,
          () => methods[name](target, g, this));
      } else {
        const name = rng.pick(Object.keys(MODULE_FUNCTIONS));
        this.call(`net.${name}`, () => MODULE_FUNCTIONS[name](g));
      }
    }
    await delay(SETTLE_MS);
    // A second, shorter wait for what the first one's events started (a connect refused
    // after a lookup, a close after an end).
    await new Promise((resolve) => setImmediate(resolve));
    await delay(SETTLE_MS / 2);
  }

  async cleanup() {
    this.recording = false;
    for (const ac of this.aborts) ac.abort();
    const closing = [];
    for (const obj of this.objects) {
      if (obj instanceof nodeNet.Server || obj instanceof net.Server) {
        closing.push(new Promise((resolve) => {
          try {
            obj.close(() => resolve());
          } catch {
            resolve();
          }
          setTimeout(resolve, 200).unref();
        }));
      } else {
        try {
          obj.destroy();
        } catch {
          // Whatever it is, it is gone.
        }
      }
    }
    await Promise.all(closing);
  }

  result() {
    return { id: this.id, state: this.state, calls: this.calls, async: this.asyncLog };
  }
}

process.on('uncaughtException', (err) => uncaught.push(describeError(err)));
process.on('unhandledRejection', (err) => uncaught.push(['rejection', describeError(err)]));
const uncaught = [];

async function main() {
  const fixed = await setup();
  const rng = prng(opts.seed);
  const records = [];
  let calls = 0;
  const t0 = Date.now();
  let id = 0;
  while (calls < opts.calls) {
    const batch = [];
    for (let i = 0; i < BATCH; i++) batch.push(new Case(id++, rng.fork()));
    await Promise.all(batch.map((c) => c.run()));
    await Promise.all(batch.map((c) => c.cleanup()));
    for (const c of batch) {
      records.push(c.result());
      calls += c.calls.length;
    }
  }
  const ms = Date.now() - t0;
  for (const s of fixed) s.close();
  fs.writeFileSync(opts.out, JSON.stringify({ impl: opts.impl, seed: opts.seed, node: process.version, calls, ms,
    records, uncaught }));
  report({ calls, ms, cases: records.length });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
