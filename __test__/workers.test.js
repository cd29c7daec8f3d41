'use strict';

// rsnet in worker_threads (issue #4): each JavaScript environment has its own event path
// on rsnet's one I/O thread, so several workers must be able to serve and connect at once,
// a worker terminated with busy sockets must take only its own connections down, and
// reusePort must spread one port's connections over the workers listening on it.
// The fixtures load the implementation RSNET_IMPL names (scripts/impl.js), and the scenarios
// that Node 20's net supports also run on net, so a scenario that cannot work fails on net too.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { Worker } = require('node:worker_threads');
const crypto = require('node:crypto');
const path = require('node:path');

const { IMPLEMENTATIONS, implEnv, rsnet, runNode, tmpDir, within } = require('./helpers');
const line = require('../lib/node-line');

const FIXTURES = path.join(__dirname, 'fixtures');

// The next message of `worker` of the given type; a worker error or exit rejects.
function nextMessage(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type === 'error') finish(reject, new Error(`worker: ${message.message}`));
      else if (message.type === type) finish(resolve, message);
    };
    const onError = (err) => finish(reject, err);
    const onExit = (code) => finish(reject, new Error(`worker exited (${code}) before '${type}'`));
    const finish = (settle, value) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      settle(value);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

// Sends `size` random bytes over a fresh connection of `m` to `target` and says whether
// the same bytes came back.
async function echoCheck(m, target, size) {
  const payload = crypto.randomBytes(size);
  const socket = m.connect(target);
  const hash = crypto.createHash('sha256');
  let received = 0;
  socket.on('data', (chunk) => {
    received += chunk.length;
    hash.update(chunk);
  });
  socket.end(payload);
  await once(socket, 'close');
  return { received, same: hash.digest('hex') === crypto.createHash('sha256').update(payload).digest('hex') };
}

test('several workers at once, each with its own servers and clients, exchange data with each other and ' +
  'with the main thread, then exit on their own', { timeout: 30000 }, async () => {
  const WORKERS = 4;
  const SIZE = 256 * 1024;
  const dir = tmpDir('wk');
  // The main thread's own rsnet echo server, which every worker also connects to.
  const main = rsnet.createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  const workers = [];
  try {
    main.listen(0, '127.0.0.1');
    await once(main, 'listening');
    for (let i = 0; i < WORKERS; i++) {
      workers.push(new Worker(path.join(FIXTURES, 'worker-echo.js'), {
        workerData: { mainPort: main.address().port, path: path.join(dir, `w${i}.sock`), size: SIZE },
      }));
    }
    const exits = workers.map((worker) => once(worker, 'exit'));
    const results = workers.map((worker) => nextMessage(worker, 'results'));
    const infos = await within(10000, 'workers listening', Promise.all(workers.map((w) => nextMessage(w, 'listening'))));
    assert.equal(new Set(infos.map((info) => info.threadId)).size, WORKERS);

    // Meanwhile the main thread talks to every worker's servers, and one worker to another's.
    const fromMain = await within(15000, 'main thread exchanges', Promise.all(infos.flatMap((info, i) => [
      echoCheck(rsnet, { port: info.port, host: '127.0.0.1' }, SIZE),
      echoCheck(rsnet, { path: info.path }, SIZE),
      echoCheck(rsnet, { port: infos[(i + 1) % WORKERS].port, host: '127.0.0.1' }, SIZE),
    ])));
    for (const result of fromMain) assert.deepEqual(result, { received: SIZE, same: true });

    const fromWorkers = await within(15000, 'worker exchanges', Promise.all(results));
    for (const { results: list } of fromWorkers) {
      assert.equal(list.length, 5);
      for (const result of list) assert.deepEqual(result, { received: SIZE, same: true });
    }

    // Told to close their servers, the workers have nothing left open and must exit (code 0).
    for (const worker of workers) worker.postMessage('close');
    const codes = await within(10000, 'workers exiting on their own', Promise.all(exits));
    assert.deepEqual(codes.map(([code]) => code), new Array(WORKERS).fill(0));
  } finally {
    for (const worker of workers) await worker.terminate();
    main.close();
  }
});

// Runs fixtures/worker-terminate.js in a child process on `side` ('node' or 'rsnet').
function runTerminateFixture(side) {
  return runNode([path.join(FIXTURES, 'worker-terminate.js'), '3'], { env: implEnv(side), timeout: 45000 });
}

// What must hold of one run's summary, and nothing that depends on timing (error codes).
function outline(summary) {
  return {
    rounds: summary.rounds.map((round) => round.map(({ flavour, busy, closedInTime, peers }) => ({
      flavour, busy, closedInTime,
      peers: peers.map(({ label, gotData, closed }) => ({ label, gotData, closed })),
    }))),
    early: summary.early.length,
    fresh: summary.fresh,
  };
}

test('worker.terminate() with busy sockets: no crash, the main thread\'s peers see the connections close',
  { timeout: 50000 }, async (t) => {
    const runs = {};
    for (const [name] of IMPLEMENTATIONS) {
      const run = await runTerminateFixture(name);
      assert.doesNotMatch(run.stderr, /Abort|FATAL|panick|Segmentation|core dumped|worker error/i,
        `${name}: stderr: ${run.stderr}`);
      assert.equal(run.signal, null, `${name}: killed by ${run.signal}; stdout: ${run.stdout}`);
      assert.equal(run.code, 0, `${name}: exit code ${run.code}; stdout: ${run.stdout}; stderr: ${run.stderr}`);
      const summary = JSON.parse(run.stdout.trim().split('\n').pop());
      runs[name] = outline(summary);
      const errors = summary.rounds.flat().flatMap((r) => r.peers.map((p) => p.error));
      t.diagnostic(`${name}: peer errors after terminate: ${JSON.stringify(errors)}`);
    }
    const expectedPeers = (flavour) => [
      { label: `client of the worker's server (${flavour})`, gotData: true, closed: true },
      { label: `client of the worker's server (${flavour})`, gotData: true, closed: true },
      { label: 'server side of a worker client', gotData: true, closed: true },
      { label: 'server side of a worker client', gotData: true, closed: true },
    ];
    const round = ['tcp', 'unix', 'churn'].map((flavour) => ({
      flavour, busy: true, closedInTime: true, peers: expectedPeers(flavour),
    }));
    const expected = { rounds: [round, round, round], early: 8, fresh: { reply: true, exitCode: 0 } };
    assert.deepEqual(runs.node, expected);
    assert.deepEqual(runs.rsnet, expected);
  });

test('reusePort: 4 workers share one port; every one of 400 connections is answered, by more than one worker',
  // Node 20's net has no reusePort (server.test.js checks rsnet ignores it there too).
  { timeout: 30000, skip: !line.reusePort && 'this line has no reusePort' }, async (t) => {
    const WORKERS = 4;
    const CONNECTIONS = 400;
    const PARALLEL = 50;
    const workers = [];
    const spawnWorker = (port) => {
      const worker = new Worker(path.join(FIXTURES, 'worker-reuseport.js'), {
        workerData: { port },
      });
      workers.push(worker);
      return worker;
    };
    try {
      // The first worker picks the port; the others join it.
      const first = spawnWorker(0);
      const { port } = await within(10000, 'first worker listening', nextMessage(first, 'listening'));
      const others = [];
      for (let i = 1; i < WORKERS; i++) others.push(spawnWorker(port));
      const infos = await within(10000, 'workers listening', Promise.all(others.map((w) => nextMessage(w, 'listening'))));
      for (const info of infos) assert.equal(info.port, port);
      const ids = new Set(workers.map((w) => w.threadId));
      const exits = workers.map((worker) => once(worker, 'exit'));

      // Several hundred connections from the main thread (rsnet clients), PARALLEL at a time.
      const answers = [];
      const failures = [];
      let started = 0;
      const lane = async () => {
        while (started < CONNECTIONS) {
          started++;
          const socket = rsnet.connect(port, '127.0.0.1');
          socket.setEncoding('utf8');
          let reply = '';
          socket.on('data', (chunk) => (reply += chunk));
          socket.on('error', (err) => failures.push(err.code));
          await once(socket, 'close');
          answers.push(reply);
        }
      };
      await within(20000, 'connections', Promise.all(Array.from({ length: PARALLEL }, lane)));
      assert.deepEqual(failures, []);
      assert.equal(answers.length, CONNECTIONS);
      const perWorker = new Map();
      for (const answer of answers) {
        assert.match(answer, /^\d+\n$/);
        const id = Number(answer);
        assert.ok(ids.has(id), `answered by thread ${id}, one of ${[...ids]}`);
        perWorker.set(id, (perWorker.get(id) || 0) + 1);
      }
      t.diagnostic(`connections per worker thread: ${JSON.stringify(Object.fromEntries(perWorker))}`);
      assert.ok(perWorker.size > 1, `more than one worker served: ${JSON.stringify(Object.fromEntries(perWorker))}`);

      // Each worker counted what it served; together, every connection.
      const closed = workers.map((worker) => nextMessage(worker, 'closed'));
      for (const worker of workers) worker.postMessage('close');
      const served = await within(10000, 'workers closing', Promise.all(closed));
      assert.equal(served.reduce((sum, s) => sum + s.served, 0), CONNECTIONS);
      for (const s of served) assert.equal(s.served, perWorker.get(s.threadId) || 0);
      const codes = await within(10000, 'workers exiting on their own', Promise.all(exits));
      assert.deepEqual(codes.map(([code]) => code), new Array(WORKERS).fill(0));
    } finally {
      for (const worker of workers) await worker.terminate();
    }
  });
