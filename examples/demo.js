'use strict';

// `npm start`: runs examples/server.js and examples/client.js (the classic net examples,
// on rsnet) as two processes and prints what each says, prefixed with its name.

const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

function run(name) {
  const child = spawn(process.execPath, [path.join(__dirname, `${name}.js`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(`[${name}] ${line}`);
  });
  return child;
}

const server = run('server');
server.stdout.once('data', () => {
  const client = run('client');
  client.on('exit', (code) => {
    console.log(`[demo] client exited with code ${code}; stopping the server`);
    // Let the server print its side of the close before it goes.
    setTimeout(() => server.kill(), 200);
  });
});
server.on('exit', (code, signal) => {
  if (signal !== 'SIGTERM') {
    console.log(`[demo] server exited unexpectedly (${signal || code})`);
    process.exitCode = 1;
  }
});
