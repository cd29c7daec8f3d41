'use strict';
// HTTP server: node's http module on top of the implementation under test.
// Every request gets 200 with a fixed 12-byte text/plain body and a
// Content-Length (keep-alive, no chunking).
//   net   -> http.createServer(handler).listen()
//   rsnet -> the same http.Server, not listening, fed the sockets an rsnet
//            server accepts (its 'connection' event), with the options
//            http.Server gives its own net.Server: allowHalfOpen, noDelay.
const http = require('http');
const { loadImplOrExit, announce } = require('../lib/util');
const net = loadImplOrExit();

const BODY = Buffer.from('hello world\n');
const HEADERS = { 'Content-Type': 'text/plain', 'Content-Length': BODY.length };

const httpServer = http.createServer((req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});

if (net === require('net')) {
  announce(httpServer);
} else {
  announce(net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    httpServer.emit('connection', socket);
  }));
}
