// The ES module face of rsnet: the same objects as require('rsnet'). An ES module's names
// are fixed, so it names what net exports on any line; one the running line lacks is
// undefined here (require('rsnet') has only the running line's names).
import { createRequire } from 'node:module';

const rsnet = createRequire(import.meta.url)('./index.js');

export default rsnet;
export const {
  _createServerHandle,
  _normalizeArgs,
  _setSimultaneousAccepts,
  _TransferredBoundSocket,
  BlockList,
  SocketAddress,
  BoundSocket,
  connect,
  createConnection,
  createServer,
  isIP,
  isIPv4,
  isIPv6,
  Server,
  Socket,
  Stream,
  getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout,
  tcpInfo,
  getTcpOptions,
  setTcpOptions,
} = rsnet;
