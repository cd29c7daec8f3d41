'use strict';

// The 'net' performance entry Node's net adds for each TCP connect (name 'connect',
// detail { host, port }). Node creates it with internals that user code cannot reach, so
// rsnet has Node's own net create it: a stand-in net.Socket over a handle that only
// records the connect request starts the measurement when rsnet's connect starts and is
// completed when rsnet's completes. Node then decides, as for its own sockets, whether an
// observer wants the entry and what it holds.
//
// A stand-in costs a stream, so one is made only while a PerformanceObserver might observe
// 'net': rsnet watches observe() and disconnect() for that.

const nodeNet = require('node:net');
const { PerformanceObserver } = require('node:perf_hooks');

// Shared by every copy of rsnet in this realm, as only the first one wraps observe().
const kNetObservers = Symbol.for('rsnet.netObservers');

// The observers that may observe 'net': Node itself checks whether they still do.
const netObservers = watchObservers();

function watchObservers() {
  const proto = PerformanceObserver.prototype;
  const { observe, disconnect } = proto;
  if (observe[kNetObservers] !== undefined) return observe[kNetObservers];
  const observers = new Set();
  // Same name and length as the originals: only what they do after is added.
  const wrap = (original, after) => {
    const wrapped = {
      [original.name](...args) {
        const result = Reflect.apply(original, this, args);
        after(this, args[0]);
        return result;
      },
    }[original.name];
    Object.defineProperty(wrapped, 'length', { value: original.length });
    wrapped[kNetObservers] = observers;
    return wrapped;
  };
  proto.observe = wrap(observe, (observer, options) => {
    const { entryTypes, type } = options || {};
    if (type === 'net' || (Array.isArray(entryTypes) && entryTypes.includes('net'))) {
      observers.add(observer);
    } else if (Array.isArray(entryTypes)) {
      // A list replaces what the observer observed before.
      observers.delete(observer);
    }
  });
  proto.disconnect = wrap(disconnect, (observer) => observers.delete(observer));
  return observers;
}

// What Node's net asks of a TCP handle between connect() and its completion.
class RecordingHandle {
  constructor() {
    this.req = null;
    this.reading = false;
  }

  connect(req) {
    this.req = req;
    return 0;
  }

  connect6(req) {
    this.req = req;
    return 0;
  }

  readStart() {
    return 0;
  }

  readStop() {
    return 0;
  }

  close(cb) {
    if (typeof cb === 'function') process.nextTick(cb);
  }

  ref() {}

  unref() {}
}

// Starts the measurement of a connect to `address`:`port` (an IP and a number); returns
// what connectDone() and connectDropped() take, or null when nobody observes 'net'.
function connectStarted(address, port) {
  if (netObservers.size === 0) return null;
  const handle = new RecordingHandle();
  const socket = new nodeNet.Socket({ handle, manualStart: true });
  // The stand-in has nothing to report to anyone.
  socket.on('error', () => {});
  // A lookup that answers at once makes Node start the measurement now, not a tick later
  // as it would for an IP literal.
  const family = nodeNet.isIP(address);
  socket.connect({ port, host: 'rsnet', family, lookup: (host, options, cb) => cb(null, address, family) });
  return { handle, socket };
}

// The connect succeeded: Node completes the measurement and enqueues the entry.
function connectDone(measure) {
  const { handle, socket } = measure;
  if (handle.req !== null && !socket.destroyed) {
    handle.req.oncomplete(0, handle, handle.req, true, true);
  }
  socket.destroy();
}

// The connect failed or was abandoned: no entry, as in Node.
function connectDropped(measure) {
  measure.socket.destroy();
}

module.exports = { connectStarted, connectDone, connectDropped };
