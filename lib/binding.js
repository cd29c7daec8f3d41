'use strict';

// Loads the native addon and owns the one event path from it: the addon calls
// `dispatch` with a batch of events as a flat array [kind, id, payload, ...], and
// each event goes to the JavaScript object that registered the handle's id.

const path = require('node:path');

const addonPath = path.join(__dirname, '..', 'rsnet.node');
let native;
try {
  native = require(addonPath);
} catch (err) {
  err.message = `rsnet: cannot load the native addon at ${addonPath} ` +
    `(run \`npm run build\`): ${err.message}`;
  throw err;
}
// Abstract Unix names as the running Node's libuv spells them, so each reaches the other.
native.setExactAbstractNames(require('./node-line').exactAbstractNames);

// Event kinds, as src/events.rs defines them.
const kind = Object.freeze(native.eventKinds());

const kOnEvent = Symbol('kOnEvent');

/** id -> the Socket or Server that owns the native handle. */
const owners = new Map();

// Node's threadsafe function calls `dispatch` again and again, without returning to the
// event loop, for as long as the I/O thread keeps producing events. A libuv loop takes
// each poll phase's I/O and then runs immediates and timers; so does rsnet: one batch
// per poll phase, and batches that come in the same phase wait for the turn's end.
let turnBusy = false;
let deferred = [];
// Counts the turns of the loop that brought events, so that a socket can tell whether two
// of its events came in the same one (libuv would not have read them in the same poll).
let turnCount = 0;

function dispatch(events) {
  if (turnBusy) {
    deferred.push(events);
    return;
  }
  turnBusy = true;
  turnCount++;
  deliver(events, 0);
  // Queued after whatever the listeners scheduled, as the next poll phase would be.
  setImmediate(endOfTurn);
}

function endOfTurn() {
  while (deferred.length > 0) {
    // One list, so that a socket's events keep their order across batches.
    const events = deferred.length === 1 ? deferred[0] : [].concat(...deferred);
    deferred = [];
    deliver(events, 0);
  }
  turnBusy = false;
}

// Node drains ticks and microtasks after every I/O callback, so an `await` in one event's
// listener resumes before the next event. Each event after the first therefore waits for
// the microtasks that the one before it queued.
function deliver(events, start) {
  let i = start;
  let owner;
  for (; i < events.length; i += 3) {
    owner = owners.get(events[i + 1]);
    if (owner !== undefined) break;
    // A connection accepted just before its server closed: nobody will ever own it.
    if (events[i] === kind.ACCEPT) events[i + 2].close();
  }
  if (i >= events.length) return;
  try {
    owner[kOnEvent](events[i], events[i + 2]);
  } catch (err) {
    // Node-API swallows exceptions thrown into it (with a deprecation warning), so
    // rethrow from a tick, where they reach 'uncaughtException' as from any callback.
    process.nextTick(rethrow, err);
  }
  if (i + 3 < events.length) queueMicrotask(() => deliver(events, i + 3));
}

function rethrow(err) {
  throw err;
}

native.init(dispatch);

// http asks a socket's handle for its async id (for async_hooks bookkeeping): the
// handle's id serves, being unique per environment.
for (const Handle of [native.SocketHandle, native.ServerHandle]) {
  Object.defineProperty(Handle.prototype, 'getAsyncId', {
    value: function getAsyncId() {
      return this.id;
    },
    writable: true,
    configurable: true,
  });
}

function own(handle, owner) {
  owners.set(handle.id, owner);
}

function disown(handle) {
  owners.delete(handle.id);
}

function currentTurn() {
  return turnCount;
}

module.exports = {
  currentTurn,
  SocketHandle: native.SocketHandle,
  ServerHandle: native.ServerHandle,
  guessHandleType: native.guessHandleType,
  kind,
  kOnEvent,
  own,
  disown,
};
