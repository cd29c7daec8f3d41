// The ES module face of rsnet: the same objects as require('rsnet').
import { createRequire } from 'node:module';

const rsnet = createRequire(import.meta.url)('./index.js');

export default rsnet;
export const {
  _createServerHandle,
  _normalizeArgs,
  _setSimultaneousAccepts,
  BlockList,
  SocketAddress,
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
