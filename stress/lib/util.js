'use strict';

// Small helpers shared by the stress scenarios: a seeded PRNG, seeded random bytes,
// process figures (open descriptors, RSS), deadlines, and the result line a scenario
// child prints for the runner.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { ROOT, loadImpl } = require('../../scripts/impl');
const RESULT_MARK = 'RSNET-STRESS-RESULT ';
const MiB = 1024 * 1024;

// sfc32: a small, fast, seedable generator (32-bit state words). Same seed, same sequence.
function prng(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = (seed >>> 0) ^ 0x5bd1e995;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const rng = {
    /** [0, 1) */
    random: next,
    /** integer in [lo, hi] */
    int(lo, hi) {
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    /** true with probability p */
    chance(p) {
      return next() < p;
    },
    pick(list) {
      return list[Math.floor(next() * list.length)];
    },
    /** A size spread over orders of magnitude: 1 .. max, log-uniform. */
    size(max) {
      return Math.max(1, Math.min(max, Math.floor(Math.exp(next() * Math.log(max + 1)))));
    },
    /** A child generator, for an independent stream of choices. */
    fork() {
      return prng((next() * 4294967296) >>> 0);
    },
  };
  return rng;
}

// Seeded random bytes: the AES-256-CTR keystream of a key derived from (seed, label).
// Fast (GB/s), so hundreds of MiB cost little next to the sockets carrying them.
class ByteSource {
  constructor(seed, label) {
    const key = crypto.createHash('sha256').update(`rsnet-stress:${seed}:${label}`).digest();
    this.cipher = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    this.zeros = Buffer.alloc(0);
  }

  /** The next `n` bytes of the stream, in a fresh Buffer. */
  take(n) {
    if (this.zeros.length < n) this.zeros = Buffer.alloc(Math.max(n, 64 * 1024));
    return this.cipher.update(this.zeros.subarray(0, n));
  }
}

function sha256() {
  return crypto.createHash('sha256');
}

function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Open descriptors that are sockets (not pipes, files, epoll or eventfd). */
function socketFdCount() {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // Closed meanwhile.
    }
  }
  return n;
}

function fdList() {
  const out = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(`${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`);
    } catch {
      // The descriptor readdir itself used: gone already.
    }
  }
  return out;
}

function rss() {
  return process.memoryUsage.rss();
}

/** The soft and hard limits on open files of this process. */
function nofileLimits() {
  const text = fs.readFileSync('/proc/self/limits', 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const parts = line.trim().split(/\s+/);
  const num = (s) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(parts[3]), hard: num(parts[4]) };
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A delay that does not keep the process alive.
function sleepUnref(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits until `cond()` is true, polling; false if `ms` passed first. */
async function waitFor(cond, ms, every = 10) {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await delay(every);
  }
}

/** Rejects with `what` if `promise` does not settle within `ms`. */
function within(ms, what, promise) {
  let timer;
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function tmpDir(prefix = 'rsnet-stress-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A scenario's checks: failures are collected (not thrown) so that every figure is
// still reported; the runner fails the scenario if any check failed.
class Checks {
  constructor() {
    this.failures = [];
    this.passed = 0;
  }

  ok(cond, message) {
    if (cond) this.passed++;
    else this.failures.push(message);
    return Boolean(cond);
  }

  equal(actual, expected, message) {
    const same = Object.is(actual, expected);
    return this.ok(same, same ? message : `${message}: expected ${fmt(expected)}, got ${fmt(actual)}`);
  }

  fail(message) {
    this.failures.push(message);
  }
}

function fmt(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Prints the scenario's result for the runner (the last line of stdout with the mark). */
function report(result) {
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

/** The options a scenario child was given (JSON in argv[2]). */
function childOptions() {
  return JSON.parse(process.argv[2] || '{}');
}

/** Tracks the largest RSS seen, sampling on a timer that does not keep the process alive. */
function rssSampler(every = 50) {
  const sampler = { peak: rss() };
  const timer = setInterval(() => {
    sampler.peak = Math.max(sampler.peak, rss());
  }, every);
  timer.unref();
  sampler.sample = () => {
    const now = rss();
    sampler.peak = Math.max(sampler.peak, now);
    return now;
  };
  sampler.stop = () => clearInterval(timer);
  return sampler;
}

/** An error's shape as a user sees it: the fields that matter, for comparisons. */
function errorCode(err) {
  if (err === null || err === undefined) return null;
  return err.code !== undefined ? err.code : `(no code: ${err.name}: ${err.message})`;
}

const NODE_CODE = /^(ERR_[A-Z0-9_]+|E[A-Z0-9]+|ABORT_ERR)$/;

/** Whether `err` is an Error with a Node-shaped `code`. */
function isNodeShaped(err) {
  return err instanceof Error && typeof err.code === 'string' && NODE_CODE.test(err.code);
}

function mib(bytes) {
  return (bytes / MiB).toFixed(1);
}

// Loopback only: replaces dns.lookup with one that knows 'localhost' (127.0.0.1 and ::1)
// and the IP literals `answers(ip)` accepts, and fails everything else with ENOTFOUND, as
// getaddrinfo would. Calls without a callback go to the real lookup, which throws for them.
function useLoopbackLookup(answers) {
  const dns = require('node:dns');
  const { isIP } = require('node:net');
  const realLookup = dns.lookup;
  dns.lookup = function fakeLookup(hostname, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    if (typeof options === 'number') options = { family: options };
    options = options || {};
    if (typeof callback !== 'function') return realLookup.call(dns, hostname, options, callback);
    setImmediate(() => {
      const literal = isIP(hostname);
      if (literal && answers(hostname)) {
        if (options.all) callback(null, [{ address: hostname, family: literal }]);
        else callback(null, hostname, literal);
        return;
      }
      if (hostname !== 'localhost') {
        const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        Object.assign(err, { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
        return callback(err);
      }
      let list = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
      if (options.family === 4 || options.family === 6) list = list.filter((a) => a.family === options.family);
      if (options.all) callback(null, list);
      else callback(null, list[0].address, list[0].family);
    });
    return {};
  };
}

module.exports = {
  ByteSource,
  Checks,
  MiB,
  RESULT_MARK,
  ROOT,
  childOptions,
  delay,
  errorCode,
  fdCount,
  fdList,
  isNodeShaped,
  loadImpl,
  mib,
  nofileLimits,
  prng,
  report,
  rss,
  rssSampler,
  sha256,
  sleepUnref,
  socketFdCount,
  tmpDir,
  useLoopbackLookup,
  waitFor,
  within,
};
