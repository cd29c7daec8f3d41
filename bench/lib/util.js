'use strict';
// Helpers of the benchmark servers and clients. They load the implementation under test
// named by RSNET_IMPL (scripts/impl.js): rsnet, net or the path of another rsnet checkout.
const { ENV, implName, loadImpl } = require('../../scripts/impl');

// Load or exit(3) with a one-line reason on stderr, so the runner can tell
// "implementation failed to load" apart from other failures.
function loadImplOrExit() {
  const name = implName();
  try {
    return loadImpl(name);
  } catch (e) {
    process.stderr.write(`${ENV}=${name} failed to load: ${e && e.stack || e}\n`);
    process.exit(3);
  }
}

// Tiny "--key value" parser.
function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`missing value for ${a}`);
    i++;
    out[key] = typeof defaults[key] === 'number' ? parseBytes(v) : v;
  }
  return out;
}

// "1024", "64K", "256M", "1G", "1GiB", "1.5G" (binary multiples).
function parseBytes(s) {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*$/i.exec(String(s));
  if (!m) throw new Error(`bad number ${JSON.stringify(s)}`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase()];
  return Math.round(parseFloat(m[1]) * mult);
}

// Servers: die loudly if the listening fails; keep per-socket errors quiet
// (a client closing abruptly must not crash the server under test).
function announce(server) {
  server.on('error', (e) => {
    process.stderr.write(`server error: ${e && e.stack || e}\n`);
    process.exit(1);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
  });
}

process.on('SIGTERM', () => process.exit(0));

module.exports = { loadImplOrExit, parseArgs, parseBytes, announce };
