'use strict';

// destroy() (or resetAndDestroy()) called from inside each event listener of a socket,
// while data flows both ways. The socket must close, nothing may throw, and the events
// the socket emits after the destroy are compared with Node's net.

const { opts, net, nodeNet, observed, shape, bound } = require('./common');

bound(20000);
const HANDLERS = ['lookup', 'connect', 'ready', 'data', 'drain', 'end', 'finish', 'timeout', 'write-callback',
  'server-connection', 'server-data', 'server-end'];

function runCase(handler, how) {
  return new Promise((resolve) => {
    const seen = [];
    let after = false;
    let socket;
    const kill = (s) => {
      if (after) return;
      after = true;
      seen.push('*destroy*');
      if (how === 'reset') s.resetAndDestroy();
      else s.destroy();
    };
    const finish = () => {
      clearTimeout(timer);
      server.close();
      resolve(seen.join(' '));
    };
    const timer = setTimeout(() => {
      seen.push('(no close within 3 s)');
      if (socket) socket.destroy();
      finish();
    }, 3000);
    const serverSide = handler.startsWith('server-');
    const impl = serverSide ? net : nodeNet;
    const peerImpl = serverSide ? nodeNet : net;
    const server = impl.createServer((s) => {
      // Only the socket under test reports what it emits after the destroy: the peer's
      // own view (a reset, or not) depends on timing.
      for (const name of ['data', 'drain', 'end', 'finish', 'timeout', 'error', 'close']) {
        s.on(name, (arg) => {
          if (after && serverSide) seen.push(name === 'error' ? `error ${shape(arg)}` : name);
        });
      }
      if (handler === 'server-connection') kill(s);
      if (handler === 'server-data') s.once('data', () => kill(s));
      if (handler === 'server-end') s.on('end', () => kill(s));
      if (serverSide) s.on('close', () => setImmediate(finish));
      s.on('data', () => {});
      if (handler === 'end') s.end('bye');
      else if (!s.destroyed) s.write('hello');
    });
    server.listen(0, '127.0.0.1', () => {
      socket = peerImpl.connect({ port: server.address().port, host: handler === 'lookup' ? 'localhost' : '127.0.0.1',
        family: handler === 'lookup' ? 4 : undefined });
      const client = socket;
      for (const name of ['lookup', 'connect', 'ready', 'data', 'drain', 'end', 'finish', 'timeout', 'error', 'close']) {
        client.on(name, (arg) => {
          if (after && !serverSide) seen.push(name === 'error' ? `error ${shape(arg)}` : name);
        });
      }
      if (!serverSide) {
        if (['lookup', 'connect', 'ready', 'data', 'end', 'finish', 'timeout'].includes(handler)) {
          client.once(handler, () => kill(client));
        }
        client.on('close', () => setImmediate(finish));
      } else {
        client.on('error', () => {});
        client.on('close', () => {});
      }
      if (handler === 'timeout') client.setTimeout(20);
      client.on('connect', () => {
        if (handler === 'drain') {
          client.once('drain', () => kill(client));
          while (client.write(Buffer.alloc(1 << 20)));
        } else if (handler === 'write-callback') {
          client.write('x', () => kill(client));
        } else if (handler === 'finish') {
          client.end('x');
        } else if (serverSide) {
          client.write('ping');
          if (handler === 'server-end') client.end();
        }
      });
    });
  });
}

async function main() {
  observed.cases = {};
  for (const how of opts.how || ['destroy', 'reset']) {
    for (const handler of HANDLERS) {
      observed.cases[`${how} in ${handler}`] = await runCase(handler, how);
    }
  }
}

main();
