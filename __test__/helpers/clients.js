'use strict';

// Client sockets in side-by-side scenarios: the events to record, peers that answer, and
// the state a user can read off a socket.

// Every event a client socket may emit, but 'drain' (its count depends on timing).
const CLIENT_EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout',
  'connect', 'ready', 'data', 'end', 'finish', 'timeout', 'error', 'close'];

// A peer that sends `reply` (if any) and ends as soon as a client connects, and collects
// what the client sends.
function replyPeer(reply, received = []) {
  return (socket) => {
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => {});
    if (reply !== undefined) socket.end(reply);
  };
}

// The state a user can read off a socket; the local port is labelled once known.
function socketState(socket, run) {
  if (typeof socket.localPort === 'number') run.label(socket.localPort, 'LOCAL');
  return run.mask({
    readyState: socket.readyState,
    connecting: socket.connecting,
    pending: socket.pending,
    destroyed: socket.destroyed,
    readable: socket.readable,
    writable: socket.writable,
    address: socket.address(),
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    localFamily: socket.localFamily,
  });
}

module.exports = { CLIENT_EVENTS, replyPeer, socketState };
