'use strict';

// Servers in cluster workers (Node's cluster module): the primary owns the listening socket
// and the workers share it, by round-robin (the primary accepts and hands connections over)
// or by the shared policy (each worker accepts on the socket itself). Run once with Node's
// net in the workers and once with rsnet; the results must be the same.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const T = { timeout: 30000 };
const PRIMARY = path.join(__dirname, 'fixtures', 'cluster-primary.js');
const MODULE_IDS = [['net', 'node:net'], ['rsnet', path.join(__dirname, '..')]];

function runCluster(moduleId, policy, socketPath) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [PRIMARY, moduleId, ...(socketPath ? [socketPath] : [])], {
      env: { ...process.env, NODE_CLUSTER_SCHED_POLICY: policy },
      timeout: 20000,
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${moduleId} (${policy}): ${err.message} ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

// Runs the cluster with Node's net in the workers, then with rsnet; `socketPathFor(name)`
// gives each run its Unix socket path, if any.
async function runBoth(policy, socketPathFor = () => undefined) {
  const results = {};
  for (const [name, moduleId] of MODULE_IDS) {
    results[name] = await runCluster(moduleId, policy, socketPathFor(name));
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
  assert.deepEqual(results.net, ROUND_ROBIN);
  assert.deepEqual(results.rsnet, results.net);
});

test('cluster, Unix socket path: both workers serve it, address() is the path, nothing is left', T,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-cluster-'));
    try {
      const results = await runBoth('rr', (name) => path.join(dir, `${name}.sock`));
      assert.deepEqual(results.net, ROUND_ROBIN);
      assert.deepEqual(results.rsnet, results.net);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
  assert.deepEqual(results.net, { policy: 1, answered: 20, exits: CLEAN_EXITS });
  assert.deepEqual(results.rsnet, results.net);
});
