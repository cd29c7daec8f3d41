'use strict';

// rsnet's TCP controls, beyond Node's net: `node examples/tcp-controls.js`.
// A client sends 4 MiB to an echo server and reads them back; it finds a dead peer within
// 10 s (TCP_USER_TIMEOUT and keep-alive probes) instead of the kernel's ~15 minutes, and
// prints its connection's TCP_INFO. The same calls work on a socket of Node's own net.

const net = require('node:net');
const rsnet = require('..');

const SIZE = 4 << 20;

const server = rsnet.createServer((socket) => socket.pipe(socket));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const client = rsnet.connect(port, '127.0.0.1', () => {
    rsnet.setTcpOptions(client, {
      userTimeout: 10000, // unacknowledged data for 10 s: ETIMEDOUT
      keepAlive: true, // an idle connection is probed after 5 s, every 2 s, 3 times
      keepAliveIdle: 5000,
      keepAliveInterval: 2000,
      keepAliveCount: 3,
      noDelay: true,
    });
    console.log('options', rsnet.getTcpOptions(client));
    client.end(Buffer.alloc(SIZE, 1));
  });

  let received = 0;
  client.on('data', (chunk) => {
    received += chunk.length;
  });
  client.on('end', () => {
    const info = rsnet.tcpInfo(client);
    console.log(`echoed ${received} bytes; rtt ${info.rtt} us (min ${info.minRtt} us), ` +
      `cwnd ${info.cwnd} segments, ${info.totalRetransmits} retransmissions, ` +
      `${info.bytesAcked} bytes acked, delivery rate ${Math.round(info.deliveryRate / 1e6)} MB/s`);

    // Node's own sockets work too: the descriptor is all the kernel needs.
    const nodeClient = net.connect(port, '127.0.0.1', () => {
      rsnet.setTcpOptions(nodeClient, { userTimeout: 10000, congestion: 'reno' });
      const { userTimeout, congestion } = rsnet.getTcpOptions(nodeClient);
      console.log(`net socket: userTimeout ${userTimeout} ms, congestion ${congestion}, ` +
        `state ${rsnet.tcpInfo(nodeClient).state}`);
      nodeClient.end();
    });
    nodeClient.on('close', () => server.close());
  });
});
