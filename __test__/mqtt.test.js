'use strict';

// Real packages on an rsnet server: an aedes MQTT broker with mqtt.js clients publishing
// large messages. aedes reads its sockets once per 'readable' (and once per handled
// packet), so it relies on every chunk the socket receives getting its own 'readable', as
// each libuv read does on Node's net. On Node 26, where read() returns one buffered chunk,
// a socket that coalesced two chunks into one 'readable' stalled until the client's
// keep-alive fired. The same load runs on Node's net and on rsnet; both must deliver
// every message well before the keep-alive could come into play.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const mqtt = require('mqtt');

const { IMPLEMENTATIONS, within } = require('./helpers');

const CLIENTS = 4;
const PER_CLIENT = 40;
// Larger than a 64 KiB read, so that one packet spans several chunks.
const PAYLOAD = Buffer.alloc(100000, 'm');
const KEEPALIVE = 60;

async function publishLoad(net) {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const clients = [];
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(mqtt.connect({
        host: '127.0.0.1', port, clientId: `c${i}`, keepalive: KEEPALIVE, reconnectPeriod: 0,
      }));
    }
    await Promise.all(clients.map((c) => new Promise((resolve, reject) => {
      c.once('connect', resolve);
      c.once('error', reject);
    })));
    await Promise.all(clients.map((c) => c.subscribeAsync('load/#', { qos: 1 })));
    const expected = CLIENTS * PER_CLIENT * CLIENTS;
    let received = 0;
    let bytes = 0;
    const delivered = new Promise((resolve) => {
      for (const c of clients) {
        c.on('message', (topic, payload) => {
          bytes += payload.length;
          if (++received === expected) resolve();
        });
      }
    });
    for (let i = 0; i < CLIENTS; i++) {
      for (let k = 0; k < PER_CLIENT; k++) clients[i].publish(`load/${i}`, PAYLOAD, { qos: 1 });
    }
    await within(15000, `${received} of ${expected} messages delivered`, delivered);
    return { received, bytes };
  } finally {
    for (const c of clients) c.end(true);
    await new Promise((resolve) => broker.close(resolve));
    await new Promise((resolve) => server.close(() => resolve()));
  }
}

test('an aedes broker delivers every message of a publish load, as on net', { timeout: 60000 }, async () => {
  const results = {};
  for (const [name, net] of IMPLEMENTATIONS) results[name] = await publishLoad(net);
  const total = CLIENTS * PER_CLIENT * CLIENTS;
  assert.deepEqual(results.node, { received: total, bytes: total * PAYLOAD.length });
  assert.deepEqual(results.rsnet, results.node);
});
