'use strict';

// Issue #7, part 5, "hostile input": a seeded random sequence of calls to every public
// method of Server and Socket and to the module's functions, with random arguments
// (wrong types; huge, negative, fractional and NaN numbers; detached, resizable and
// shared buffers; strings in unknown encodings; odd option objects; lookup functions that
// answer garbage), on objects in every state (before connect, connecting, connected,
// ended, destroyed; servers listening, closed, listening twice), and re-entrant calls from
// inside event listeners. Every call must either work, or throw an Error with a
// Node-shaped `code`; every 'error' event and every callback error must be one too; no
// exception may escape to 'uncaughtException'. The runner gives this process a time
// bound, so a hang or a crash is seen from outside.
//
// At the end everything is destroyed and closed; then (with --expose-gc) the descriptor
// count and RSS must come back to their baseline, and the process must exit by itself.
//
// All traffic stays on loopback: connect targets are this process's own servers, ports
// where nothing listens, or invalid; host names go through a fake dns.lookup that knows
// only 'localhost'. The process works in a temp dir of its own (relative socket paths land there).
//
// argv[2]: { impl: 'rsnet' | 'node', calls, seed, rssGrowthMiB, exitWithinMs }

const dns = require('node:dns');
const nodeNet = require('node:net');
const path = require('node:path');
const {
  loadImpl, MiB, childOptions, fdCount, fdList, isNodeShaped, mib, prng, report, rss, rssSampler, delay, tmpDir,
  useLoopbackLookup,
} = require('../lib/util');

const opts = childOptions();

// Where each live timer was made, so that a hang at exit names the timer that holds the
// process (getActiveResourcesInfo() only says 'Timeout').
const timers = new Map();
require('node:async_hooks').createHook({
  init(id, type, trigger, resource) {
    if (type === 'Timeout') timers.set(id, { resource, stack: new Error('timer made').stack });
  },
  destroy(id) {
    timers.delete(id);
  },
}).enable();

function liveTimers() {
  const live = [];
  for (const { resource, stack } of timers.values()) {
    if (resource._destroyed || (typeof resource.hasRef === 'function' && !resource.hasRef())) continue;
    live.push({ ms: resource._idleTimeout, stack: stack.split('\n').slice(1).map((l) => l.trim())
      .filter((l) => !/node:internal|node:timers|createHook|init \(/.test(l)).slice(0, 6) });
  }
  return live;
}

const net = opts.impl === 'node' ? nodeNet : loadImpl();
const isNodeNet = net === nodeNet;
const rng = prng(opts.seed);
const sampler = rssSampler();
process.chdir(tmpDir('rsnet-fuzz-'));
const cwd = process.cwd();
const MAX_SOCKETS = 48;
const DEFAULT_ATTEMPT_TIMEOUT = net.getDefaultAutoSelectFamilyAttemptTimeout();
const MAX_SERVERS = 12;

const stats = {
  calls: 0,
  threw: 0,
  codes: {},
  errorEvents: 0,
  callbackErrors: 0,
  reentrant: 0,
  violations: 0,
};
// Distinct violations: signature -> { count, example }.
const violations = new Map();

function violation(kind, where, err) {
  stats.violations++;
  let message = err instanceof Error ? `${err.name}: ${err.message}` : `non-Error ${typeof err}: ${String(err)}`;
  // Paths and numbers (ports, sizes) vary from run to run: leave them out of the signature,
  // and the chain of listeners a re-entrant call came through.
  message = message.split(cwd).join('<dir>').replace(/\d+/g, 'N').slice(0, 200);
  const signature = `${kind} in ${where.split(' -> ').pop()}: ${message}`;
  const entry = violations.get(signature);
  if (entry) entry.count++;
  else {
    violations.set(signature, { count: 1, kind, message, where,
      example: String(err && err.stack ? err.stack : message).slice(0, 800) });
  }
}

function countCode(code) {
  stats.codes[code] = (stats.codes[code] || 0) + 1;
}

// Every object the fuzzer passed in: destroy(x) emits x itself, which is the caller's.
const given = new WeakSet();

// An error that reached us (thrown, emitted, or passed to a callback): Node-shaped, or
// the caller's own value given back, or a violation.
function checkError(kind, where, err) {
  if ((typeof err === 'object' && err !== null) || typeof err === 'function') {
    if (given.has(err)) return;
  }
  if (isNodeShaped(err)) {
    countCode(err.code);
    if (err instanceof AggregateError) {
      for (const inner of err.errors) if (!isNodeShaped(inner)) violation(`${kind} (inner)`, where, inner);
    }
    return;
  }
  violation(kind, where, err);
}

process.on('uncaughtException', (err) => violation('uncaught exception', 'an event or callback', err));
process.on('unhandledRejection', (err) => violation('unhandled rejection', 'a promise', err));

// ---------------------------------------------------------------------------
// Loopback only: 'localhost' and loopback or wildcard IP literals resolve (as getaddrinfo
// does), everything else fails.
useLoopbackLookup((ip) => /^(127\.|::1$|0\.0\.0\.0$|::$|::ffff:127\.)/.test(ip));

// Lookup functions a user might pass, some of them broken.
const LOOKUPS = [
  (host, o, cb) => cb(null, '127.0.0.1', 4),
  (host, o, cb) => cb(null, o && o.all ? [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }] : '::1', 6),
  (host, o, cb) => cb(Object.assign(new Error('lookup says no'), { code: 'ENOTFOUND' })),
  (host, o, cb) => cb(null, 'not an ip', 4),
  (host, o, cb) => cb(null, '127.0.0.1', 5),
  (host, o, cb) => cb(null, o && o.all ? [] : undefined),
  (host, o, cb) => cb(null, o && o.all ? [{ address: 42, family: 4 }] : 42, 4),
  (host, o, cb) => setTimeout(cb, 5, null, o && o.all ? [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', 4),
  () => {}, // never answers
];

// ---------------------------------------------------------------------------
// The pool of objects under test, and the fixed targets they may reach.

const sockets = [];
const servers = [];
let anchor = null; // Node's net echo server: always there to connect to.
let anchorPath = null;
const refusedPorts = [];

function track(list, max, item, destroyOne) {
  list.push(item);
  while (list.length > max) destroyOne(list.shift());
}

function retireSocket(s) {
  try {
    s.destroy();
  } catch (err) {
    checkError('throw', 'cleanup destroy()', err);
  }
}

function retireServer(s) {
  try {
    s.close();
  } catch (err) {
    checkError('throw', 'cleanup close()', err);
  }
}

const SOCKET_EVENTS = ['connect', 'ready', 'data', 'end', 'finish', 'drain', 'timeout', 'lookup', 'close',
  'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout'];
let depth = 0;

function adoptSocket(socket, where) {
  if (!(socket instanceof net.Socket)) return;
  if (socket.fuzzAdopted) return;
  socket.fuzzAdopted = true;
  socket.on('error', (err) => {
    stats.errorEvents++;
    checkError('error event', `Socket (${where})`, err);
  });
  for (const name of SOCKET_EVENTS) {
    socket.on(name, () => reenter(`socket '${name}' listener`));
  }
  track(sockets, MAX_SOCKETS, socket, retireSocket);
}

function adoptServer(server, where) {
  if (!(server instanceof net.Server)) return;
  if (server.fuzzAdopted) return;
  server.fuzzAdopted = true;
  server.on('error', (err) => {
    stats.errorEvents++;
    checkError('error event', `Server (${where})`, err);
  });
  server.on('connection', (socket) => {
    adoptSocket(socket, 'accepted');
    reenter("server 'connection' listener");
  });
  server.on('listening', () => reenter("server 'listening' listener"));
  server.on('close', () => reenter("server 'close' listener"));
  server.on('drop', () => reenter("server 'drop' listener"));
  track(servers, MAX_SERVERS, server, retireServer);
}

// Sometimes, a random call from inside an event listener.
function reenter(where) {
  if (depth >= 2 || !running || !rng.chance(0.08)) return;
  stats.reentrant++;
  depth++;
  try {
    step(`${where} -> `);
  } finally {
    depth--;
  }
}

// ---------------------------------------------------------------------------
// Random values.

const ENCODINGS = ['utf8', 'utf-8', 'UTF8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'ucs2',
  'utf16le', 'UTF-16LE', 'buffer', 'nope', '', 'utf32', 'hex ', null, 123];

function detached(n) {
  const u = new Uint8Array(n);
  structuredClone(u.buffer, { transfer: [u.buffer] });
  return u;
}

function resizable(n) {
  const ab = new ArrayBuffer(n, { maxByteLength: n * 4 + 16 });
  const view = new Uint8Array(ab);
  view.fill(0x41);
  // Shrink or grow it later, while it may be queued for writing.
  setTimeout(() => {
    try {
      ab.resize(rng.int(0, n * 4 + 16));
    } catch {
      // Out of range: nothing to do.
    }
  }, rng.int(0, 3)).unref();
  return rng.chance(0.5) ? view : Buffer.from(ab);
}

function bytes() {
  const n = rng.size(rng.chance(0.02) ? MiB : 4096);
  switch (rng.int(0, 11)) {
    case 0: return Buffer.alloc(n, 0x42);
    case 1: return Buffer.alloc(0);
    case 2: return detached(n);
    case 3: return resizable(n);
    case 4: return new DataView(new ArrayBuffer(n));
    case 5: return new ArrayBuffer(n);
    case 6: return new Uint16Array(Math.ceil(n / 2));
    case 7: return new Float64Array(2);
    case 8: return new Uint8Array(new SharedArrayBuffer(n));
    case 9: {
      const b = Buffer.alloc(n + 8);
      return b.subarray(4, 4 + n);
    }
    case 10: {
      const b = Buffer.alloc(n);
      structuredClone(b.buffer, { transfer: [b.buffer] });
      return b;
    }
    default: return new Uint8Array(n);
  }
}

const NUMBERS = [0, -0, 1, -1, 0.5, -0.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53,
  -(2 ** 53), 65535, 65536, -65536, 1e21, Number.MIN_VALUE, Number.MAX_VALUE, 1e-7, 10, 100, 1000];

function number() {
  return rng.chance(0.8) ? rng.pick(NUMBERS) : rng.int(-100000, 100000) * (rng.chance(0.5) ? 1 : 0.37);
}

function socketPath() {
  switch (rng.int(0, 5)) {
    case 0: return path.join(cwd, `s${rng.int(0, 20)}.sock`);
    case 1: return `r${rng.int(0, 20)}.sock`;
    case 2: return `\0rsnet-fuzz-${process.pid}-${rng.int(0, 20)}`;
    case 3: return anchorPath;
    case 4: return path.join(cwd, 'x'.repeat(rng.int(90, 200)));
    default: return path.join(cwd, 'missing', 'dir.sock');
  }
}

// A port: mostly one that is ours (a server of the pool, the anchor, or a refused one).
function port() {
  const ours = servers.map((s) => {
    const a = s.address();
    return a && typeof a === 'object' ? a.port : 0;
  });
  switch (rng.int(0, 9)) {
    case 0: case 1: return anchor.address().port;
    case 2: case 3: return ours.length ? rng.pick(ours) : 0;
    case 4: return rng.pick(refusedPorts);
    case 5: return 0;
    case 6: return String(anchor.address().port);
    case 7: return rng.pick([-1, 65536, 1e10, NaN, 1.5, Infinity, '', ' ', '0x10', '99999', 'abc']);
    case 8: return rng.pick([null, undefined, true, {}, [], 10n]);
    default: return rng.pick(refusedPorts);
  }
}

const HOSTS = ['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::', '', 'no-such-host.invalid', '999.1.1.1',
  '127.0.0.1 ', '[::1]', '::ffff:127.0.0.1', 'x'.repeat(300), '\u2603', 42, null, undefined, {}, true];

function host() {
  return rng.pick(HOSTS);
}

function callback() {
  const where = 'a callback argument';
  switch (rng.int(0, 3)) {
    case 0: return () => {};
    // A callback may also be a 'connection' listener (its argument a socket): only an
    // Error argument is taken for a callback error.
    case 1: return (err) => {
      if (err instanceof Error) {
        stats.callbackErrors++;
        checkError('callback error', where, err);
      }
    };
    case 2: return () => reenter(where);
    default: return function named(...args) {
      if (args[0] instanceof Error) checkError('callback error', where, args[0]);
    };
  }
}

function signal() {
  switch (rng.int(0, 3)) {
    case 0: return AbortSignal.abort();
    case 1: return AbortSignal.timeout(rng.int(0, 20));
    case 2: {
      const c = new AbortController();
      setTimeout(() => c.abort(), rng.int(0, 20)).unref();
      return c.signal;
    }
    default: return rng.pick([{}, 'signal', null]);
  }
}

const OPTION_KEYS = {
  port, host,
  path: socketPath,
  backlog: number,
  exclusive: () => rng.pick([true, false, 1, 'yes']),
  ipv6Only: () => rng.pick([true, false, 0]),
  reusePort: () => rng.pick([true, false, 'x']),
  signal,
  allowHalfOpen: () => rng.pick([true, false, 1, null]),
  pauseOnConnect: () => rng.pick([true, false]),
  noDelay: () => rng.pick([true, false, 'x']),
  keepAlive: () => rng.pick([true, false]),
  keepAliveInitialDelay: number,
  highWaterMark: () => rng.pick([0, 1, 16, 1024, MiB, -1, NaN, 'x', 2 ** 31]),
  timeout: number,
  family: () => rng.pick([0, 4, 6, 5, 'IPv4', 'IPv6', -1, 'x', null]),
  hints: () => rng.pick([0, dns.ADDRCONFIG, dns.V4MAPPED, 1e6, -1, 'x']),
  localAddress: () => rng.pick(['127.0.0.1', '::1', 'x', '', 7, '0.0.0.0']),
  localPort: () => rng.pick([0, -1, 65536, 'x', NaN, 1.5]),
  lookup: () => (rng.chance(0.8) ? rng.pick(LOOKUPS) : rng.pick(['lookup', 42, {}])),
  autoSelectFamily: () => rng.pick([true, false, 'x', 1]),
  autoSelectFamilyAttemptTimeout: () => rng.pick([1, 10, 250, 0, -1, 1.5, 2 ** 31, 'x']),
  readable: () => rng.pick([true, false]),
  writable: () => rng.pick([true, false]),
  readableAll: () => rng.pick([true, false]),
  writableAll: () => rng.pick([true, false]),
  onread: () => rng.pick([null, {}, { buffer: Buffer.alloc(16), callback: () => {} }]),
  blockList: () => rng.pick([new nodeNet.BlockList(), {}, 'x']),
  fd: () => rng.pick([-1, NaN, 'x', 1e9]),
  emitClose: () => rng.pick([true, false]),
};

function options() {
  const o = {};
  const keys = Object.keys(OPTION_KEYS);
  for (let i = rng.int(0, 5); i > 0; i--) {
    const key = rng.pick(keys);
    o[key] = OPTION_KEYS[key]();
  }
  return o;
}

function value() {
  switch (rng.int(0, 13)) {
    case 0: return number();
    case 1: return port();
    case 2: return host();
    case 3: return socketPath();
    case 4: return bytes();
    case 5: return rng.pick(['', 'a', 'hello', 'x'.repeat(rng.size(70000)), '\u2603\u00e9', '\ud800']);
    case 6: return rng.pick(ENCODINGS);
    case 7: return callback();
    case 8: return options();
    case 9: return rng.pick([undefined, null, true, false, Symbol('s'), 10n, [], [1, 2], () => {}]);
    case 10: return rng.pick(sockets.concat(servers).concat([undefined]));
    case 11: return { valueOf: () => 80 };
    case 12: return rng.pick([new Date(), /re/, new Map(), Object.create(null)]);
    default: return undefined;
  }
}

function args(makers) {
  const out = [];
  for (const make of makers) {
    if (rng.chance(0.15)) break;
    out.push(rng.chance(0.15) ? value() : make());
  }
  if (rng.chance(0.1)) out.push(value());
  for (const a of out) {
    if ((typeof a === 'object' && a !== null) || typeof a === 'function') given.add(a);
  }
  return out;
}

// ---------------------------------------------------------------------------
// What can be called: [name, how to call it].

const on = (list) => (list.length ? rng.pick(list) : null);

const SOCKET_METHODS = {
  connect: (s) => {
    // Node's own net aborts (an assertion in TCPWrap::Connect) when a socket that had a TCP
    // handle connects to a path, or the other way round: its run does not try that.
    if (isNodeNet && (s._handle || s.fuzzUsed)) return s.address();
    s.fuzzUsed = true;
    return s.connect(...args(rng.pick([[options, callback], [port, host, callback], [socketPath, callback],
      [port, callback]])));
  },
  write: (s) => s.write(...args(rng.pick([[bytes, callback], [() => rng.pick(['abc', 'x'.repeat(5000)]),
    () => rng.pick(ENCODINGS), callback], [value, value, value]]))),
  end: (s) => s.end(...args(rng.pick([[bytes, callback], [() => 'bye', () => rng.pick(ENCODINGS), callback],
    [callback]]))),
  // destroy(x) emits x as the 'error': only errors (or nothing) are passed.
  destroy: (s) => {
    const err = rng.pick([undefined, new Error('fuzz'), Object.assign(new Error('fuzz'), { code: 'EFUZZ' })]);
    if (err) given.add(err);
    return s.destroy(err);
  },
  destroySoon: (s) => s.destroySoon(),
  resetAndDestroy: (s) => s.resetAndDestroy(),
  pause: (s) => s.pause(),
  resume: (s) => s.resume(),
  setEncoding: (s) => s.setEncoding(...args([() => rng.pick(ENCODINGS)])),
  cork: (s) => s.cork(),
  uncork: (s) => s.uncork(),
  setTimeout: (s) => s.setTimeout(...args([number, callback])),
  setNoDelay: (s) => s.setNoDelay(...args([value])),
  setKeepAlive: (s) => s.setKeepAlive(...args([value, number])),
  address: (s) => s.address(),
  ref: (s) => s.ref(),
  unref: (s) => s.unref(),
  read: (s) => s.read(...args([() => rng.pick([0, 1, 100, 1e6, -1, NaN, 2 ** 31, undefined])])),
  unshift: (s) => s.unshift(...args([bytes])),
  pipe: (s) => s.pipe(on(sockets) || s, ...args([() => rng.pick([{ end: false }, {}, undefined])])),
  unpipe: (s) => s.unpipe(...args([() => on(sockets)])),
  setMaxListeners: (s) => s.setMaxListeners(...args([number])),
  getters: (s) => [s.remoteAddress, s.remotePort, s.remoteFamily, s.localAddress, s.localPort, s.localFamily,
    s.bytesRead, s.bytesWritten, s.bufferSize, s.readyState, s.pending, s.connecting, s.timeout,
    s.readableLength, s.writableLength, s.destroyed, s.autoSelectFamilyAttemptedAddresses],
  asyncIterator: (s) => {
    const it = s[Symbol.asyncIterator]();
    it.next().then(() => it.return(), (err) => checkError('rejection', 'async iterator', err));
  },
};

const SERVER_METHODS = {
  listen: (s) => s.listen(...args(rng.pick([[port, host, number, callback], [options, callback], [socketPath, callback],
    [port, callback], [callback], [value]]))),
  close: (s) => s.close(...args([callback])),
  address: (s) => s.address(),
  getConnections: (s) => s.getConnections(...args([callback])),
  ref: (s) => s.ref(),
  unref: (s) => s.unref(),
  maxConnections: (s) => {
    s.maxConnections = rng.pick([0, 1, 2, -1, NaN, 'x', undefined]);
  },
  asyncDispose: (s) => {
    const p = s[Symbol.asyncDispose]();
    if (p && typeof p.then === 'function') p.then(null, (err) => checkError('rejection', 'Server asyncDispose', err));
  },
  setMaxListeners: (s) => s.setMaxListeners(...args([number])),
  getters: (s) => [s.listening, s.connections, s.maxConnections],
};

const MODULE_FUNCTIONS = {
  connect: () => net.connect(...args(rng.pick([[options, callback], [port, host, callback], [socketPath, callback]]))),
  createConnection: () => net.createConnection(...args(rng.pick([[options, callback], [port, host, callback]]))),
  createServer: () => net.createServer(...args([() => (rng.chance(0.5) ? options() : value()), callback])),
  newServer: () => new net.Server(...args([options, callback])),
  callServer: () => net.Server(...args([options, callback])),
  newSocket: () => new net.Socket(...noFd(args([options]))),
  callSocket: () => net.Socket(...noFd(args([options]))),
  newStream: () => new net.Stream(...noFd(args([options]))),
  isIP: () => net.isIP(...args([value])),
  isIPv4: () => net.isIPv4(...args([host])),
  isIPv6: () => net.isIPv6(...args([host])),
  getDefaultAutoSelectFamily: () => net.getDefaultAutoSelectFamily(),
  setDefaultAutoSelectFamily: () => net.setDefaultAutoSelectFamily(...args([() => rng.pick([true, false, 'x', 1])])),
  getDefaultAutoSelectFamilyAttemptTimeout: () => net.getDefaultAutoSelectFamilyAttemptTimeout(),
  setDefaultAutoSelectFamilyAttemptTimeout: () => {
    const returned = net.setDefaultAutoSelectFamilyAttemptTimeout(
      ...args([() => rng.pick([1, 10, 250, 0, -1, 1.5, 'x', 2 ** 31])]));
    // A long default (a random number from args) arms attempt timers that outlive a socket
    // destroyed mid-connect, on net as on rsnet, and would hold the process past the exit
    // check: the value was taken or refused; then it goes back to the line's default.
    if (net.getDefaultAutoSelectFamilyAttemptTimeout() > 1000) {
      net.setDefaultAutoSelectFamilyAttemptTimeout(DEFAULT_ATTEMPT_TIMEOUT);
    }
    return returned;
  },
  normalizeArgs: () => net._normalizeArgs(args([value, value, value])),
};

// A number as a Socket's first argument is a descriptor: only ones that cannot be open
// are passed (`new Socket(1)` on Node's net is this process's stdout).
function noFd(list) {
  if (typeof list[0] === 'number' && Number.isInteger(list[0]) && list[0] >= 0 && list[0] < 2 ** 31) {
    list[0] = isNodeNet ? {} : -1;
  }
  return list;
}

if (isNodeNet) {
  const { fd, ...rest } = OPTION_KEYS;
  void fd;
  for (const key of Object.keys(OPTION_KEYS)) delete OPTION_KEYS[key];
  Object.assign(OPTION_KEYS, rest);
}

let running = true;

// One random call: on a socket, a server or the module.
function step(prefix = '') {
  const kind = rng.random();
  let where;
  let fn;
  if (kind < 0.5 && sockets.length) {
    const name = rng.pick(Object.keys(SOCKET_METHODS));
    const s = rng.pick(sockets);
    where = `${prefix}Socket#${name}`;
    fn = () => SOCKET_METHODS[name](s);
  } else if (kind < 0.75 && servers.length) {
    const name = rng.pick(Object.keys(SERVER_METHODS));
    const s = rng.pick(servers);
    where = `${prefix}Server#${name}`;
    fn = () => SERVER_METHODS[name](s);
  } else {
    const name = rng.pick(Object.keys(MODULE_FUNCTIONS));
    where = `${prefix}net.${name}`;
    fn = () => MODULE_FUNCTIONS[name]();
  }
  stats.calls++;
  try {
    const result = fn();
    adoptSocket(result, where);
    adoptServer(result, where);
  } catch (err) {
    stats.threw++;
    checkError('throw', where, err);
  }
}

function listening(server, ...args) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function setup() {
  anchor = nodeNet.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  anchorPath = path.join(cwd, 'anchor.sock');
  await listening(anchor, 0, '127.0.0.1');
  const unixAnchor = nodeNet.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await listening(unixAnchor, anchorPath);
  anchor.unixAnchor = unixAnchor;
  for (let i = 0; i < 4; i++) {
    const s = nodeNet.createServer();
    await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
    refusedPorts.push(s.address().port);
    await new Promise((resolve) => s.close(resolve));
  }
}

async function main() {
  await setup();
  // A warm-up round trip, so that the baseline includes what lives for the process.
  await new Promise((resolve) => {
    const c = net.connect(anchor.address().port, '127.0.0.1', () => c.end('warm'));
    c.on('data', () => {});
    c.on('close', resolve);
  });
  const gc = typeof global.gc === 'function' ? () => global.gc() : () => {};
  gc();
  const fdStart = fdCount();
  const rssStart = rss();
  const t0 = Date.now();
  let lastLog = t0;
  while (stats.calls < opts.calls) {
    step();
    // Let events happen: after most calls a turn of the loop, sometimes a few ms.
    if (rng.chance(0.3)) await new Promise((resolve) => setImmediate(resolve));
    if (rng.chance(0.01)) await delay(rng.int(1, 10));
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      console.log(`[fuzz ${opts.impl}] ${stats.calls} calls, ${stats.violations} violations, ` +
        `${sockets.length} sockets, ${servers.length} servers, RSS ${mib(rss())} MiB`);
    }
  }
  running = false;
  const ms = Date.now() - t0;
  // Clean up everything, then see descriptors and memory come back and the process exit.
  for (const s of sockets.splice(0)) retireSocket(s);
  for (const s of servers.splice(0)) retireServer(s);
  anchor.close();
  anchor.unixAnchor.close();
  // Sockets that a pipe() or a re-entrant call created after cleanup started.
  await delay(200);
  for (const s of sockets.splice(0)) retireSocket(s);
  for (const s of servers.splice(0)) retireServer(s);
  await delay(300);
  gc();
  await delay(50);
  gc();
  const fdEnd = fdCount();
  const rssEnd = rss();
  const leftover = fdEnd > fdStart ? fdList().slice(-(fdEnd - fdStart)) : [];
  const result = {
    impl: opts.impl,
    seed: opts.seed,
    ms,
    stats,
    violations: [...violations].map(([signature, v]) => ({ signature, ...v })),
    fdStart,
    fdEnd,
    leftover,
    rssStartMiB: Number(mib(rssStart)),
    rssEndMiB: Number(mib(rssEnd)),
    peakRss: sampler.peak,
  };
  sampler.stop();
  report(result);
  // From here nothing should keep the process alive. If something does, say what.
  setTimeout(() => {
    console.log(`RSNET-STRESS-HANG ${JSON.stringify(process.getActiveResourcesInfo())}`);
    console.log(`RSNET-STRESS-HANG timers ${JSON.stringify(liveTimers())}`);
    process.exit(2);
  }, opts.exitWithinMs).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
