'use strict';

// Issue #11, part 5: the differences the differential fuzzer (stress/scenarios/parity.js)
// found, one side-by-side test each: the same scenario on Node's net and on rsnet must
// observe the same thing, on the running Node line.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const {
  LOAD_IMPL, delay, errorShape, implEnv, record, runNodeSync, sideBySide, tmpPath,
} = require('./helpers');

// What a call did: returned the socket itself, something else, or threw.
function outcome(self, fn) {
  try {
    const value = fn();
    return value === self ? 'this' : { returned: value };
  } catch (err) {
    return { threw: errorShape(err) };
  }
}

async function connected(run, options = {}, onConnection) {
  const server = await run.listen({}, onConnection);
  const socket = run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1', ...options }));
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

function same(results) {
  assert.deepEqual(results.rsnet, results.node);
}

test('parity: setTimeout on a destroyed socket returns it before checking anything', async () => {
  same(await sideBySide((run) => {
    const s = new run.net.Socket();
    s.destroy();
    return [outcome(s, () => s.setTimeout('x', 42)), outcome(s, () => s.setTimeout(-1)), s.timeout];
  }));
});

test('parity: setTimeout keeps a refused value in timeout; a timer too long is cut, not fired at once', async () => {
  same(await sideBySide(async (run) => {
    const s = run.track(new run.net.Socket());
    const out = [outcome(s, () => s.setTimeout(-5)), s.timeout, outcome(s, () => s.setTimeout(1, 'nope'))];
    let fired = 0;
    process.removeAllListeners('warning');
    s.setTimeout(Number.MAX_VALUE, () => fired++);
    await delay(30);
    out.push(fired, s.timeout);
    return out;
  }));
});

test('parity: setKeepAlive takes any value (only Symbol and BigInt delays throw, from JavaScript)', async () => {
  same(await sideBySide(async (run) => {
    const s = await connected(run);
    const fresh = new run.net.Socket();
    const out = [];
    for (const target of [s, fresh]) {
      for (const args of [[], ['x', 'y'], [{}, {}], [true, -1], [true, NaN], [1, 2 ** 53], [true, 1e21], [null, Symbol('s')],
        [true, 10n]]) {
        out.push(outcome(target, () => target.setKeepAlive(...args)));
      }
    }
    return out;
  }));
});

test('parity: new Socket checks keepAliveInitialDelay and raises a negative one to 0 in the caller\'s object', async () => {
  same(await sideBySide((run) => {
    const options = { keepAliveInitialDelay: -55 };
    const s = new run.net.Socket(options);
    return [options, outcome(null, () => new run.net.Socket({ keepAliveInitialDelay: 'x' })), s.destroyed];
  }));
});

test('parity: listen({ port: undefined }) writes port 0 into the options; server.address() keeps a closed Unix path', async () => {
  same(await sideBySide(async (run) => {
    const options = { port: undefined, host: '127.0.0.1' };
    const tcp = run.net.createServer();
    tcp.listen(options);
    const sockPath = tmpPath('parity');
    const unix = run.net.createServer();
    await new Promise((resolve) => unix.listen(sockPath, resolve));
    unix.close();
    const after = unix.address() === sockPath;
    await new Promise((resolve) => tcp.close(resolve));
    return [options, after];
  }));
});

test('parity: listen(port, IP literal) looks the host up: address() is null on the next line, and a later listen() wins', async () => {
  same(await sideBySide(async (run) => {
    const busy = await run.listen();
    const s = run.net.createServer();
    const events = [];
    s.on('error', (err) => events.push(err.code));
    s.listen({ port: busy.address().port, host: '127.0.0.1' }, () => events.push('cb1'));
    const right = s.address();
    s.listen(() => events.push('cb2'));
    await delay(50);
    s.close();
    return [right, events];
  }));
});

// In a child process per implementation: Node's net leaves that connection's handle and
// shutdown request open for good, so the process would not exit by itself.
const RESET_SCRIPT = `
const net = ${LOAD_IMPL};
const server = require('node:net').createServer((peer) => {
  peer.on('error', () => {});
  peer.end();
});
server.listen(0, '127.0.0.1', () => {
  const s = net.connect({ port: server.address().port, host: '127.0.0.1', allowHalfOpen: true });
  const events = [];
  s.on('end', () => {
    s.on('error', (err) => events.push([err.constructor.name, err.code, err.syscall, err.message]));
    s.on('close', () => events.push('close'));
    s.end();
    const remote = [s.remoteAddress, s.remoteFamily];
    s.resetAndDestroy();
    setTimeout(() => {
      console.log(JSON.stringify([remote, events]));
      process.exit(0);
    }, 50);
  });
});`;

test('parity: resetAndDestroy() while a shutdown is pending emits reset EINVAL and no close; the peer address is still known', () => {
  const run = (impl) => {
    const res = runNodeSync(['-e', RESET_SCRIPT], { env: implEnv(impl) });
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  const node = run('node');
  assert.equal(node[1][0][1], 'EINVAL');
  assert.deepEqual(run('rsnet'), node);
});

test('parity: end(cb) on a socket never connected (Node 20 waits for a connect, 22+ finish); writing a string as \'buffer\' throws as net does', async () => {
  same(await sideBySide(async (run) => {
    const fresh = run.track(new run.net.Socket());
    let called = 0;
    fresh.end(() => called++);
    const s = await connected(run);
    const thrown = outcome(s, () => s.write('abc', 'buffer'));
    await delay(30);
    return [called, thrown];
  }));
});

test('parity: connect() adds its callback before the missing-argument check; a falsy path is no path; timeout is net.connect()\'s', async () => {
  same(await sideBySide(async (run) => {
    const a = new run.net.Socket();
    const threw = outcome(a, () => a.connect({}, () => {}));
    const b = run.track(new run.net.Socket());
    b.on('error', () => {});
    const server = await run.listen();
    const viaPort = outcome(b, () => b.connect({ path: NaN, port: server.address().port, host: '127.0.0.1', timeout: 40 }));
    return [threw, a.listenerCount('connect'), viaPort, b.timeout];
  }));
});

test('parity: ERR_INVALID_IP_ADDRESS shows the value as net does; on Node 22+ a host must be a string', async () => {
  same(await sideBySide((run) => [{}, [], 10n, Symbol('s')].map((localAddress) =>
    outcome(null, () => run.net.connect({ port: 1, host: '127.0.0.1', localAddress })))
    .concat([outcome(null, () => run.net.connect({ port: 1, host: -1 }).destroy())])));
});

test('parity: a Unix path too long for sun_path: cut on Node 20 and 22, refused from 24 on', async () => {
  same(await sideBySide(async (run) => {
    const long = `${tmpPath('long')}-${'y'.repeat(120)}`;
    const events = [];
    const server = run.net.createServer();
    server.on('error', (err) => events.push(['listen', err.code]));
    await new Promise((resolve) => {
      server.listen(long, resolve);
      server.once('error', resolve);
    });
    const c = run.net.connect(long);
    c.on('error', (err) => events.push(['connect', err.code, err.message.endsWith('(undefined:undefined)')]));
    c.on('connect', () => events.push(['connect', 'ok']));
    await delay(50);
    c.destroy();
    server.close();
    return events;
  }));
});

test('parity: an empty localAddress binds nothing: the connect goes through', async () => {
  same(await sideBySide(async (run) => {
    const server = await run.listen();
    const s = run.track(run.net.connect({ port: server.address().port, host: '127.0.0.1', localAddress: '' }));
    return new Promise((resolve) => {
      s.once('connect', () => resolve('connect'));
      s.once('error', (err) => resolve(errorShape(err)));
    });
  }));
});

test('parity: listen() checks options.signal before it writes port 0 into the options; an exact true reusePort marks them exclusive where the line has it', async () => {
  same(await sideBySide(async (run) => {
    const out = [];
    for (const signal of [0.5, 'signal', {}]) {
      const options = { port: undefined, host: '127.0.0.1', signal };
      const s = run.net.createServer();
      out.push(outcome(s, () => s.listen(options)), options, s.listening);
    }
    const options = { port: 0, host: '127.0.0.1', reusePort: true };
    const s = run.net.createServer();
    await new Promise((resolve) => s.listen(options, resolve));
    out.push(options);
    await new Promise((resolve) => s.close(resolve));
    return out;
  }));
});

test('parity: listen(path) sets the file\'s mode only for readableAll/writableAll exactly true', async () => {
  same(await sideBySide(async (run) => {
    const fs = require('node:fs');
    const out = [];
    for (const [readableAll, writableAll] of [['x', undefined], [1, 'yes'], [true, 'x'], ['x', true]]) {
      const sockPath = tmpPath('mode');
      const s = run.net.createServer();
      await new Promise((resolve) => s.listen({ path: sockPath, readableAll, writableAll }, resolve));
      out.push(fs.statSync(sockPath).mode & 0o777);
      await new Promise((resolve) => s.close(resolve));
    }
    return out;
  }));
});

test('parity: a local address of the other family fails the bind (EINVAL), before any attempt is announced', async () => {
  same(await sideBySide(async (run) => {
    const v4 = await run.listen({ host: '127.0.0.1', label: 'V4' });
    const v6 = await run.listen({ host: '::1', label: 'V6' });
    const out = [];
    for (const [localAddress, host, port] of [['::1', '127.0.0.1', v4.address().port],
      ['127.0.0.1', '::1', v6.address().port], ['0.0.0.0', '::1', v6.address().port]]) {
      const s = run.track(run.net.connect({ localAddress, host, port }));
      const events = record(s, ['connectionAttempt', 'connect', 'error'], run);
      await events.closed;
      out.push(events);
    }
    return out;
  }));
});

test('parity: localPort binds as net\'s handle takes it (int32, low 16 bits) and a port other than the one asked for is bind EADDRINUSE', async () => {
  same(await sideBySide(async (run) => {
    const server = await run.listen();
    const port = server.address().port;
    const out = [];
    // 1.5 binds port 1 (root) or fails with EACCES: either way the error is the bind's.
    for (const options of [{ localPort: 1.5 }, { localPort: 1.5, localAddress: '127.0.0.1' }, { localPort: 65536 },
      { localPort: 70000.5 }, { localPort: Infinity }, { localPort: -65536.5 }, { localPort: port },
      { localPort: 1.5, host: 'localhost', autoSelectFamily: false },
      { localPort: 1.5, host: 'localhost', autoSelectFamily: true, lookup: twoAddresses }]) {
      const s = run.track(run.net.connect({ host: '127.0.0.1', port, ...options }));
      const events = record(s, ['connectionAttempt', 'connectionAttemptFailed', 'connect', 'error'], run);
      s.on('connect', () => s.destroy());
      await events.closed;
      out.push(events.map((e) => (e.error ? { ...e.error, errors: e.error.errors?.map((x) => x.message) } : e)));
    }
    return out;
  }));
});

function twoAddresses(host, options, cb) {
  setImmediate(cb, null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
}

// A connect that fails at once (no route, in a private network namespace with only
// loopback up): the error names the local end getsockname gives, the port the socket
// was bound to included, and carries no localAddress or localPort.
const UNREACHABLE_SCRIPT = `
const net = ${LOAD_IMPL};
const out = [];
let left = 3;
for (const localPort of [undefined, 0, 47123]) {
  const s = net.connect({ host: '10.9.9.9', port: 80, localAddress: '127.0.0.1', localPort });
  s.on('error', (e) => {
    const random = localPort ? e.message : e.message.replace(/:[0-9]+\\)$/, ':<random>)');
    out.push({ message: random, keys: Object.keys(e), code: e.code });
    if (--left === 0) console.log(JSON.stringify(out));
  });
}`;

test('parity: a connect that fails at once names the bound local end and sets no localAddress/localPort', (t) => {
  const run = (side) => spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up && exec "$0" -e "$1"',
    process.execPath, UNREACHABLE_SCRIPT], { encoding: 'utf8', timeout: 10000, env: implEnv(side) });
  const node = run('node');
  if (node.status !== 0 || !node.stdout) return t.skip(`no private network namespace: ${node.stderr || node.error}`);
  const rs = run('rsnet');
  assert.equal(rs.status, 0, rs.stderr);
  assert.deepEqual(JSON.parse(rs.stdout), JSON.parse(node.stdout));
  return undefined;
});

// An address that never answers, on loopback: see fixtures/syn-blackhole.js.
async function blackhole(t) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'syn-blackhole.js'), '15000'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill());
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    child.once('exit', () => reject(new Error('the blackhole exited')));
  });
  // Fills its accept queue (backlog 1: two connections, and a third in case).
  const fillers = [];
  for (let i = 0; i < 3; i++) fillers.push(require('node:net').connect(port, '127.0.0.1').on('error', () => {}));
  t.after(() => fillers.forEach((s) => s.destroy()));
  await Promise.race([Promise.all(fillers.slice(0, 2).map((s) => new Promise((resolve) => s.once('connect', resolve)))),
    delay(2000)]);
  return port;
}

test('parity: autoSelectFamily attempts that time out each add connect ETIMEDOUT to the AggregateError (net never gets to ERR_SOCKET_CONNECTION_TIMEOUT)', { timeout: 20000 }, async (t) => {
  const port = await blackhole(t);
  // 127.0.0.1 and ::ffff:127.0.0.1 reach the blackhole and time out; 127.0.0.2 has nothing
  // on that port and refuses at once.
  const lookup = (host, options, cb) => setImmediate(cb, null, [{ address: '127.0.0.1', family: 4 },
    { address: '::ffff:127.0.0.1', family: 6 }, { address: '127.0.0.2', family: 4 }]);
  const free = await new Promise((resolve) => {
    const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  same(await sideBySide(async (run) => {
    run.label(port, 'BLACKHOLE');
    run.label(free, 'LOCAL');
    const out = [];
    // With a localPort, each attempt binds it again: the timed-out attempt's socket must be
    // gone by then, as net's handle is once closed.
    for (const extra of [{}, { localPort: free }]) {
      const s = run.track(run.net.connect({ host: 'blackhole.test', port, lookup, autoSelectFamily: true,
        autoSelectFamilyAttemptTimeout: 10, ...extra }));
      const events = record(s, ['connectionAttempt', 'connectionAttemptTimeout', 'connectionAttemptFailed', 'connect',
        'error'], run);
      await events.closed;
      out.push(events, s.autoSelectFamilyAttemptedAddresses.map((a) => run.mask(a)));
    }
    return out;
  }, { timeout: 8000 }));
});

test('parity: a connect destroyed while it waits gives up its address pair at once: the same localPort connects to the same address again', { timeout: 20000 }, async (t) => {
  const port = await blackhole(t);
  same(await sideBySide(async (run) => {
    const local = await run.closedPort();
    run.label(port, 'BLACKHOLE');
    run.label(local, 'LOCAL');
    const outcomes = [];
    for (let i = 0; i < 8; i++) {
      const s = run.net.connect({ host: '127.0.0.1', port, localPort: local });
      const outcome = [];
      s.on('error', (err) => outcome.push(err.code));
      const closed = new Promise((resolve) => s.once('close', resolve));
      // The SYN is out (the blackhole drops it) once the lookup of the literal is done.
      await delay(5);
      outcome.push(s.connecting);
      s.destroy();
      await closed;
      outcomes.push(outcome);
    }
    return outcomes;
  }, { timeout: 8000 }));
});

test('parity: each next autoSelectFamily address makes the stream new again: an error emitted meanwhile does not swallow the AggregateError', async () => {
  same(await sideBySide(async (run) => {
    const port = await run.closedPort();
    const s = run.track(new run.net.Socket());
    const events = record(s, ['connectionAttempt', 'connectionAttemptFailed', 'error', 'close'], run);
    s.resetAndDestroy();
    s.connect({ port, host: 'localhost', autoSelectFamily: true, lookup: twoAddresses });
    await delay(100);
    return events.map((e) => (e.error ? { ...e.error, errors: e.error.errors?.map((x) => x.message) } : e));
  }));
});

test('parity: \'close\' comes in the closing phase of the turn: after the turn\'s immediates, the socket destroyed last first', async () => {
  same(await sideBySide(async (run) => {
    const server = await run.listen({}, (peer) => peer.resume());
    const port = server.address().port;
    const [a, b] = [0, 1].map(() => run.track(run.net.connect(port, '127.0.0.1')));
    await Promise.all([a, b].map((s) => new Promise((resolve) => s.once('connect', resolve))));
    const log = [];
    a.on('close', () => log.push('a'));
    b.on('close', () => log.push('b'));
    setImmediate(() => log.push('immediate before'));
    a.destroy();
    b.destroy();
    setImmediate(() => log.push('immediate after'));
    setTimeout(() => log.push('timer'), 0);
    await delay(30);
    // A destroyed socket connected again before its 'close': a lookup answered from an
    // immediate fails the connect first, and the pending write gets that error.
    const c = run.track(run.net.connect(port, '127.0.0.1'));
    await new Promise((resolve) => c.once('connect', resolve));
    const again = [];
    c.destroy();
    c.on('error', (err) => again.push(['error', err.code]));
    c.on('close', () => again.push('close'));
    const lookup = (host, options, cb) => setImmediate(cb, Object.assign(new Error('no'), { code: 'ENOTFOUND' }));
    c.connect({ port, host: 'nowhere.test', lookup });
    c.write('x', (err) => again.push(['write', err && err.code]));
    await delay(50);
    return [log, again];
  }));
});

test('parity: listen(path, { readableAll }) on a path longer than sun_path sets the mode of the file the line made (or fails as it does)', async () => {
  same(await sideBySide(async (run) => {
    const fs = require('node:fs');
    const dir = path.dirname(tmpPath('dir'));
    const long = path.join(dir, `m${run.name === 'node' ? 'n' : 'r'}-${'z'.repeat(150)}`);
    const s = run.net.createServer();
    const result = await new Promise((resolve) => {
      s.once('error', (err) => resolve(err.code));
      s.listen({ path: long, readableAll: true, writableAll: true }, () => resolve('listening'));
    });
    const made = fs.readdirSync(dir).filter((f) => f.startsWith(`m${run.name === 'node' ? 'n' : 'r'}-`));
    const modes = made.map((f) => fs.statSync(path.join(dir, f)).mode & 0o777);
    await new Promise((resolve) => s.close(resolve));
    return [result, modes];
  }));
});

test('parity: a connect refused at once, issued in the turn a socket was destroyed, comes after that socket\'s \'close\'', async () => {
  same(await sideBySide(async (run) => {
    const server = await run.listen({}, (peer) => peer.resume());
    const refused = await run.closedPort();
    const s = run.track(run.net.connect(server.address().port, '127.0.0.1'));
    const log = [];
    s.on('error', (err) => log.push(['error', err.code]));
    await new Promise((resolve) => s.once('connect', resolve));
    s.destroy();
    await null;
    s.on('close', () => log.push('close'));
    s.connect(refused, '127.0.0.1');
    s.write('a', (err) => log.push(['write', err && err.code]));
    await delay(50);
    return log;
  }));
});

test('parity: connect({ path: <not a string> }) throws after making a Unix handle: resetAndDestroy() then refuses it', async () => {
  same(await sideBySide((run) => {
    const s = new run.net.Socket();
    return [outcome(s, () => s.connect({ path: -65536 }, () => {})), outcome(s, () => s.resetAndDestroy())];
  }));
});
