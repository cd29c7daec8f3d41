'use strict';

// Whether the process exits when it should, and only then: each case leaves some
// sockets in a state and does nothing else. The orchestrator runs it on Node's net and
// on rsnet and compares: exited by itself (with which code), or still alive after a while.

const { opts, net, nodeNet, freePort } = require('./common');

const CASES = {
  // Everything closed after an exchange: exits.
  'all-closed'() {
    const server = net.createServer((s) => s.end('bye'));
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1');
      c.on('data', () => {});
      c.on('close', () => server.close());
    });
  },
  // A listening server keeps the process alive...
  listening() {
    net.createServer().listen(0, '127.0.0.1');
  },
  // ...unless unref'd.
  'server-unref'() {
    net.createServer().listen(0, '127.0.0.1').unref();
  },
  // Connected sockets that are reading keep it alive, even with the server unref'd.
  'connected-reading'() {
    const server = net.createServer((s) => s.on('data', () => {}));
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      net.connect(server.address().port, '127.0.0.1').on('data', () => {});
    });
  },
  // Unref'd connected sockets do not.
  'sockets-unref'() {
    const server = net.createServer((s) => {
      s.on('data', () => {});
      s.unref();
    });
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      const c = net.connect(server.address().port, '127.0.0.1');
      c.on('data', () => {});
      c.unref();
    });
  },
  // Paused and idle on both ends: nothing in flight, so nothing keeps it alive.
  'paused-idle'() {
    const server = net.createServer({ pauseOnConnect: true }, () => {});
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      const c = net.connect(server.address().port, '127.0.0.1');
      c.pause();
    });
  },
  // A write stuck in flight (the peer never reads) keeps it alive, even unref'd.
  'pending-write-unref'() {
    const server = nodeNet.createServer({ pauseOnConnect: true }, (s) => s.unref());
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        c.write(Buffer.alloc(64 * 1024 * 1024));
        c.unref();
      });
      c.pause();
    });
  },
  // A socket timeout does not keep it alive.
  'timeout-idle'() {
    const server = net.createServer({ pauseOnConnect: true }, () => {});
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      const c = net.connect(server.address().port, '127.0.0.1');
      c.pause();
      c.setTimeout(200, () => {});
    });
  },
  // A refused connect, handled: exits.
  async 'connect-refused'() {
    const port = await freePort();
    net.connect(port, '127.0.0.1').on('error', () => {});
  },
  // close() with a connection open; the client is destroyed later: exits after that.
  'server-close-later'() {
    const server = net.createServer((s) => s.on('data', () => {}));
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        server.close();
        setTimeout(() => c.destroy(), 50);
      });
    });
  },
  // A connect() that throws on a bad argument leaves nothing behind that keeps the process.
  'connect-throws'() {
    for (const options of [{ port: -1 }, { port: 1, localAddress: 'not an address' }, { path: 42 }]) {
      try {
        net.connect(options);
      } catch {
        // Expected: ERR_SOCKET_BAD_PORT, ERR_INVALID_IP_ADDRESS, ERR_INVALID_ARG_TYPE.
      }
    }
  },
  // The server closed from its 'connection' listener while more connections were coming:
  // they are reset, and nothing keeps the process.
  'close-in-connection'() {
    let first = true;
    const server = net.createServer((s) => {
      if (first) server.close();
      first = false;
      s.end();
    });
    server.listen(0, '127.0.0.1', () => {
      for (let i = 0; i < 5; i++) net.connect(server.address().port, '127.0.0.1').on('error', () => {}).resume();
    });
  },
  // Making the accepted socket throws (Node's stream rejects the server's highWaterMark
  // there, uncaught, on Node's net too); once the client is gone nothing keeps the process.
  'accept-throws'() {
    process.on('uncaughtException', () => {});
    const server = net.createServer({ highWaterMark: NaN }, () => {});
    server.listen(0, '127.0.0.1', () => {
      const c = nodeNet.connect(server.address().port, '127.0.0.1');
      c.on('error', () => {});
      c.on('connect', () => setTimeout(() => {
        c.destroy();
        server.close();
      }, 100));
    });
  },
  // close() while listen() is still looking up its host name: nothing is left listening.
  'close-during-lookup'() {
    const server = net.createServer();
    server.listen(0, 'localhost');
    server.close(() => {});
  },
  // Half-open: the client ended, the server (allowHalfOpen) never ends: the client
  // still waits for the server's end, so the process stays.
  'half-open'() {
    const server = net.createServer({ allowHalfOpen: true }, (s) => s.resume());
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      const c = net.connect(server.address().port, '127.0.0.1', () => c.end());
      c.resume();
    });
  },
};

CASES[opts.case]();
