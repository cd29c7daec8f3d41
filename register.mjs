// `node --import rsnet/register app.mjs`: the same hooks as `-r rsnet/register`, for
// import and require alike (see lib/register-hooks.js).
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./register.js');
