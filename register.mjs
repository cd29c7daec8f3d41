// `node --import rsnet/register app.mjs`: `import ... from 'net'` / 'node:net' in user
// code resolves to rsnet, and require('net') does too (through register.js).
import { register, createRequire } from 'node:module';

createRequire(import.meta.url)('./register.js');
register('./lib/esm-hooks.mjs', import.meta.url);
