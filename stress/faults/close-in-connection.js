'use strict';

// A server closed from inside its 'connection' listener while more clients are
// connecting at the same moment (some of them already accepted by the system). Every
// client must learn its fate (a reset, or an end) and close; the server must close; and
// the process must exit by itself.

const { opts, net, observed, shape, bound } = require('./common');

bound(opts.boundMs || 10000);
const N = opts.clients || 8;
Object.assign(observed, { connections: 0, clientsClosed: 0, clientErrors: [], serverClosed: false });

const server = net.createServer((s) => {
  observed.connections++;
  if (observed.connections === 1) server.close(() => {
    observed.serverClosed = true;
  });
  s.on('error', () => {});
  s.end();
});
server.listen(0, '127.0.0.1', () => {
  for (let i = 0; i < N; i++) {
    const c = net.connect(server.address().port, '127.0.0.1');
    c.on('error', (err) => {
      const s = shape(err);
      if (!observed.clientErrors.includes(s)) observed.clientErrors.push(s);
    });
    c.on('close', () => {
      observed.clientsClosed++;
    });
    c.resume();
  }
});
// Said while the process still runs, in case it never exits (the bound then ends it).
setTimeout(() => {
  observed.clientsClosedAfter2s = observed.clientsClosed;
}, 2000).unref();
