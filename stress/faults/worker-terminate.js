'use strict';

// Worker threads that use rsnet, ended mid-traffic: terminate() from the main thread,
// process.exit() inside the worker, or an uncaught exception in it. Each worker runs its
// own echo traffic and floods a server on the main thread, which uses rsnet meanwhile.
// Afterwards the main thread's server still echoes, every connection the workers had to
// it is gone, the descriptor count is back to its baseline, and the process exits.
//
// argv[2]: { impl, count, parallel, seed }

const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { fdCount, fdList, prng, waitFor } = require('../lib/util');

function workerMain() {
  // A worker inherits RSNET_IMPL with the environment.
  const net = workerData.impl === 'node' ? require('node:net') : require('../lib/util').loadImpl();
  const buf = Buffer.alloc(128 * 1024, 0x67);
  const flood = (c) => {
    const pump = () => {
      while (c.write(buf));
    };
    c.on('connect', pump);
    c.on('drain', pump);
    c.on('error', () => {});
    c.on('data', () => {});
  };
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1', () => {
    for (let i = 0; i < 4; i++) flood(net.connect(server.address().port, '127.0.0.1'));
    for (let i = 0; i < 2; i++) flood(net.connect(workerData.mainPort, '127.0.0.1'));
    // Half-made connections too, as the worker goes.
    for (let i = 0; i < 4; i++) net.connect(workerData.mainPort, '127.0.0.1').on('error', () => {});
    parentPort.postMessage('go');
    setTimeout(() => {
      if (workerData.how === 'exit') process.exit(0);
      if (workerData.how === 'throw') throw new Error('stress: deliberate exception in a worker');
    }, workerData.after);
  });
}

async function main() {
  const { opts, net, observed } = require('./common');
  const rng = prng(opts.seed);
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const mainPort = server.address().port;
  Object.assign(observed, { ended: 0, workerErrors: 0, unexpectedErrors: [], exitCodes: {} });
  const runWorker = (how) => new Promise((resolve) => {
    const w = new Worker(__filename, {
      workerData: { impl: opts.impl, mainPort, how, after: rng.int(0, 40) },
    });
    w.on('error', (err) => {
      if (how === 'throw' && /deliberate/.test(err.message)) observed.workerErrors++;
      else observed.unexpectedErrors.push(String(err && err.message));
    });
    w.on('message', () => {
      if (how === 'terminate') setTimeout(() => w.terminate(), rng.int(0, 40));
    });
    w.on('exit', (code) => {
      observed.ended++;
      observed.exitCodes[`${how} ${code}`] = (observed.exitCodes[`${how} ${code}`] || 0) + 1;
      resolve();
    });
  });
  const hows = ['terminate', 'terminate', 'exit', 'throw'];
  // The first worker warms up what stays for the process's life (the I/O thread).
  await runWorker('terminate');
  await waitFor(() => server._connections === 0, 5000);
  const fdsBefore = fdCount();
  const listBefore = fdList();
  let started = 1;
  const lane = async () => {
    while (started < opts.count) {
      const how = hows[started++ % hows.length];
      await runWorker(how);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, lane));
  observed.drained = await waitFor(() => server._connections === 0, 10000);
  observed.connectionsLeft = server._connections;
  await waitFor(() => fdCount() <= fdsBefore, 5000);
  observed.fdsBefore = fdsBefore;
  observed.fdsAfter = fdCount();
  if (observed.fdsAfter > fdsBefore) observed.extraFds = fdList().filter((l) => !listBefore.includes(l));
  // The main thread's server still works.
  observed.echo = await new Promise((resolve) => {
    const c = net.connect(mainPort, '127.0.0.1', () => c.end('still here'));
    let text = '';
    c.on('data', (d) => {
      text += d;
    });
    c.on('error', (err) => resolve(`error ${err.code}`));
    c.on('close', () => resolve(text));
  });
  server.close();
}

if (isMainThread) main();
else workerMain();
