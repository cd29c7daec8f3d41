'use strict';

// Runs one script in a child Node process with a time bound, so that an abort, a crash
// or a hang is seen from outside: the exit code or signal, stderr, and the result line
// the script printed (see util.report). A child that needs more open files than the
// soft limit allows is started through `bash -c 'ulimit -n N && exec node ...'`.

const { spawn } = require('node:child_process');
const { RESULT_MARK, nofileLimits } = require('./util');

// What a crashing Node or Rust addon leaves on stderr.
const CRASH_SIGNS = /Abort|FATAL|Segmentation|SIGSEGV|SIGABRT|core dumped|panicked|double free|corrupted/;

// Process groups of children still running, killed if this process exits first.
const running = new Set();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
});

/**
 * @param {string} script path of the script
 * @param {object} opts
 *   options: JSON-able object given to the script as argv[2]
 *   args: more argv after it
 *   execArgv: Node flags (e.g. --expose-gc)
 *   timeoutMs: killed (SIGKILL, whole process group) after this long
 *   nofile: wanted soft limit on open files
 *   cwd, env
 *   onLine(line): each stdout line as it comes (progress)
 *   afterResultMs: killed this long after it printed its result line if still running
 *     (`hungAfterResult` says so)
 *   stdin: 'ignore' (default) or 'pipe'; ipc: true adds an IPC channel
 */
function spawnNode(script, opts = {}) {
  const args = [...(opts.execArgv || []), script];
  if (opts.options !== undefined) args.push(JSON.stringify(opts.options));
  if (opts.args) args.push(...opts.args);
  let command = process.execPath;
  let argv = args;
  let nofile = null;
  if (opts.nofile) {
    const { soft, hard } = nofileLimits();
    if (soft < opts.nofile) {
      nofile = Math.min(opts.nofile, hard);
      command = 'bash';
      argv = ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, process.execPath, ...args];
    }
  }
  const stdio = [opts.stdin || 'ignore', opts.stdout || 'pipe', opts.stderr || 'pipe'];
  if (opts.ipc) stdio.push('ipc');
  const child = spawn(command, argv, {
    cwd: opts.cwd,
    env: opts.env || process.env,
    stdio,
    detached: true,
  });
  child.nofile = nofile;
  running.add(child.pid);
  child.once('exit', () => running.delete(child.pid));
  return child;
}

function runChild(script, opts = {}) {
  const started = Date.now();
  const child = spawnNode(script, opts);
  const nofile = child.nofile;
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let afterResult = null;
  let hungAfterResult = false;
  child.stdout.on('data', (text) => {
    stdout += text;
    if (opts.afterResultMs && afterResult === null && stdout.includes(RESULT_MARK)) {
      // The result is in: the process has this long to exit.
      afterResult = setTimeout(() => {
        hungAfterResult = true;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }, opts.afterResultMs);
    }
    if (!opts.onLine) return;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const line of lines) if (!line.startsWith(RESULT_MARK)) opts.onLine(line);
  });
  child.stderr.on('data', (text) => {
    // Bounded: a runaway child should not take the runner's memory with it.
    if (stderr.length < 1 << 20) stderr += text;
  });
  let timedOut = false;
  const timer = opts.timeoutMs ? setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }, opts.timeoutMs) : null;
  const done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (afterResult) clearTimeout(afterResult);
      running.delete(child.pid);
      // Grandchildren left behind by a crashed child.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // None.
      }
      let result = null;
      const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_MARK));
      if (line) {
        try {
          result = JSON.parse(line.slice(RESULT_MARK.length));
        } catch {
          result = null;
        }
      }
      resolve({
        code,
        signal,
        stdout,
        stderr,
        result,
        timedOut,
        hungAfterResult,
        ms: Date.now() - started,
        nofile,
        crash: crashSigns(stderr),
      });
    });
  });
  done.child = child;
  return done;
}

function crashSigns(stderr) {
  const m = CRASH_SIGNS.exec(stderr);
  return m ? m[0] : null;
}

/** Problems with how a child ended, given what was expected (exit code 0 by default). */
function endProblems(run, { code = 0, signal = null, what = 'child' } = {}) {
  const out = [];
  if (run.hungAfterResult) out.push(`${what}: did not exit after it reported its result (killed)`);
  else if (run.timedOut) out.push(`${what}: hung (killed after the time bound, ${run.ms} ms)`);
  else if (run.signal !== signal) out.push(`${what}: ended by signal ${run.signal} (expected ${signal})`);
  else if (code !== null && run.code !== code) out.push(`${what}: exit code ${run.code} (expected ${code})`);
  if (run.crash) out.push(`${what}: stderr shows a crash ("${run.crash}"): ${tail(run.stderr)}`);
  return out;
}

function tail(text, n = 600) {
  const t = text.trim();
  return t.length > n ? `...${t.slice(-n)}` : t;
}

module.exports = { spawnNode, runChild, endProblems, crashSigns, tail };
