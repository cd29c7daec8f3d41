'use strict';

// TCP controls beyond Node's net: rsnet.tcpInfo(), rsnet.setTcpOptions() and
// rsnet.getTcpOptions(). They are module functions rather than Socket methods, so that a
// Socket's surface stays exactly net's, and they take rsnet's sockets and Node's own alike:
// both expose their descriptor as `socket._handle.fd`, and the kernel does the rest.

const fs = require('node:fs');
const nodeNet = require('node:net');
const { guessHandleType, tcpControls: native } = require('./binding');
const { Socket } = require('./socket');
const { codes, errnoException, uv } = require('./errors');
const {
  validateBoolean,
  validateInt32,
  validateInteger,
  validateObject,
  validateString,
  validateUint32,
} = require('./validators');

const {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_INVALID_FD_TYPE,
  ERR_SOCKET_CLOSED,
} = codes;

// Limits of the kernel (include/net/tcp.h): it would refuse more with EINVAL.
const MAX_KEEPIDLE_SECS = 32767;
const MAX_KEEPINTVL_SECS = 32767;
const MAX_KEEPCNT = 127;
// SO_LINGER's seconds travel as milliseconds in an int32 here.
const MAX_LINGER_SECS = 2147483;
// TCP_CA_NAME_MAX is 16 with the NUL: the kernel silently cuts a longer name.
const kCongestionName = /^[^\0]{1,15}$/;

// The kernel counts keep-alive and linger times in whole seconds; a time that is not
// would be cut, and then read back differently, so it is refused instead.
function validateSeconds(value, name, minSecs, maxSecs) {
  validateInteger(value, name, minSecs * 1000, maxSecs * 1000);
  if (value % 1000 !== 0) {
    throw new ERR_INVALID_ARG_VALUE(name, value,
      'must be a multiple of 1000 (the kernel counts whole seconds)');
  }
}

function availableCongestion() {
  try {
    return fs.readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'latin1')
      .trim().split(/\s+/);
  } catch {
    return [];
  }
}

// The name must be one the kernel has (it may load a module for it): tried on a scratch
// socket, so that nothing is set on the real one when it is not.
function validateCongestion(value, name) {
  validateString(value, name);
  const errno = kCongestionName.test(value) ? native.checkCongestion(value) : uv.ENOENT;
  if (errno === uv.ENOENT) {
    const available = availableCongestion();
    const reason = available.length > 0
      ? `must be a congestion control algorithm of this kernel (${available.join(', ')})`
      : 'must be a congestion control algorithm of this kernel';
    throw new ERR_INVALID_ARG_VALUE(name, value, reason);
  }
  if (errno !== 0) throw errnoException(errno, 'setsockopt');
}

// Each option: its check, and its value as src/tcp_controls.rs takes it.
const kOptions = {
  userTimeout: (value, name) => validateInt32(value, name, 0),
  keepAlive: validateBoolean,
  keepAliveIdle: (value, name) => validateSeconds(value, name, 1, MAX_KEEPIDLE_SECS),
  keepAliveInterval: (value, name) => validateSeconds(value, name, 1, MAX_KEEPINTVL_SECS),
  keepAliveCount: (value, name) => validateInt32(value, name, 1, MAX_KEEPCNT),
  noDelay: validateBoolean,
  quickAck: validateBoolean,
  congestion: validateCongestion,
  notSentLowat: (value, name) => validateUint32(value, name),
  linger: (value, name) => {
    if (value !== null) validateSeconds(value, name, 0, MAX_LINGER_SECS);
  },
};

function isSocket(value) {
  return value instanceof Socket || value instanceof nodeNet.Socket;
}

// The descriptor of `socket`, a connected TCP socket, or the error saying why not.
function descriptorOf(socket, syscall) {
  if (socket.destroyed) throw new ERR_SOCKET_CLOSED();
  const handle = socket._handle;
  if (!handle || socket.connecting) throw errnoException(uv.ENOTCONN, syscall);
  const fd = handle.fd;
  // A socket over another stream (a TLSSocket's wrap, say) has no descriptor of its own.
  if (!Number.isInteger(fd) || fd < 0) throw new ERR_INVALID_FD_TYPE('UNKNOWN');
  const type = guessHandleType(fd);
  if (type !== 'TCP') throw new ERR_INVALID_FD_TYPE(type);
  return fd;
}

function validateSocket(socket) {
  if (!isSocket(socket)) throw new ERR_INVALID_ARG_TYPE('socket', 'Socket', socket);
}

// A negative number from the addon is an errno; anything else is the result.
function resultOf(result, syscall) {
  if (typeof result === 'number' && result < 0) throw errnoException(result, syscall);
  return result;
}

function tcpInfo(socket) {
  validateSocket(socket);
  return resultOf(native.tcpInfo(descriptorOf(socket, 'getsockopt')), 'getsockopt');
}

function getTcpOptions(socket) {
  validateSocket(socket);
  const options = resultOf(native.getTcpOptions(descriptorOf(socket, 'getsockopt')),
    'getsockopt');
  // Off reads as null, the value that turns it off.
  options.linger = options.linger === undefined ? null : options.linger;
  return options;
}

// Checks every option before the first setsockopt, so that a bad one changes nothing.
function setTcpOptions(socket, options) {
  validateSocket(socket);
  validateObject(options, 'options');
  const settings = {};
  for (const key of Object.keys(options)) {
    const value = options[key];
    const name = `options.${key}`;
    if (!Object.hasOwn(kOptions, key)) {
      throw new ERR_INVALID_ARG_VALUE(name, value, 'is not a TCP option');
    }
    if (value === undefined) continue;
    kOptions[key](value, name);
    settings[key] = key === 'linger' && value === null ? -1 : value;
  }
  const fd = descriptorOf(socket, 'setsockopt');
  resultOf(native.setTcpOptions(fd, settings), 'setsockopt');
}

module.exports = { tcpInfo, getTcpOptions, setTcpOptions };
