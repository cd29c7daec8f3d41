'use strict';

// Side-by-side runner: a scenario runs once on Node's own `net` and once on rsnet, one
// after the other, and returns what it observed; the caller compares the two results.
//
// A scenario gets a Run: the implementation under test (`run.net`), Node's `net` for
// reference peers (`run.peer`), helpers that create servers and sockets it cleans up
// afterwards, and `run.mask()`, which replaces the ports a run happened to get with stable
// names so that observations from the two runs compare equal.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const nodeNet = require('node:net');
const os = require('node:os');
const path = require('node:path');

const rsnet = require('../..');

const IMPLEMENTATIONS = [['node', nodeNet], ['rsnet', rsnet]];

let tmpDir = null;
let tmpCount = 0;

function tmpPath(name) {
  if (tmpDir === null) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-test-'));
    process.once('exit', () => fs.rmSync(tmpDir, { recursive: true, force: true }));
  }
  tmpCount += 1;
  return path.join(tmpDir, `${name}-${tmpCount}.sock`);
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Rejects if `promise` does not settle within `ms`.
function within(ms, what, promise) {
  let timer;
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

class Run {
  constructor(name, net) {
    this.name = name;
    this.net = net;
    this.peer = nodeNet;
    this.sockets = new Set();
    this.servers = new Set();
    this.labels = new Map();
    this.texts = new Map();
  }

  // Gives a port (a number) or a piece of text (a temporary path) a stable name in masked
  // observations.
  label(value, name) {
    if (typeof value === 'string' && value.length > 0) this.texts.set(value, name);
    else if (typeof value === 'number' && value > 0 && !this.labels.has(value)) this.labels.set(value, name);
    return value;
  }

  // `value` with every labelled port replaced by its name (numbers equal to a port, and
  // ":<port>" inside strings) and every labelled text too. Arrays and plain objects are
  // copied with masked members.
  mask(value) {
    if (typeof value === 'number') return this.labels.has(value) ? this.labels.get(value) : value;
    if (typeof value === 'string') {
      let out = value;
      for (const [text, name] of this.texts) out = out.split(text).join(name);
      for (const [port, name] of this.labels) out = out.split(`:${port}`).join(`:${name}`);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => this.mask(v));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.mask(v)]));
    }
    return value;
  }

  track(socket) {
    this.sockets.add(socket);
    return socket;
  }

  // A listening server from `net` (Node's unless told), on `host` port 0 or on a Unix
  // socket path. Its port is labelled `label`.
  async listen(options = {}, onConnection = () => {}) {
    const { net = nodeNet, host = '127.0.0.1', path: sockPath, label = 'PORT', ...serverOptions } = options;
    const server = net.createServer(serverOptions, (socket) => {
      this.track(socket);
      onConnection(socket);
    });
    this.servers.add(server);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(sockPath ? { path: sockPath } : { port: 0, host }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    if (!sockPath) this.label(server.address().port, label);
    return server;
  }

  // A port nothing listens on (it was free a moment ago).
  async closedPort(label = 'CLOSED') {
    const server = nodeNet.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return this.label(port, label);
  }

  async cleanup() {
    for (const socket of this.sockets) socket.destroy();
    const closing = [...this.servers].map((server) => new Promise((resolve) => {
      if (!server.listening) return resolve();
      return server.close(() => resolve());
    }));
    await within(2000, `${this.name}: closing servers`, Promise.all(closing)).catch(() => {});
  }
}

// A deep copy of what a scenario returned, taken as it returns: event logs keep growing
// while the run is cleaned up. Buffers become hex strings; extra array properties go.
function snapshotOf(value) {
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString('hex')}>`;
  if (Array.isArray(value)) return value.map(snapshotOf);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, snapshotOf(v)]));
  }
  return value;
}

// Runs `scenario(run)` for Node's net, then for rsnet; resolves to { node, rsnet }, the
// values the scenario returned (as snapshotOf copies them). Each run must finish within `timeout` ms.
async function sideBySide(scenario, { timeout = 4000 } = {}) {
  const results = {};
  for (const [name, net] of IMPLEMENTATIONS) {
    const run = new Run(name, net);
    try {
      results[name] = await within(timeout, `${name} run`, Promise.resolve().then(() => scenario(run)).then(snapshotOf));
    } finally {
      await run.cleanup();
    }
  }
  return results;
}

// What a user can see of an error, with ports masked by `run`.
function errorShape(err, run) {
  if (!(err instanceof Error)) return { notAnError: err === undefined ? 'undefined' : String(err) };
  const mask = (v) => (run ? run.mask(v) : v);
  const shape = {
    ctor: err.constructor.name,
    name: err.name,
    message: mask(err.message),
    header: mask(err.stack.split('\n')[0]),
    keys: Object.keys(err),
  };
  for (const key of ['code', 'errno', 'syscall', 'address', 'port', 'hostname', 'localAddress', 'localPort']) {
    if (key in err) shape[key] = mask(err[key]);
  }
  if (err instanceof AggregateError) shape.errors = err.errors.map((e) => errorShape(e, run));
  return shape;
}

// Records the events `names` of `emitter` into an array, in order. Consecutive 'data'
// events collapse into one entry (TCP is free to split a byte stream differently);
// 'close' records hadError, 'error' the error's shape, others their (masked) arguments.
// The array also carries `.errors` (the error objects), `.data` (the chunks received)
// and `.closed`, a promise of the first 'close' (watched from the start, so not missed).
function record(emitter, names, run) {
  const log = [];
  log.errors = [];
  log.data = [];
  log.closed = new Promise((resolve) => emitter.once('close', (...args) => resolve(args)));
  for (const name of names) {
    emitter.on(name, (...args) => {
      if (name === 'data') {
        log.data.push(typeof args[0] === 'string' ? args[0] : Buffer.from(args[0]));
        if (log[log.length - 1] !== 'data') log.push('data');
      } else if (name === 'close') {
        log.push(`close(${args[0]})`);
      } else if (name === 'error') {
        log.errors.push(args[0]);
        log.push({ error: errorShape(args[0], run) });
      } else if (args.length === 0) {
        log.push(name);
      } else {
        log.push([name, ...args.map((a) => (a instanceof Error ? errorShape(a, run) : run ? run.mask(a) : a))]);
      }
    });
  }
  return log;
}

// Resolves with the arguments of the next `name` event of `emitter`, or rejects when the
// emitter closes first.
function next(emitter, name) {
  return new Promise((resolve, reject) => {
    const onClose = () => {
      emitter.removeListener(name, onEvent);
      reject(new Error(`'close' came before '${name}'`));
    };
    const onEvent = (...args) => {
      if (name !== 'close') emitter.removeListener('close', onClose);
      resolve(args);
    };
    emitter.once(name, onEvent);
    if (name !== 'close') emitter.once('close', onClose);
  });
}

// Resolves once `predicate()` is true, polling every few milliseconds; rejects after `ms`.
async function until(predicate, what = 'condition', ms = 3000) {
  const start = Date.now();
  for (let i = 0; !predicate(); i++) {
    if (Date.now() - start > ms) throw new Error(`${what}: still false after ${ms} ms`);
    await delay(i < 20 ? 1 : 5);
  }
}

// What fn() threw (its shape), or what it returned (an object by its class's name).
function outcome(fn, run) {
  try {
    const value = fn();
    return { returned: typeof value === 'object' && value !== null ? value.constructor.name : value };
  } catch (err) {
    return { threw: errorShape(err, run) };
  }
}

// Deterministic bytes, a seeded xorshift32 stream: lost, repeated or reordered bytes show
// in a comparison or a digest.
function pattern(size, seed = 0x2545f491) {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function caught(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail('expected a throw');
}

module.exports = {
  IMPLEMENTATIONS,
  Run,
  caught,
  delay,
  errorShape,
  next,
  outcome,
  pattern,
  record,
  sideBySide,
  tmpPath,
  until,
  within,
};
