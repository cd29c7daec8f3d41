'use strict';

// Issue #7, the reliability suite at the sizes CI runs (`node stress/run.js --small` is
// the same thing from the command line; `npm run stress` is the full size). Each test
// runs one scenario in child processes with a time bound of its own, so that an abort,
// a crash or a hang of rsnet fails the test instead of the test runner; the failures
// say what went wrong. The seed is printed: RSNET_STRESS_SEED=<seed> repeats a run.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { SCENARIOS, FAULT_PARTS } = require('../stress/lib/scenarios');

const seed = process.env.RSNET_STRESS_SEED !== undefined ?
  Number(process.env.RSNET_STRESS_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;

const scenario = (name) => SCENARIOS.find(([n]) => n === name)[2];

async function check(t, name, extra) {
  t.diagnostic(`seed ${seed}`);
  const lines = [];
  const res = await scenario(name)('small', seed, (line) => lines.push(line), extra);
  for (const line of lines) t.diagnostic(line);
  assert.deepEqual(res.failures, [], `${name} (seed ${seed}) failed:\n${res.failures.join('\n')}`);
  return res;
}

test('stress 1: 500 connections held by one server, each echoing; 2,000 connect/close cycles leave fds and RSS flat',
  { timeout: 40000 }, async (t) => {
    const { figures } = await check(t, 'load');
    assert.equal(figures.connectionsHeld, 500);
  });

test('stress 2: no byte lost, sha256 over MiB of random writes with pause/resume/cork on both sides',
  { timeout: 30000 }, async (t) => {
    const { figures } = await check(t, 'integrity');
    assert.ok(figures.bytesChecked > 0);
  });

test('stress 3: memory bounded by high-water marks: paused and slow readers, fast writer to a slow peer',
  { timeout: 45000 }, async (t) => {
    await check(t, 'memory');
  });

for (const part of FAULT_PARTS) {
  test(`stress 4: faults survived, ${part} (each in a child process; compared with Node's net)`,
    { timeout: 30000 }, async (t) => {
      await check(t, 'faults', { only: [part] });
    });
}

test('stress 5: hostile input, 3,000 random calls: each works or fails with a Node-shaped error; no crash or hang',
  { timeout: 40000 }, async (t) => {
    const { figures } = await check(t, 'fuzz');
    assert.ok(figures.randomCalls >= 3000, `${figures.randomCalls} calls`);
  });

test('stress 6: after many connections and a full GC, fds are back to baseline and RSS is flat',
  { timeout: 40000 }, async (t) => {
    await check(t, 'gc');
  });
