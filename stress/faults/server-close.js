'use strict';

// A server closed while its connections are mid-transfer: close() stops new connections
// at once (they are refused) but the open ones go on; then the server destroys them
// mid-transfer; the clients see an end or a reset, the server's 'close' comes after the
// last connection, its callback gets no error, and the process exits by itself.

const { opts, net, nodeNet, observed, shape, bound } = require('./common');

bound(15000);
const K = opts.connections || 8;
const sockets = [];
const clients = [];
Object.assign(observed, { clientErrors: [], serverSocketErrors: [], clientsClosed: 0, bytesAfterClose: 0 });
let received = 0;

const server = net.createServer((socket) => {
  sockets.push(socket);
  // Every client is connected and transferring before the server closes: on a loaded
  // machine a fixed delay left some still connecting, to be refused instead.
  if (sockets.length === K) setTimeout(closeMidTransfer, 150);
  socket.on('error', (err) => {
    const s = shape(err);
    if (!observed.serverSocketErrors.includes(s)) observed.serverSocketErrors.push(s);
  });
  socket.pipe(socket);
});
server.on('close', () => {
  observed.closeEvent = true;
  observed.clientsClosedAtServerClose = observed.clientsClosed;
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const chunk = Buffer.alloc(32 * 1024, 0x64);
  for (let i = 0; i < K; i++) {
    const c = nodeNet.connect(port, '127.0.0.1');
    clients.push(c);
    const pump = () => {
      while (!c.destroyed && c.writable && c.write(chunk));
    };
    c.on('connect', pump);
    c.on('drain', pump);
    c.on('data', (d) => {
      received += d.length;
    });
    c.on('error', (err) => {
      const s = shape(err);
      if (!observed.clientErrors.includes(s)) observed.clientErrors.push(s);
    });
    c.on('close', () => {
      observed.clientsClosed++;
    });
  }
});

function closeMidTransfer() {
  const { port } = server.address();
  observed.connectionsAtClose = sockets.length;
  server.close((err) => {
    observed.closeCallback = err === undefined ? 'undefined' : shape(err);
  });
  observed.listeningAfterClose = server.listening;
  const atClose = received;
  const late = nodeNet.connect(port, '127.0.0.1');
  late.on('error', (err) => {
    observed.newConnection = shape(err);
  });
  late.on('connect', () => {
    observed.newConnection = 'connected';
    late.destroy();
  });
  setTimeout(() => {
    observed.bytesAfterClose = received - atClose;
    for (const s of sockets) s.destroy();
    // Clients that are still writing get their 'close' after the reset or end.
    setTimeout(() => {
      for (const c of clients) c.destroy();
    }, 500);
  }, 150);
}
