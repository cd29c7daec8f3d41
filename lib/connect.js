'use strict';

// How a Socket gets from connect()'s arguments to a native connect: argument
// normalisation, DNS through dns.lookup (or the user's lookup), and Node 20's
// autoSelectFamily ("happy eyeballs"): try each resolved address in turn, alternating
// families, giving each attempt a bounded time.

const { isIP } = require('node:net');
const { aggregateError, codes, exceptionWithHostPort, uv } = require('./errors');
const {
  validateBoolean,
  validateFunction,
  validateInt32,
  validateNumber,
  validatePort,
  validateString,
  validateStringWithoutNullBytes,
} = require('./validators');
const defaults = require('./defaults');
const line = require('./node-line');
const { kBoundSource } = require('./bound-socket');

const {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_INVALID_IP_ADDRESS,
  ERR_INVALID_ADDRESS_FAMILY,
  ERR_IP_BLOCKED,
  ERR_SOCKET_CONNECTION_TIMEOUT,
} = codes;

let dns;

const kNormalized = Symbol('normalizedArgs');

function toNumber(x) {
  return (x = Number(x)) >= 0 ? x : false;
}

function isPipeName(s) {
  return typeof s === 'string' && toNumber(s) === false;
}

// connect(options[, cb]), connect(path[, cb]) and connect(port[, host][, cb]) as one
// [options, cb] pair.
function normalizeArgs(args) {
  let result;
  if (args.length === 0) {
    result = [{}, null];
    result[kNormalized] = true;
    return result;
  }
  const arg0 = args[0];
  let options = {};
  if (typeof arg0 === 'object' && arg0 !== null) {
    options = arg0;
  } else if (isPipeName(arg0)) {
    options.path = arg0;
  } else {
    options.port = arg0;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const cb = args[args.length - 1];
  result = [options, typeof cb === 'function' ? cb : null];
  result[kNormalized] = true;
  return result;
}

function connectPath(socket, path) {
  validateString(path, 'options.path');
  socket._connectNative({ path });
}

// An IP address as a string: what the native connect and bind take.
function isIPString(value) {
  return typeof value === 'string' && isIP(value) !== 0;
}

function socketToDnsFamily(family) {
  switch (family) {
    case 'IPv4': return 4;
    case 'IPv6': return 6;
  }
  return family;
}

function lookupAndConnect(self, options) {
  const { localAddress, localPort } = options;
  const host = options.host || 'localhost';
  let { port, autoSelectFamily, autoSelectFamilyAttemptTimeout } = options;

  if (line.validatesConnectHost) validateStringWithoutNullBytes(host, 'options.host');
  // An adopted BoundSocket (Node 24) has its local address and family already.
  const bound = Boolean(self[kBoundSource]);
  if (bound) {
    if (localAddress !== undefined || localPort !== undefined) {
      throw new ERR_INVALID_ARG_VALUE('options', options,
        'localAddress and localPort cannot be used with an adopted bound socket');
    }
    autoSelectFamily = false;
  }
  // isIP() first, as net calls it (a Symbol throws its TypeError there); then only a string
  // reaches the native connect, where net would coerce an IP-like object.
  if (localAddress && (!isIP(localAddress) || typeof localAddress !== 'string')) {
    throw new ERR_INVALID_IP_ADDRESS(localAddress);
  }
  if (localPort) validateNumber(localPort, 'options.localPort');
  if (typeof port !== 'undefined') {
    if (typeof port !== 'number' && typeof port !== 'string') {
      throw new ERR_INVALID_ARG_TYPE('options.port', ['number', 'string'], port);
    }
    validatePort(port);
  }
  port |= 0;

  if (autoSelectFamily != null) validateBoolean(autoSelectFamily, 'options.autoSelectFamily');
  else autoSelectFamily = defaults.autoSelectFamily;
  if (autoSelectFamilyAttemptTimeout != null) {
    validateInt32(autoSelectFamilyAttemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1);
    if (autoSelectFamilyAttemptTimeout < 10) autoSelectFamilyAttemptTimeout = 10;
  } else {
    autoSelectFamilyAttemptTimeout = defaults.autoSelectFamilyAttemptTimeout;
  }

  // A falsy local address or port ('' or 0) binds nothing, as in net.
  const target = { port, localAddress: localAddress || undefined, localPort: localPort || undefined };

  // An IP literal needs no lookup; connect on the next tick, as Node does (at once from a
  // bound socket, so that its local address is known on return). Any other host, a string
  // or not, goes to the lookup, which judges it.
  if (isIPString(host) && bound) {
    self._connectNative({ ...target, address: host });
    return;
  }
  if (isIPString(host)) {
    process.nextTick(() => {
      if (self.connecting) self._connectNative({ ...target, address: host });
    });
    return;
  }

  if (options.lookup != null) validateFunction(options.lookup, 'options.lookup');
  if (dns === undefined) dns = require('node:dns');
  const dnsopts = {
    family: socketToDnsFamily(options.family),
    hints: options.hints || 0,
  };
  if (dnsopts.family !== 4 && dnsopts.family !== 6 && dnsopts.hints === 0) {
    dnsopts.hints = dns.ADDRCONFIG;
  }
  self._host = host;
  const lookup = options.lookup || dns.lookup;

  if (dnsopts.family !== 4 && dnsopts.family !== 6 && !localAddress && autoSelectFamily) {
    dnsopts.all = true;
    lookup(host, dnsopts, (err, addresses) => {
      onLookupAll(self, host, err, addresses, target, autoSelectFamilyAttemptTimeout, options);
    });
    return;
  }

  lookup(host, dnsopts, function emitLookup(err, ip, addressType) {
    self.emit('lookup', err, ip, addressType, host);
    if (!self.connecting) return;
    if (err) {
      process.nextTick(() => self.destroy(err));
    } else if (!isIPString(ip)) {
      process.nextTick(() => self.destroy(new ERR_INVALID_IP_ADDRESS(ip)));
    } else if (addressType !== 4 && addressType !== 6) {
      const error = new ERR_INVALID_ADDRESS_FAMILY(addressType, options.host, options.port);
      process.nextTick(() => self.destroy(error));
    } else {
      self._unrefTimer();
      self._connectNative({ ...target, address: ip, addressType });
    }
  });
}

function onLookupAll(self, host, err, addresses, target, attemptTimeout, options) {
  if (!self.connecting) return;
  if (err) {
    self.emit('lookup', err, undefined, undefined, host);
    process.nextTick(() => self.destroy(err));
    return;
  }
  // Every answer is reported; usable ones are tried once each, the family of the first
  // usable answer first, then alternating.
  // Read as net reads it (by index), so that odd answers fail as they do there.
  const groups = [[], []];
  let first = null;
  for (let i = 0, l = addresses.length; i < l; i++) {
    const { address, family } = addresses[i];
    self.emit('lookup', err, address, family, host);
    if (!self.connecting) return;
    if (!isIPString(address) || (family !== 4 && family !== 6)) continue;
    first ??= family;
    const group = groups[family === first ? 0 : 1];
    if (!group.some((entry) => entry.address === address)) group.push({ address, family });
  }
  if (groups[0].length === 0) {
    const { address: firstIp, family: firstAddressType } = addresses[0];
    const error = !isIPString(firstIp) ? new ERR_INVALID_IP_ADDRESS(firstIp) :
      new ERR_INVALID_ADDRESS_FAMILY(firstAddressType, options.host, options.port);
    process.nextTick(() => self.destroy(error));
    return;
  }
  const toAttempt = [];
  for (let i = 0; i < Math.max(groups[0].length, groups[1].length); i++) {
    if (i < groups[0].length) toAttempt.push(groups[0][i]);
    if (i < groups[1].length) toAttempt.push(groups[1][i]);
  }
  self._unrefTimer();
  if (toAttempt.length === 1) {
    const { address, family } = toAttempt[0];
    self._connectNative({ ...target, address, addressType: family });
    return;
  }
  self.autoSelectFamilyAttemptedAddresses = [];
  attemptNext(self, { toAttempt, current: 0, errors: [], target, attemptTimeout, timer: null });
}

// One attempt of a multi-address connect, as net's: the next starts when this one fails
// or times out, each failure (a bind, a blocked address, a connect, a timeout) being kept
// for the AggregateError that ends the connect when none succeeds. `canceled`: an attempt
// ended with ECANCELED, which ends the connect at once.
function attemptNext(self, context, canceled = false) {
  clearTimeout(context.timer);
  // An aborted signal stops the attempts where they are; the socket stays connecting.
  if (self._aborted) return;
  const { toAttempt, errors, target } = context;
  if (canceled || context.current === toAttempt.length) {
    // net keeps ERR_SOCKET_CONNECTION_TIMEOUT for an end with no error recorded; as every
    // attempt records one (a timed-out one its ETIMEDOUT), it has no way to happen.
    self.connecting = false;
    self.destroy(errors.length === 0 ? new ERR_SOCKET_CONNECTION_TIMEOUT() : aggregateError(errors));
    return;
  }
  const current = context.current++;
  if (current > 0) self._replaceHandle();
  const { address, family } = toAttempt[current];
  const { port, localPort } = target;
  const attempt = { port, localPort, address, addressType: family };
  attempt.family = family;
  // Only a port to bind: net binds it on the family's any-address.
  if (localPort) {
    const err = self._bindLocal(attempt);
    if (err !== 0) {
      errors.push(exceptionWithHostPort(err, 'bind', attempt.localAddress, localPort));
      attemptNext(self, context);
      return;
    }
  }
  // A blocked address is an attempt that failed at once, before it was announced.
  if (self.blockList?.check(address, `ipv${family}`)) {
    const error = new ERR_IP_BLOCKED(address);
    errors.push(error);
    self.emit('connectionAttemptFailed', address, port, family, error);
    attemptNext(self, context);
    return;
  }
  self.emit('connectionAttempt', address, port, family);
  self.autoSelectFamilyAttemptedAddresses.push(`${address}:${port}`);
  let started = true;
  attempt.onError = (errno, sync) => {
    started = false;
    clearTimeout(context.timer);
    // Failing at once, the error names the socket's local end as getsockname gives it;
    // from the connect's callback, the end it was bound to, if any.
    let error;
    if (sync) {
      const sockname = self._getsockname();
      error = exceptionWithHostPort(errno, 'connect', address, port, `${sockname.address}:${sockname.port}`);
    } else {
      error = attemptError(errno, attempt);
    }
    errors.push(error);
    self.emit('connectionAttemptFailed', address, port, family, error);
    if (sync || self.connecting) attemptNext(self, context, !sync && errno === uv.ECANCELED);
  };
  attempt.onSuccess = () => clearTimeout(context.timer);
  self._connectNative(attempt);
  if (!started || current === toAttempt.length - 1) return;
  context.timer = setTimeout(() => {
    self.emit('connectionAttemptTimeout', address, port, family);
    errors.push(attemptError(uv.ETIMEDOUT, attempt));
    // What this attempt's connect does now is no longer heard.
    attempt.onError = () => {};
    attempt.onSuccess = () => {};
    if (self.connecting) attemptNext(self, context);
  }, context.attemptTimeout);
}

// A failed attempt's error, as net's createConnectionError: the local end is named when
// the attempt bound one.
function attemptError(errno, attempt) {
  const { address, port, localAddress, localPort } = attempt;
  if (localAddress && localPort) {
    const error = exceptionWithHostPort(errno, 'connect', address, port, `${localAddress}:${localPort}`);
    error.localAddress = localAddress;
    error.localPort = localPort;
    return error;
  }
  return exceptionWithHostPort(errno, 'connect', address, port);
}

module.exports = {
  kNormalized,
  normalizeArgs,
  connectPath,
  lookupAndConnect,
  isIPString,
  isPipeName,
  toNumber,
};
