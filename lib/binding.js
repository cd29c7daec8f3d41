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

function dispatch(events, wanted) {
  takeLentChunks(events, wanted);
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
  if (deferred.length === 0) {
    turnBusy = false;
    return;
  }
  // What came during this turn is the next poll phase's in libuv: it follows the turn's
  // immediates and closing phase (a connect refused at once does not beat the close of the
  // socket's old handle), and the immediates and closes it causes wait for the next turn's
  // (a write queued in an immediate by 'end' runs before the socket's 'close').
  atCloseLast(deliverDeferred, undefined);
}

function deliverDeferred() {
  while (deferred.length > 0) {
    // One list, so that a socket's events keep their order across batches.
    const events = deferred.length === 1 ? deferred[0] : [].concat(...deferred);
    deferred = [];
    turnCount++;
    deliver(events, 0);
  }
  turnBusy = false;
}

// Bulk reads land in Buffers lent to the I/O thread (src/read_pool.rs), so that a chunk
// reaches JavaScript in memory V8 allocated, as net's reads do: each lent Buffer waits in
// this table, untouched, until its chunk comes back as a LENT_DATA event. The pool grows
// as the I/O thread reports reads that found it empty, and is topped up as chunks come
// back, up to LEND_MAX buffers per environment.
const LEND_SIZE = 64 * 1024;
const LEND_MAX = 32;
const lent = [];
const freeSlots = [];
let lentCount = 0;
const slotShift = kind.LENT_SLOT_SHIFT;
const lengthMask = (1 << slotShift) - 1;

function takeLentChunks(events, wanted) {
  let returned = 0;
  for (let i = 0; i < events.length; i += 3) {
    if (events[i] !== kind.LENT_DATA) continue;
    const slot = events[i + 2] >>> slotShift;
    const length = events[i + 2] & lengthMask;
    const buffer = lent[slot];
    lent[slot] = undefined;
    freeSlots.push(slot);
    returned++;
    events[i] = kind.DATA;
    events[i + 2] = length === buffer.length ? buffer : buffer.subarray(0, length);
  }
  lentCount -= returned;
  const count = Math.min(returned + wanted, LEND_MAX - lentCount);
  if (count > 0) lend(count);
}

function lend(count) {
  const buffers = new Array(count);
  const slots = new Array(count);
  for (let i = 0; i < count; i++) {
    const slot = freeSlots.length > 0 ? freeSlots.pop() : lent.length;
    const buffer = Buffer.allocUnsafeSlow(LEND_SIZE);
    lent[slot] = buffer;
    buffers[i] = buffer;
    slots[i] = slot;
  }
  lentCount += count;
  native.lendReadBuffers(buffers, slots);
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
// such callback, so their close callbacks wait for that phase, which the addon asks libuv
// for (src/closing_phase.rs): one call per turn runs every close queued in it.
let closingQueue = null;

function atClose(fn, arg) {
  requestClosingPhase();
  closingQueue.push(fn, arg);
}

// After every close queued in the turn, also those queued later.
function atCloseLast(fn, arg) {
  requestClosingPhase();
  closingQueue.unshift(fn, arg);
}

function requestClosingPhase() {
  if (closingQueue !== null) return;
  closingQueue = [];
  // Without libuv's phase (never seen), the turn's check phase is the nearest.
  if (!native.requestClosingPhase()) setImmediate(onClosingPhase);
}

function onClosingPhase() {
  const queue = closingQueue;
  // Closes from here on are the next turn's.
  closingQueue = null;
  if (queue === null) return;
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

native.init(dispatch, onClosingPhase);

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
