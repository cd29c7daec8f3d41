'use strict';

// Watching emitters: event logs to compare between two runs, the next event as a promise,
// and 'close' as a promise that never rejects.

const { errorShape } = require('./error-shape');

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

const SOCKET_EVENTS = ['lookup', 'connect', 'ready', 'data', 'end', 'finish', 'drain', 'timeout', 'error', 'close'];

// A socket's events in order, with the data written out: consecutive 'data' events are
// joined into one 'data:<text>' entry (how a byte stream is cut into chunks is not
// behaviour), errors are shapes ({ error }), 'close' is 'close:<hadError>'. With
// data: false no 'data' listener is added, so the socket is not made to flow. `port`
// (when given) reads 'PORT' in the errors.
function recordEvents(socket, { data = true, port } = {}) {
  const masker = port === undefined ? undefined : {
    mask: (v) => (v === port ? 'PORT' : typeof v === 'string' ? v.split(`:${port}`).join(':PORT') : v),
  };
  const log = [];
  for (const name of SOCKET_EVENTS) {
    if (name === 'data' && !data) continue;
    socket.on(name, (arg) => {
      if (name === 'data') {
        const last = log[log.length - 1];
        if (typeof last === 'string' && last.startsWith('data:')) log[log.length - 1] = last + arg.toString('latin1');
        else log.push(`data:${arg.toString('latin1')}`);
      } else if (name === 'close') {
        log.push(`close:${arg}`);
      } else if (name === 'error') {
        log.push({ error: errorShape(arg, masker) });
      } else {
        log.push(name);
      }
    });
  }
  return log;
}

// The event names of a record() or recordEvents() log: errors as 'error', events with
// arguments by name.
function names(events) {
  return events.map((e) => (typeof e === 'string' ? e : e.error ? 'error' : e[0]));
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

// 'close' as a promise that never rejects (once() would reject on 'error').
function closed(emitter) {
  return new Promise((resolve) => emitter.once('close', resolve));
}

module.exports = { SOCKET_EVENTS, closed, names, next, record, recordEvents };
