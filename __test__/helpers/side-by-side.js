'use strict';

// Side by side: a scenario runs once on Node's own `net` and once on the implementation
// under test (rsnet, or what RSNET_IMPL names: see scripts/impl.js), one after the other,
// and returns what it observed; the caller compares the two results.
//
// A scenario gets a Run: the implementation (`run.net`) and its name (`run.name`, 'node'
// or 'rsnet'), Node's `net` for reference peers (`run.peer`), helpers that create servers
// and sockets it closes afterwards, and `run.mask()`, which replaces the ports a run
// happened to get with stable names so that observations from the two runs compare equal.

const assert = require('node:assert/strict');
const { ChildProcess } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const nodeNet = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { loadImpl } = require('../../scripts/impl');
const { errorShape } = require('./error-shape');
const { within } = require('./time');

// The implementation under test.
const rsnet = loadImpl();

// [name, net] of both sides, Node's first.
const IMPLEMENTATIONS = [['node', nodeNet], ['rsnet', rsnet]];

let tmpRoot = null;
let tmpCount = 0;

// This process's own temporary directory (outside the repository), removed at exit.
function tmpBase() {
  if (tmpRoot === null) {
    tmpRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-test-')));
    process.once('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
  }
  return tmpRoot;
}

// A fresh path for a Unix socket.
function tmpPath(name) {
  tmpCount += 1;
  return path.join(tmpBase(), `${name}-${tmpCount}.sock`);
}

// A fresh, empty directory.
function tmpDir(name) {
  tmpCount += 1;
  const dir = path.join(tmpBase(), `${name}${tmpCount}`);
  fs.mkdirSync(dir);
  return dir;
}

// A port nothing listens on: one that was free a moment ago.
async function freePort(host = '127.0.0.1') {
  const server = nodeNet.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

// Calls server.listen(...args); resolves with its address once listening, rejects on an
// 'error' before that.
function listening(server, ...args) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      server.removeListener('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve(server.address());
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(...args);
  });
}

// A server of `net` created with `options` and listening with `args` (resolves once it
// listens); `track` (a Scope's) closes it and the sockets it accepts at the end.
async function startServer(net, track, options, ...args) {
  const server = track(net.createServer(options));
  server.on('connection', (socket) => track(socket));
  await listening(server, ...args);
  return server;
}

// What a listen() call led to: { listening, address }, or { error } or { threw } with the
// error's shape (without the stack's first line).
function listenOutcome(server, ...args) {
  const shape = (err) => errorShape(err, null, { header: false });
  return new Promise((resolve) => {
    server.once('error', (err) => resolve({ error: shape(err) }));
    server.once('listening', () => resolve({ listening: server.listening, address: server.address() }));
    try {
      server.listen(...args);
    } catch (err) {
      resolve({ threw: shape(err) });
    }
  });
}

function closeServer(server) {
  return new Promise((resolve) => server.close(resolve));
}

// 'connect' or the error code of a Node net client of `scope` to `target`.
function connectOutcome(scope, ...target) {
  return new Promise((resolve) => {
    const socket = scope.peerClient(...target);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connect');
    });
    socket.once('error', (err) => resolve(err.code));
  });
}

// `value` with each key of `names` (a Map: a port number, or a piece of text such as a
// temporary path) replaced by its name: in numbers equal to a port, ":<port>" inside
// strings and the text wherever it occurs. Arrays and plain objects are copied with
// masked members.
function mask(value, names) {
  if (typeof value === 'number') return names.has(value) ? names.get(value) : value;
  if (typeof value === 'string') {
    let out = value;
    for (const [text, name] of names) if (typeof text === 'string') out = out.split(text).join(name);
    for (const [port, name] of names) if (typeof port === 'number') out = out.split(`:${port}`).join(`:${name}`);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => mask(v, names));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, names)]));
  }
  return value;
}

// What a test or a run opened, closed at its end whatever happened: sockets (destroyed),
// servers (closed), child processes (killed if still running) and functions (called).
class Scope {
  constructor() {
    this.sockets = new Set();
    this.servers = new Set();
    this.children = new Set();
    this.finalizers = [];
    // Bound, so that a scenario can take it apart: ({ net, track }) => ...
    this.track = this.track.bind(this);
  }

  track(item) {
    if (typeof item === 'function') this.finalizers.push(item);
    else if (item instanceof ChildProcess || typeof item.kill === 'function') this.children.add(item);
    else if (typeof item.listen === 'function') this.servers.add(item);
    else this.sockets.add(item);
    return item;
  }

  // A server of `net` (created with `args`) whose accepted sockets are closed with it.
  server(net, ...args) {
    const server = this.track(net.createServer(...args));
    server.on('connection', (socket) => this.track(socket));
    return server;
  }

  // A client of Node's net (a peer), its errors ignored.
  peerClient(...args) {
    const socket = this.track(nodeNet.connect(...args));
    socket.on('error', () => {});
    return socket;
  }

  async cleanup() {
    for (const child of this.children) child.kill('SIGKILL');
    for (const socket of this.sockets) socket.destroy();
    for (const finalizer of this.finalizers.splice(0)) finalizer();
    const closing = [...this.servers].map((server) => new Promise((resolve) => {
      if (!server.listening) return resolve();
      return server.close(() => resolve());
    }));
    await within(2000, 'closing servers', Promise.all(closing)).catch(() => {});
  }
}

// A Scope closed when test `t` ends.
function testScope(t) {
  const scope = new Scope();
  t.after(() => scope.cleanup());
  return scope;
}

class Run extends Scope {
  constructor(name, net) {
    super();
    this.name = name;
    this.net = net;
    this.peer = nodeNet;
    this.labels = new Map();
    this.texts = new Map();
  }

  // Gives a port (a number, in `labels`) or a piece of text (a temporary path, in `texts`)
  // a stable name in masked observations.
  label(value, name) {
    if (typeof value === 'string' && value.length > 0) this.texts.set(value, name);
    else if (typeof value === 'number' && value > 0 && !this.labels.has(value)) this.labels.set(value, name);
    return value;
  }

  // `value` with every labelled port and text replaced by its name (see mask()).
  mask(value) {
    return mask(value, new Map([...this.texts, ...this.labels]));
  }

  // A listening server from `net` (Node's unless told), on `host` port 0 or on a Unix
  // socket path. Its port is labelled `label`.
  async listen(options = {}, onConnection = () => {}) {
    const { net = nodeNet, host = '127.0.0.1', path: sockPath, label = 'PORT', ...serverOptions } = options;
    const server = this.track(net.createServer(serverOptions, (socket) => {
      this.track(socket);
      onConnection(socket);
    }));
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

  // A port nothing listens on (it was free a moment ago), labelled `label`.
  async closedPort(label = 'CLOSED', host = '127.0.0.1') {
    return this.label(await freePort(host), label);
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

// Runs `scenario(run)` for Node's net, then for the implementation under test; resolves to
// { node, rsnet }, the values the scenario returned (as snapshotOf copies them). Each run
// must finish within `timeout` ms.
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

// sideBySide(), then the check that the implementation under test observed what Node's
// net did; returns Node's observation, for explicit checks of the scenario.
async function sameOnBoth(scenario, options) {
  const { node, rsnet: actual } = await sideBySide(scenario, options);
  assert.deepEqual(actual, node);
  return node;
}

module.exports = {
  IMPLEMENTATIONS,
  Run,
  Scope,
  closeServer,
  connectOutcome,
  freePort,
  listenOutcome,
  listening,
  mask,
  rsnet,
  sameOnBoth,
  sideBySide,
  snapshotOf,
  startServer,
  testScope,
  tmpDir,
  tmpPath,
};
