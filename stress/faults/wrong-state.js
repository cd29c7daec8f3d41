'use strict';

// Calls in the wrong state, each on a fresh pair of sockets, with what the caller sees
// (return value or throw, callback arguments, events) written down; the orchestrator
// compares the record with Node's net running the same script.

const { net, nodeNet, observed, shape, bound } = require('./common');

bound(15000);

function record(log, target, names) {
  for (const name of names) {
    target.on(name, (arg) => log.push(name === 'error' ? `error ${shape(arg)}` : name));
  }
}

function call(log, label, fn) {
  try {
    const r = fn();
    log.push(`${label} -> ${r === undefined ? 'undefined' : typeof r === 'object' && r !== null ? r.constructor.name : r}`);
  } catch (err) {
    log.push(`${label} threw ${shape(err)}`);
  }
}

const cb = (log, label) => (err) => log.push(`${label} cb ${err ? shape(err) : err}`);

// A connected client (ours) to a Node echo server; `then(socket, log, done)` acts on it.
function withClient(then) {
  return new Promise((resolve) => {
    const log = [];
    const server = nodeNet.createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    server.listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1');
      record(log, socket, ['connect', 'end', 'finish', 'error', 'close']);
      const done = () => setTimeout(() => {
        socket.destroy();
        server.close();
        resolve(log.join(', '));
      }, 100);
      socket.once('connect', () => then(socket, log, done, server.address().port));
    });
  });
}

// A fresh server (ours) with its events recorded; `then(server, log, done)` acts on it and
// calls done() once the record is complete.
function withServer(then) {
  return new Promise((resolve) => {
    const log = [];
    const server = net.createServer();
    record(log, server, ['listening', 'error', 'close']);
    then(server, log, () => resolve(log.join(', ')));
  });
}

const CASES = {
  'connect again while connected': () => withClient((s, log, done, port) => {
    call(log, 'connect', () => s.connect(port, '127.0.0.1'));
    done();
  }),
  'write after end': () => withClient((s, log, done) => {
    s.end();
    call(log, 'write', () => s.write('x', cb(log, 'write')));
    done();
  }),
  'write after destroy': () => withClient((s, log, done) => {
    s.destroy();
    call(log, 'write', () => s.write('x', cb(log, 'write')));
    done();
  }),
  'end after destroy': () => withClient((s, log, done) => {
    s.destroy();
    call(log, 'end', () => s.end('x', cb(log, 'end')));
    done();
  }),
  'destroy twice, reset after destroy': () => withClient((s, log, done) => {
    call(log, 'destroy', () => s.destroy());
    call(log, 'destroy', () => s.destroy());
    call(log, 'resetAndDestroy', () => s.resetAndDestroy());
    done();
  }),
  'setNoDelay, setKeepAlive, address after destroy': () => withClient((s, log, done) => {
    s.destroy();
    call(log, 'setNoDelay', () => s.setNoDelay(true));
    call(log, 'setKeepAlive', () => s.setKeepAlive(true, 1000));
    call(log, 'address', () => JSON.stringify(s.address()));
    call(log, 'remotePort', () => typeof s.remotePort);
    done();
  }),
  'write before connect, then destroy before connect': () => new Promise((resolve) => {
    const log = [];
    const s = new net.Socket();
    record(log, s, ['connect', 'error', 'close']);
    call(log, 'write', () => s.write('x', cb(log, 'write')));
    call(log, 'end', () => s.end(cb(log, 'end')));
    call(log, 'destroy', () => s.destroy());
    setTimeout(() => resolve(log.join(', ')), 100);
  }),
  // (listen() twice in the same tick differs by design: rsnet binds at once and throws
  // ERR_SERVER_ALREADY_LISTEN; Node's net has not bound yet and does not.)
  'server: listen twice, close twice': () => withServer((server, log, done) => {
    call(log, 'listen', () => server.listen(0, '127.0.0.1'));
    server.once('listening', () => {
      call(log, 'listen', () => server.listen(0, '127.0.0.1'));
      call(log, 'close', () => server.close(cb(log, 'close 1')));
      call(log, 'close', () => server.close(cb(log, 'close 2')));
      setTimeout(done, 100);
    });
  }),
  'server: close() while listen() is looking up its host': () => withServer((server, log, done) => {
    call(log, 'listen', () => server.listen(0, 'localhost'));
    call(log, 'close', () => server.close(cb(log, 'close')));
    setTimeout(() => {
      log.push(`listening ${server.listening}`);
      if (server.listening) server.close();
      done();
    }, 200);
  }),
  'server: close before listen, address after close': () => withServer((server, log, done) => {
    call(log, 'close', () => server.close(cb(log, 'close')));
    call(log, 'address', () => JSON.stringify(server.address()));
    call(log, 'getConnections', () => server.getConnections((err, n) => log.push(`getConnections cb ${shape(err)} ${n}`)));
    setTimeout(done, 100);
  }),
};

async function main() {
  observed.cases = {};
  for (const [name, run] of Object.entries(CASES)) observed.cases[name] = await run();
}

main();
