'use strict';

// Issue #11, part 5: the differences the differential fuzzer (stress/scenarios/parity.js)
// found, one side-by-side test each: the same scenario on Node's net and on rsnet must
// observe the same thing, on the running Node line.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { delay, errorShape, sideBySide, tmpPath } = require('./helpers/compare');

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
const net = require(process.argv[1] === 'node' ? 'node:net' : process.argv[1]);
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
    const res = spawnSync(process.execPath, ['-e', RESET_SCRIPT, impl], { encoding: 'utf8', timeout: 10000 });
    assert.equal(res.status, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  const node = run('node');
  assert.equal(node[1][0][1], 'EINVAL');
  assert.deepEqual(run(path.join(__dirname, '..')), node);
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
