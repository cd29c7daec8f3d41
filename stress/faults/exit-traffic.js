'use strict';

// The process ends while heavy traffic is in flight on many sockets (a server echoing to
// eight clients that write as fast as they can), `delayMs` after it started:
//   exit: process.exit(7) from a timer; exit-in-data: process.exit(7) from a 'data'
//   listener; throw: an uncaught exception (exit code 1); sigterm: killed by SIGTERM.
// The orchestrator checks the exit code or signal, and that nothing aborted on the way.

const { opts, net } = require('./common');

const server = net.createServer((s) => {
  s.on('error', () => {});
  s.pipe(s);
});
server.listen(0, '127.0.0.1', () => {
  const buf = Buffer.alloc(256 * 1024, 0x66);
  let received = 0;
  for (let i = 0; i < 8; i++) {
    const c = net.connect(server.address().port, '127.0.0.1');
    const pump = () => {
      while (c.write(buf));
    };
    c.on('connect', pump);
    c.on('drain', pump);
    c.on('error', () => {});
    c.on('data', (d) => {
      received += d.length;
      if (opts.variant === 'exit-in-data' && received >= opts.bytes) process.exit(7);
    });
  }
  setTimeout(() => {
    if (opts.variant === 'exit') process.exit(7);
    if (opts.variant === 'throw') throw new Error('stress: deliberate uncaught exception');
    if (opts.variant === 'sigterm') process.kill(process.pid, 'SIGTERM');
  }, opts.delayMs);
});
