// rsnet is a drop-in replacement for Node's net module: its API is net's, so its types
// are @types/node's declarations of 'node:net', re-exported. Code typed against net
// compiles unchanged against rsnet, and an rsnet Socket is a net.Socket and a Duplex.
/// <reference types="node" />
import net = require('node:net');
export = net;
