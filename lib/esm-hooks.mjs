// Module resolution hooks for rsnet/register where module.registerHooks does not exist
// (Node 20): registered with module.register, they run on the loader's hooks thread and
// turn 'net' and 'node:net' into rsnet's ES module for every importer outside rsnet.
// The rule itself lives in register-hooks.js, shared with the in-thread hooks.
import { createRequire } from 'node:module';

const { isNet, isRsnetURL, esmEntry } = createRequire(import.meta.url)('./register-hooks.js');

export async function resolve(specifier, context, next) {
  if (isNet(specifier) && !isRsnetURL(context.parentURL)) {
    return { url: esmEntry, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}
