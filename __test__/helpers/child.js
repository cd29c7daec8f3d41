'use strict';

// Child processes: run a command (node by default) with arguments and an environment,
// collect its stdout, stderr and how it ended, within a time bound. A child runs in a
// process group of its own, killed whole when the time is up (and when this process
// exits), so that nothing it started is left behind. At the end: what two system
// commands tell (whether a tool is installed, a listener's backlog).

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const { ENV, implName } = require('../../scripts/impl');
const { later } = require('./time');

// An expression for a child's script that loads the implementation RSNET_IMPL names:
//   node -e `const net = ${LOAD_IMPL}; ...`
const LOAD_IMPL = `require(${JSON.stringify(path.join(__dirname, '..', '..', 'scripts', 'impl.js'))}).loadImpl()`;

// The environment of a child that is to load `side` of a side-by-side comparison ('node':
// Node's net; 'rsnet': the implementation under test) with loadImpl().
function implEnv(side, env = process.env) {
  return { ...env, [ENV]: side === 'node' ? 'net' : implName() };
}

// Our environment without what would change how node starts (the test runner's own
// context, a NODE_OPTIONS hook, debug output, npm's configuration), plus `extra`.
function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'NODE_DEBUG' || key === 'NODE_TEST_CONTEXT') continue;
    if (key.startsWith('npm_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

// Process groups still running, killed if this process exits first.
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill();
});

// A running child. Options:
//   cwd, env (default: ours)
//   timeout: ms until it is killed (`timedOut` then says so); default 30 s
//   stdio: more descriptors after stdin, stdout and stderr (a descriptor number, 'ipc')
//   ready, aliveMs: once it printed the line `ready` (true: any line) on stdout it may run
//     for aliveMs more, then it is killed (`killed`; `sinceReadyMs` is the time from ready
//     to its end)
// `exited` resolves, once its streams are closed, to
//   { code, signal, stdout, stderr, ms, timedOut, killed, sinceReadyMs }
// and rejects if it could not be started.
class Child {
  constructor(command, args, { cwd, env = process.env, timeout = 30000, stdio = [], ready = null, aliveMs = 0 } = {}) {
    const started = Date.now();
    this.process = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', ...stdio] });
    this.stdout = '';
    this.stderr = '';
    this.timedOut = false;
    this.killed = false;
    this.running = true;
    live.add(this);
    let readyAt = null;
    let timer = setTimeout(() => {
      this.timedOut = true;
      this.kill();
    }, timeout);
    this.process.stdout.setEncoding('utf8');
    this.process.stderr.setEncoding('utf8');
    this.process.stdout.on('data', (text) => {
      this.stdout += text;
      if (ready !== null && readyAt === null && this.lines().some((l) => ready === true || l === ready)) {
        readyAt = Date.now();
        if (aliveMs > 0) {
          clearTimeout(timer);
          timer = setTimeout(() => this.kill(), aliveMs);
        }
      }
    });
    this.process.stderr.on('data', (text) => {
      this.stderr += text;
    });
    this.exited = new Promise((resolve, reject) => {
      this.process.on('error', (err) => {
        clearTimeout(timer);
        this.running = false;
        live.delete(this);
        reject(err);
      });
      this.process.on('close', (code, signal) => {
        clearTimeout(timer);
        this.running = false;
        live.delete(this);
        resolve({
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          ms: Date.now() - started,
          timedOut: this.timedOut,
          killed: this.killed,
          sinceReadyMs: readyAt === null ? null : Date.now() - readyAt,
        });
      });
    });
    // A rejection nobody waits for is not an unhandled one: whoever awaits sees it.
    this.exited.catch(() => {});
  }

  // The complete lines printed on `stream` so far.
  lines(stream = 'stdout') {
    return this[stream].split('\n').slice(0, -1);
  }

  // Resolves to the lines of `stream` once there are `count` of them; fails after `ms`, or
  // when the child ends before, with what it printed.
  async waitForLines(count, { stream = 'stdout', ms = 5000, what = `${count} lines` } = {}) {
    const deadline = Date.now() + ms;
    while (this.lines(stream).length < count) {
      if (!this.running || Date.now() > deadline) {
        assert.fail(`${what}: ${this.running ? 'timed out' : 'the child ended'}; ` +
          `stdout: ${JSON.stringify(this.stdout)}; stderr: ${JSON.stringify(this.stderr)}`);
      }
      await later(5);
    }
    return this.lines(stream);
  }

  // Kills its process group (SIGKILL), if it still runs.
  kill() {
    if (!this.running) return;
    this.killed = true;
    try {
      process.kill(-this.process.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function start(command, args, options) {
  return new Child(command, args, options);
}

function startNode(args, options) {
  return start(process.execPath, args, options);
}

// Runs a command to completion: start(...).exited.
function run(command, args, options) {
  return start(command, args, options).exited;
}

function runNode(args, options) {
  return run(process.execPath, args, options);
}

// The same, synchronously (for a short command): { code, signal, stdout, stderr, timedOut,
// error }. Options: cwd, env, timeout (default 10 s), stdio (more descriptors).
function runSync(command, args, { cwd, env = process.env, timeout = 10000, stdio = [] } = {}) {
  const res = spawnSync(command, args, {
    cwd, env, timeout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', ...stdio], killSignal: 'SIGKILL',
  });
  return {
    code: res.status,
    signal: res.signal,
    stdout: res.stdout || '',
    stderr: res.stderr || '',
    timedOut: Boolean(res.error && res.error.code === 'ETIMEDOUT'),
    error: res.error || null,
  };
}

function runNodeSync(args, options) {
  return runSync(process.execPath, args, options);
}

// Whether `cmd args` runs and succeeds here (a tool a test needs may not be installed).
function hasCommand(cmd, args) {
  return runSync(cmd, args).code === 0;
}

// The backlog of a listening socket, as `ss` reports it (Send-Q of a listener); `args`
// select it: ['-t', '-n', 'sport = :PORT'] or ['-x', 'src', PATH].
function ssBacklog(args) {
  const line = runSync('ss', ['-lH', ...args]).stdout.trim();
  const fields = line.split(/\s+/);
  return Number(args[0] === '-x' ? fields[3] : fields[2]);
}

// How a run ended, with its output, for an assertion's message.
function describeRun(what, out) {
  return `${what}: exit ${out.code}${out.signal ? ` (${out.signal})` : ''}` +
    `${out.timedOut ? ' (timed out)' : ''}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`;
}

module.exports = {
  Child,
  LOAD_IMPL,
  cleanEnv,
  describeRun,
  hasCommand,
  implEnv,
  run,
  runNode,
  runNodeSync,
  runSync,
  ssBacklog,
  start,
  startNode,
};
