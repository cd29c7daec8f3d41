'use strict';

// Loads the native addon and owns the one event path from it: the addon calls
// `dispatch` with a batch of events as a flat array [kind, id, payload, ...], and
// each event goes to the JavaScript object that registered the handle's id.

// lib/loader.js picks the addon: a local build, the platform's prebuilt package, or a
// source build, and otherwise throws an error that says what to install.
const native = require('./loader').load().native;
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
// Counts deliveries (a poll phase's batch, or the batches deferred to the end of its
// turn), so that a socket can tell how close together two of its events came.
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
  // What came during this turn is the next poll phase's in libuv: it follows the turn's
  // closing phase (a connect refused at once does not beat the close of the socket's old
  // handle).
  if (closingQueue !== null && deferred.length > 0) {
    closingQueue.unshift(endOfTurn, undefined);
    return;
  }
  while (deferred.length > 0) {
    // One list, so that a socket's events keep their order across batches.
    const events = deferred.length === 1 ? deferred[0] : [].concat(...deferred);
    deferred = [];
    turnCount++;
    deliver(events, 0);
  }
  turnBusy = false;
}

// Node runs every libuv callback in its own callback scope, which drains process.nextTick
// callbacks and microtasks before the next callback runs. So must rsnet between the events
// of one batch: streams schedule 'readable' with process.nextTick, and a socket that gets
// two chunks in one batch must see two 'readable' events, as on net, or a consumer that
// reads once per 'readable' (aedes does, and on Node 26 read() returns one chunk) stalls.
// process._tickCallback is Node's own drain (runNextTicks), which its timers and immediates
// run between callbacks; where it is missing or wrapped (--pending-deprecation wraps it to
// warn), each event waits at least for the microtasks that the one before it queued.
const drainTicks = typeof process._tickCallback === 'function' &&
  process._tickCallback.name === 'runNextTicks' ? process._tickCallback : null;

function deliver(events, start) {
  if (drainTicks === null) return deliverChained(events, start);
  delivering = true;
  try {
    for (let i = start; i < events.length; i += 3) {
      deliverOne(events, i);
      drain();
    }
    // What libuv would run in its pending phase right after this poll.
    for (let i = 0; i < afterPollQueue.length; i += 2) {
      try {
        afterPollQueue[i](afterPollQueue[i + 1]);
      } catch (err) {
        process.nextTick(rethrow, err);
      }
      drain();
    }
  } finally {
    afterPollQueue = [];
    delivering = false;
  }
}

// Without Node's drain: each event waits for the microtasks of the one before it.
function deliverChained(events, start) {
  for (let i = start; i < events.length; i += 3) {
    if (deliverOne(events, i)) {
      if (i + 3 < events.length) queueMicrotask(() => deliverChained(events, i + 3));
      return;
    }
  }
}

// Whether the event had an owner to go to.
function deliverOne(events, i) {
  const owner = owners.get(events[i + 1]);
  if (owner === undefined) {
    // A connection accepted just before its server closed: nobody will ever own it.
    if (events[i] === kind.ACCEPT) events[i + 2].close();
    return false;
  }
  try {
    owner[kOnEvent](events[i], events[i + 2]);
  } catch (err) {
    // Node-API swallows exceptions thrown into it (with a deprecation warning), so
    // rethrow from a tick, where they reach 'uncaughtException' as from any callback.
    process.nextTick(rethrow, err);
  }
  return true;
}

// libuv runs the callbacks of requests that complete without waiting for I/O (a shutdown
// with nothing left to write) in its pending phase, which follows the poll phase before
// any immediate. A batch's delivery is rsnet's poll phase: what is queued here during it
// runs at its end; at other times, on the next turn of the loop.
let delivering = false;
let afterPollQueue = [];

function afterPoll(fn, arg) {
  if (delivering) afterPollQueue.push(fn, arg);
  else setImmediate(fn, arg);
}

// libuv runs a closed handle's callback in the closing phase of the turn: after the turn's
// immediates, and the handle closed last first. rsnet's handles close natively, with no
// such phase, so their close callbacks wait for a MessagePort closed in the same turn,
// whose close Node runs in that phase too. One port serves every close of a turn.
let closingQueue = null;

function atClose(fn, arg) {
  if (closingQueue === null) {
    const queue = [];
    closingQueue = queue;
    const { port1 } = new MessageChannel();
    port1.once('close', () => runClosing(queue));
    port1.close();
  }
  closingQueue.push(fn, arg);
}

function runClosing(queue) {
  // Closes from here on are the next turn's.
  if (closingQueue === queue) closingQueue = null;
  for (let i = queue.length - 2; i >= 0; i -= 2) {
    try {
      queue[i](queue[i + 1]);
    } catch (err) {
      process.nextTick(rethrow, err);
    }
    if (drainTicks !== null) drain();
  }
}

// A tick that throws leaves Node's drain midway, with that tick's async context still
// entered. Thrown again from a microtask, the error reaches 'uncaughtException' at once
// through Node's own handler, which also resets the async context stack (a stale entry
// there would abort the process when this callback's scope closes); then the drain goes on.
function drain() {
  for (;;) {
    try {
      drainTicks();
      return;
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
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

// An event from a handle rsnet does not run natively (lib/foreign-handle.js), delivered
// as a native one would be: to its owner, if it still has one.
function emitFor(handle, type, payload) {
  const owner = owners.get(handle.id);
  if (owner !== undefined) owner[kOnEvent](type, payload);
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
  // The TCP controls beyond net (lib/tcp-controls.js).
  tcpControls: {
    checkCongestion: native.checkCongestion,
    getTcpOptions: native.getTcpOptions,
    setTcpOptions: native.setTcpOptions,
    tcpInfo: native.tcpInfo,
  },
  kind,
  kOnEvent,
  afterPoll,
  atClose,
  emitFor,
  own,
  disown,
};
