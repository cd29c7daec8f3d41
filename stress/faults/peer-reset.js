'use strict';

// A peer that resets the connection (RST, via Node's resetAndDestroy()) mid-stream.
//   client-writing: our client streams to a Node server that resets after 1 MiB.
//   server-writing: our server streams to a Node client that resets after 1 MiB.
//   reading: our client reads what a Node server streams, and the server resets.
//   impl-resets: our server resets a Node client that is streaming to it.
// Every write has a callback; the report says how many were called and with what.

const { opts, net, nodeNet, observed, shape, bound } = require('./common');

bound(10000);
const chunk = Buffer.alloc(64 * 1024, 0x61);
Object.assign(observed, { errors: [], closed: false, hadError: null, issued: 0, called: 0, cbErrors: [] });

function watch(socket) {
  socket.on('error', (err) => observed.errors.push(shape(err)));
  socket.on('close', (hadError) => {
    observed.closed = true;
    observed.hadError = hadError;
  });
}

// Writes until it fails or 5 s pass, a callback on every write.
function stream(socket) {
  const end = Date.now() + 5000;
  const pump = () => {
    while (!socket.destroyed && Date.now() < end) {
      observed.issued++;
      const ok = socket.write(chunk, (err) => {
        observed.called++;
        const s = shape(err);
        if (s && !observed.cbErrors.includes(s)) observed.cbErrors.push(s);
      });
      if (!ok) return;
    }
  };
  socket.on('drain', pump);
  pump();
}

// A Node socket that resets once it has read 1 MiB.
function resetAfter(socket) {
  let got = 0;
  socket.on('error', () => {});
  socket.on('data', (d) => {
    got += d.length;
    if (got >= 1 << 20 && !socket.destroyed) socket.resetAndDestroy();
  });
}

function done(server) {
  setTimeout(() => server.close(), 100);
}

switch (opts.variant) {
  case 'client-writing': {
    const server = nodeNet.createServer((s) => {
      resetAfter(s);
      s.on('close', () => done(server));
    });
    server.listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1', () => stream(socket));
      watch(socket);
    });
    break;
  }
  case 'server-writing': {
    const server = net.createServer((s) => {
      watch(s);
      stream(s);
      s.on('close', () => done(server));
    });
    server.listen(0, '127.0.0.1', () => resetAfter(nodeNet.connect(server.address().port, '127.0.0.1')));
    break;
  }
  case 'reading': {
    const server = nodeNet.createServer((s) => {
      s.on('error', () => {});
      s.write(Buffer.alloc(1 << 20, 0x62), () => setTimeout(() => s.resetAndDestroy(), 20));
    });
    server.listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1');
      watch(socket);
      socket.on('data', (d) => {
        observed.read = (observed.read || 0) + d.length;
      });
      socket.on('close', () => done(server));
    });
    break;
  }
  case 'impl-resets': {
    const server = net.createServer((s) => {
      let got = 0;
      s.on('error', (err) => observed.errors.push(shape(err)));
      s.on('close', (hadError) => {
        observed.closed = true;
        observed.hadError = hadError;
        done(server);
      });
      s.on('data', (d) => {
        got += d.length;
        if (got >= 1 << 20 && !s.destroyed) s.resetAndDestroy();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const peer = nodeNet.connect(server.address().port, '127.0.0.1', () => {
        const pump = () => {
          while (!peer.destroyed && peer.write(chunk));
        };
        peer.on('drain', pump);
        pump();
      });
      peer.on('error', (err) => {
        observed.peerError = shape(err);
      });
    });
    break;
  }
  default:
    throw new Error(`unknown variant ${opts.variant}`);
}
