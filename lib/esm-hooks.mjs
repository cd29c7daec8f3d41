// Module resolution hooks for rsnet/register: 'net' and 'node:net' become rsnet's ES
// module for every importer outside rsnet itself.
const entry = new URL('../index.mjs', import.meta.url).href;
const ownDir = new URL('./', import.meta.url).href;
const isRsnet = (url) => url === entry || url.startsWith(ownDir);

export async function resolve(specifier, context, next) {
  if ((specifier === 'net' || specifier === 'node:net') &&
      !(context.parentURL && isRsnet(context.parentURL))) {
    return { url: entry, shortCircuit: true };
  }
  return next(specifier, context);
}
