'use strict';

// Servers in cluster workers (Node's cluster module): the primary owns the listening socket
// and the workers share it, by round-robin (the primary accepts and hands connections over)
// or by the shared policy (each worker accepts on the socket itself). Run once with Node's
// net in the workers and once with rsnet; the results must be the same.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { IMPLEMENTATIONS, describeRun, implEnv, runNode, tmpDir } = require('./helpers');

const T = { timeout: 30000 };
const PRIMARY = path.join(__dirname, 'fixtures', 'cluster-primary.js');

// Runs the cluster with `side` ('node' or 'rsnet') in the workers: the primary's report.
async function runCluster(side, policy, socketPath) {
  const out = await runNode([PRIMARY, ...(socketPath ? [socketPath] : [])], {
    env: { ...implEnv(side), NODE_CLUSTER_SCHED_POLICY: policy },
    timeout: 20000,
  });
  assert.equal(out.code, 0, describeRun(`${side} (${policy})`, out));
  return JSON.parse(out.stdout);
}

// Runs the cluster with Node's net in the workers, then with rsnet; `socketPathFor(name)`
// gives each run its Unix socket path, if any.
async function runBoth(policy, socketPathFor = () => undefined) {
  const results = {};
  for (const [name] of IMPLEMENTATIONS) {
    results[name] = await runCluster(name, policy, socketPathFor(name));
  }
  return results;
}

const CLEAN_EXITS = [{ code: 0, signal: null }, { code: 0, signal: null }];

// 20 connections one after another, handed to the 2 workers in turn.
const ROUND_ROBIN = {
  policy: 2,
  answers: { 'hi from worker 1': 10, 'hi from worker 2': 10 },
  exits: CLEAN_EXITS,
  pathLeft: false,
};

test('cluster, round-robin: the primary hands connections to both workers in turn', T, async () => {
  const results = await runBoth('rr');
  assert.deepEqual(results.node, ROUND_ROBIN);
  assert.deepEqual(results.rsnet, results.node);
});

test('cluster, Unix socket path: both workers serve it, address() is the path, nothing is left', T,
  async () => {
    const dir = tmpDir('cluster');
    const results = await runBoth('rr', (name) => path.join(dir, `${name}.sock`));
    assert.deepEqual(results.node, ROUND_ROBIN);
    assert.deepEqual(results.rsnet, results.node);
  });

test('cluster, shared socket: the workers accept on it themselves and all 20 are answered', T, async () => {
  const results = await runBoth('none');
  // Which worker the kernel wakes is its choice: count the answers, not who gave them.
  for (const [name, { policy, answers, exits }] of Object.entries(results)) {
    const answered = Object.entries(answers)
      .filter(([reply]) => /^hi from worker [12]$/.test(reply))
      .reduce((sum, [, count]) => sum + count, 0);
    results[name] = { policy, answered, exits };
  }
  assert.deepEqual(results.node, { policy: 1, answered: 20, exits: CLEAN_EXITS });
  assert.deepEqual(results.rsnet, results.node);
});
