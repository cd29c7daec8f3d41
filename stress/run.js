'use strict';

// rsnet's reliability suite (issue #7): `npm run stress` runs it at full size, `--small`
// at the sizes CI uses (__test__/stress.test.js). Every scenario runs in a child process
// with a time bound; at the end a table gives the figures: connections held, cycles run,
// bytes checked, faults injected, random calls made, peak RSS.
//
//   node stress/run.js [--small] [--seed=N] [--only=load,integrity,memory,faults,fuzz,parity,gc,valgrind] [--quiet]
//
// RSNET_IMPL=net runs the same suite on Node's own net, a check of the suite itself;
// RSNET_IMPL=/path/to/rsnet on another checkout (scripts/impl.js).

const { SCENARIOS } = require('./lib/scenarios');
const { ENV, implModule, implName } = require('../scripts/impl');

function parseArgs(argv) {
  const args = { size: 'full', seed: null, only: null, quiet: false };
  for (const arg of argv) {
    if (arg === '--small') args.size = 'small';
    else if (arg === '--quiet') args.quiet = true;
    else if (arg.startsWith('--seed=')) args.seed = Number(arg.slice(7)) >>> 0;
    else if (arg.startsWith('--only=')) args.only = arg.slice(7).split(',');
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node stress/run.js [--small] [--seed=N] [--only=name,...] [--quiet]\n' +
        `scenarios: ${SCENARIOS.map(([name]) => name).join(', ')}`);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}`);
      process.exit(2);
    }
  }
  if (args.seed === null) args.seed = (Math.random() * 2 ** 32) >>> 0;
  return args;
}

const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));
const mib = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const name = implName();
  try {
    implModule(name);
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  const impl = name === 'rsnet' ? '' : name === 'net' ? ` on Node's own net (${ENV}=net)` : ` on ${ENV}=${name}`;
  console.log(`rsnet stress${impl}, ${args.size} size, seed ${args.seed} (repeat with --seed=${args.seed})`);
  const results = {};
  for (const [name, title, run] of SCENARIOS) {
    if (args.only && !args.only.includes(name)) continue;
    console.log(`\n== ${title} (${name})`);
    const log = args.quiet ? () => {} : (line) => console.log(`   ${line}`);
    let res;
    try {
      res = await run(args.size, args.seed, log);
    } catch (err) {
      res = { failures: [`${name}: ${err.stack}`], figures: {}, ms: 0 };
    }
    results[name] = { title, ...res };
    console.log(`   ${res.failures.length ? `FAILED (${res.failures.length})` : 'ok'} in ${secs(res.ms)}`);
    for (const f of res.failures) console.log(`   - ${f}`);
  }

  // The figures the issue asks for.
  const f = (name) => (results[name] ? results[name].figures || {} : {});
  const load = f('load');
  const integrity = f('integrity');
  const memory = f('memory');
  const faults = f('faults');
  const fuzz = f('fuzz');
  const gc = f('gc');
  const peaks = Object.entries(results).filter(([, r]) => r.figures && r.figures.peakRss)
    .map(([name, r]) => `${name} ${mib(r.figures.peakRss)}`);
  const peak = Math.max(0, ...Object.values(results).map((r) => (r.figures && r.figures.peakRss) || 0));
  const rows = [['figure', 'value', 'detail']];
  if (results.load) {
    rows.push(['connections held', num(load.connectionsHeld), `concurrent, on one rsnet server; each echoed ${
      load.heldMessages} messages (${mib(load.heldBytes || 0)}); all open after ${load.heldConnectMs} ms`]);
    rows.push(['connect/close cycles', num(load.cycles), `fds ${load.cyclesFdStart} -> ${load.cyclesFdEnd}; RSS ${
      load.cyclesRssStartMiB} -> ${load.cyclesRssEndMiB} MiB (${load.cyclesRssGrowthMiB} MiB); ${secs(load.cyclesMs || 0)}`]);
  }
  const checked = (integrity.bytesChecked || 0) + (memory.bytesChecked || 0);
  if (results.integrity || results.memory) {
    rows.push(['bytes checked (sha256)', mib(checked), `no byte lost: ${mib(integrity.bytesChecked || 0)} over ${
      integrity.lanes || 0} connections (both ways); memory bounded: ${mib(memory.bytesChecked || 0)}`]);
  }
  if (results.memory) {
    rows.push(['buffered while paused', num(memory.maxBufferedPaused), `bytes at most (${memory.cases} cases, ` +
      `write() refused ${memory.drains} times)`]);
  }
  if (results.faults) {
    rows.push(['faults injected', num(faults.faults), `in ${faults.runs} child processes`]);
  }
  if (results.fuzz) {
    rows.push(['random calls made', num(fuzz.randomCalls), `seed ${fuzz.seed}; ${num(fuzz.threw)} threw, ${
      num(fuzz.errorEvents)} 'error' events, ${num(fuzz.reentrant)} from listeners; control on Node's net: ${
      num(fuzz.controlCalls)}`]);
  }
  if (results.parity) {
    const p = f('parity');
    rows.push(['parity calls compared', num(p.calls), `seed ${p.seed}, Node ${p.node}: ${num(p.differences)} differences ` +
      `from Node's net (${num(p.sync)} calls, ${num(p.async)} cases' async errors) in ${num(p.cases)} cases; ` +
      `control net vs net: ${num(p.control)}`]);
  }
  if (results.gc) {
    rows.push(['connections under GC', num(gc.connections), `fds ${gc.fdStart} -> ${gc.fdEnd}; RSS after GC ${
      gc.rssStartMiB} -> ${gc.rssEndMiB} MiB`]);
  }
  if (results.valgrind) rows.push(['valgrind (cargo test)', '', f('valgrind').valgrind]);
  if (peak > 0) rows.push(['peak RSS', mib(peak), peaks.join(', ')]);

  const failed = Object.values(results).filter((r) => r.failures.length);
  console.log(`\n${table(rows)}\n`);
  console.log(table([['scenario', 'result', 'time'], ...Object.entries(results).map(([name, r]) =>
    [`${r.title} (${name})`, r.failures.length ? `FAILED (${r.failures.length})` : 'ok', secs(r.ms)])]));
  console.log(`\n${failed.length ? `${failed.length} scenario(s) FAILED` : 'all scenarios passed'}; ` +
    `total ${secs(Date.now() - started)}; seed ${args.seed}`);
  process.exitCode = failed.length ? 1 : 0;
}

main();
