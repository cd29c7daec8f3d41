'use strict';

// Node-shaped errors: argument errors (`codes`) and OS errors (errno, host/port).
// Messages, classes, property order and stack headers follow what Node 20's
// own `net` produces, so code that matches on them keeps working.

const util = require('util');
const line = require('./node-line');

const { format, inspect } = util;

// libuv's "end of file"; Node names it EOF rather than an errno.
const UV_EOF = -4095;

// libuv's errno values by name (uv.ENOTCONN is -107 on Linux), from the table that names
// them in errors, so no number is written down twice; the native side uses libc's values,
// which are libuv's on Unix.
const uv = { EOF: UV_EOF };
for (const [errno, [code]] of util.getSystemErrorMap()) uv[code] = errno;
Object.freeze(uv);

// Marks `codes` errors, whose stack header carries the code (`TypeError [ERR_X]: msg`).
const kIsNodeError = Symbol('kIsNodeError');

// ---------------------------------------------------------------------------
// Stack traces

// (Re)capture `err`'s stack starting below `startFn`, with Node's header
// `TypeError [ERR_X]: message`. V8 builds the header lazily from `name` and
// `message`, so the code goes into a temporary own `name` and the stack is
// fixed as a string while it is there.
function captureStack(err, startFn) {
  // V8 drops the ': ' when the message is empty; Node keeps it.
  const header = err.message === '' ? `${err.name} [${err.code}]: ` : `${err.name} [${err.code}]`;
  Object.defineProperty(err, 'name', { value: header, configurable: true, writable: true });
  Error.captureStackTrace(err, startFn);
  const stack = err.stack;
  delete err.name;
  err.stack = stack;
}

// Wraps a validator so that the errors it throws point at its caller, as
// Node's do, instead of at the validator's internals.
function hideStackFrames(fn) {
  function hidden(...args) {
    try {
      return fn.apply(this, args);
    } catch (err) {
      if (err !== null && typeof err === 'object' && err[kIsNodeError]) captureStack(err, hidden);
      throw err;
    }
  }
  Object.defineProperty(hidden, 'name', { value: fn.name });
  return hidden;
}

// ---------------------------------------------------------------------------
// Formatting of received values, as in Node's messages

// 10000000000 -> 10_000_000_000 (applied to the decimal text, sign kept).
function addNumericalSeparator(text) {
  const start = text[0] === '-' ? 1 : 0;
  let out = '';
  let i = text.length;
  for (; i >= start + 4; i -= 3) out = `_${text.slice(i - 3, i)}${out}`;
  return text.slice(0, i) + out;
}

// "type string ('abc')", "an instance of Map", "function f", "null", ...
function describeReceived(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') {
    const ctor = value.constructor;
    const isObject = typeof ctor === 'function' || (typeof ctor === 'object' && ctor !== null);
    // Newer lines name the class only when it has a name (lib/node-line.js).
    if (isObject && 'name' in ctor && (ctor.name || line.namesEmptyClass)) {
      return `an instance of ${ctor.name}`;
    }
    return inspect(value, { depth: -1 });
  }
  if (typeof value === 'string') {
    let text = value.length > 28 ? `${value.slice(0, 25)}...` : value;
    // Node quotes with '...' unless that would need escaping; then JSON quoting.
    text = text.includes("'") ? JSON.stringify(text) : `'${text}'`;
    return `type string (${text})`;
  }
  return `type ${typeof value} (${inspect(value, { colors: false })})`;
}

function inspectTruncated(value, max) {
  const text = inspect(value);
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

// ['a', 'b', 'c'] -> 'a, b, or c'; ['a', 'b'] -> 'a or b'.
function joinWords(words, conj) {
  if (words.length <= 2) return words.join(` ${conj} `);
  return `${words.slice(0, -1).join(', ')}, ${conj} ${words[words.length - 1]}`;
}

// Typeof names Node writes as "of type x"; 'Object'/'Function' count too.
const kTypeNames = new Set(['string', 'function', 'number', 'object', 'Function', 'Object',
  'boolean', 'bigint', 'symbol']);
const kClassName = /^([A-Z][a-z0-9]*)+$/;

// The "must be ..." part of ERR_INVALID_ARG_TYPE.
function describeExpected(expected) {
  const list = Array.isArray(expected) ? expected : [expected];
  const types = [];
  const instances = [];
  const other = [];
  for (const entry of list) {
    if (kTypeNames.has(entry)) types.push(entry.toLowerCase());
    else if (kClassName.test(entry)) instances.push(entry);
    else other.push(entry);
  }
  // With classes listed, plain objects read as one more class.
  if (instances.length > 0 && types.includes('object')) {
    types.splice(types.indexOf('object'), 1);
    instances.push('Object');
  }
  const parts = [];
  if (types.length === 1) parts.push(`of type ${types[0]}`);
  else if (types.length > 1) parts.push(`one of type ${joinWords(types, 'or')}`);
  if (instances.length > 0) parts.push(`an instance of ${joinWords(instances, 'or')}`);
  if (other.length === 1) {
    parts.push(other[0].toLowerCase() === other[0] ? other[0] : `an ${other[0]}`);
  } else if (other.length > 1) {
    parts.push(`one of ${joinWords(other, 'or')}`);
  }
  return parts.join(' or ');
}

function describeOutOfRange(value) {
  if (Number.isInteger(value) && Math.abs(value) > 2 ** 32) {
    return addNumericalSeparator(String(value));
  }
  if (typeof value === 'bigint') {
    const text = String(value);
    const big = value > 2n ** 32n || value < -(2n ** 32n);
    return `${big ? addNumericalSeparator(text) : text}n`;
  }
  return inspect(value);
}

// ---------------------------------------------------------------------------
// Argument and state errors

// One shared prototype per base class gives `String(err)` its code.
const codeBases = new Map();
function codeBase(Base) {
  let Shared = codeBases.get(Base);
  if (Shared === undefined) {
    Shared = class extends Base {
      toString() {
        return `${this.name} [${this.code}]: ${this.message}`;
      }
    };
    Object.defineProperty(Shared.prototype, kIsNodeError, { value: true });
    codeBases.set(Base, Shared);
  }
  return Shared;
}

const codes = {};

// Defines codes[code]: `new codes[code](...args)` is a Base instance with
// message format(...args); `extra(err, args)` adds own properties after code.
function defineCode(code, Base, format, extra) {
  const Shared = codeBase(Base);
  const NodeError = {
    [code]: class extends Shared {
      constructor(...args) {
        super(format(...args));
        this.code = code;
        if (extra !== undefined) extra(this, args);
        captureStack(this, new.target);
      }
    },
  }[code];
  // Node reports the plain base as the constructor (err.constructor === TypeError).
  Object.defineProperty(NodeError.prototype, 'constructor', {
    value: Base, writable: true, configurable: true, enumerable: false,
  });
  codes[code] = NodeError;
}

defineCode('ERR_INVALID_ARG_TYPE', TypeError, (name, expected, actual) => {
  name = String(name);
  // "The first argument ...", "The "x.y" property ...", "The "x" argument ...".
  const subject = name.endsWith(' argument') ? name
    : `"${name}" ${name.includes('.') ? 'property' : 'argument'}`;
  return `The ${subject} must be ${describeExpected(expected)}. ` +
    `Received ${describeReceived(actual)}`;
});

defineCode('ERR_INVALID_ARG_VALUE', TypeError, (name, value, reason = 'is invalid') => {
  const kind = String(name).includes('.') ? 'property' : 'argument';
  return `The ${kind} '${name}' ${reason}. Received ${inspectTruncated(value, 128)}`;
});

// `bareName` (Node's 4th argument) uses `name` as the whole first sentence.
defineCode('ERR_OUT_OF_RANGE', RangeError, (name, range, received, bareName = false) => {
  const lead = bareName ? name : `The value of "${name}" is out of range.`;
  return `${lead} It must be ${range}. Received ${describeOutOfRange(received)}`;
});

defineCode('ERR_SOCKET_BAD_PORT', RangeError, (name, port) =>
  `${name} should be >= 0 and < 65536. Received ${describeReceived(port)}.`);

defineCode('ERR_MISSING_ARGS', TypeError, (...args) => {
  if (args.length === 0) throw new Error('ERR_MISSING_ARGS needs at least one argument name');
  // An array stands for alternatives: ['a', 'b'] -> '"a" or "b"'.
  const quote = (a) => (Array.isArray(a) ? a.map(quote).join(' or ') : `"${a}"`);
  const names = args.map(quote);
  const noun = names.length === 1 ? 'argument' : 'arguments';
  return `The ${joinWords(names, 'and')} ${noun} must be specified`;
});

// Node formats these with util.format's %s (10n, {}, [], Symbol(s)), not String().
defineCode('ERR_INVALID_IP_ADDRESS', TypeError, (ip) => format('Invalid IP address: %s', ip));
defineCode('ERR_INVALID_ADDRESS_FAMILY', RangeError,
  (addressType, host, port) => `Invalid address family: ${addressType} ${host}:${port}`,
  (err, [, host, port]) => {
    err.host = host;
    err.port = port;
  });
defineCode('ERR_IP_BLOCKED', Error, (ip) => `IP(${ip}) is blocked by net.BlockList`);
defineCode('ERR_INVALID_FD_TYPE', TypeError, (type) => format('Unsupported fd type: %s', type));
defineCode('ERR_INVALID_HANDLE_TYPE', TypeError, () => 'This handle type cannot be sent');
defineCode('ERR_SERVER_ALREADY_LISTEN', Error,
  () => 'Listen method has been called more than once without closing.');
defineCode('ERR_SERVER_NOT_RUNNING', Error, () => 'Server is not running.');
defineCode('ERR_SOCKET_CLOSED', Error, () => 'Socket is closed');
defineCode('ERR_SOCKET_CLOSED_BEFORE_CONNECTION', Error,
  () => 'Socket closed before the connection was established');
defineCode('ERR_SOCKET_CONNECTION_TIMEOUT', Error, () => 'Socket connection timeout');

// ---------------------------------------------------------------------------
// OS errors

let errorMap; // util.getSystemErrorMap() builds a fresh Map; keep one.
function systemErrorMap() {
  if (errorMap === undefined) errorMap = util.getSystemErrorMap();
  return errorMap;
}

// Errnos are negative as libuv reports them; a positive OS errno is accepted too.
function normalizeErrno(errno) {
  return typeof errno === 'number' && errno > 0 ? -errno : errno;
}

// The code Node prints for an errno: 'ECONNREFUSED', 'EOF', or 'Unknown system error -N'.
function errnoName(errno) {
  if (errno === UV_EOF) return 'EOF';
  const entry = systemErrorMap().get(errno);
  return entry !== undefined ? entry[0] : `Unknown system error ${errno}`;
}

// ' 127.0.0.1:80', ' /tmp/sock' or '': Node does not bracket IPv6 ('::1:80').
function hostPortSuffix(address, port) {
  if (port && port > 0) return ` ${address}:${port}`;
  if (address) return ` ${address}`;
  return '';
}

// `read ECONNRESET`, `write EPIPE <original>`: fields errno, code, syscall.
function errnoException(errno, syscall, original) {
  errno = normalizeErrno(errno);
  const code = errnoName(errno);
  const err = new Error(original ? `${syscall} ${code} ${original}` : `${syscall} ${code}`);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  Error.captureStackTrace(err, errnoException);
  return err;
}

// `connect ECONNREFUSED 127.0.0.1:80` (+ ` - Local (additional)`), as Node's
// connect and bind errors: fields errno, code, syscall, address, and port when set.
function exceptionWithHostPort(errno, syscall, address, port, additional) {
  errno = normalizeErrno(errno);
  const code = errnoName(errno);
  let message = `${syscall} ${code}${hostPortSuffix(address, port)}`;
  if (additional) message += ` - Local (${additional})`;
  const err = new Error(message);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  err.address = address;
  if (port) err.port = port;
  Error.captureStackTrace(err, exceptionWithHostPort);
  return err;
}

// `listen EADDRINUSE: address already in use 127.0.0.1:80`: Node's listen errors
// carry libuv's description and list code before errno.
function uvExceptionWithHostPort(errno, syscall, address, port) {
  errno = normalizeErrno(errno);
  const [code, description] = systemErrorMap().get(errno) || ['UNKNOWN', 'unknown error'];
  const err = new Error(`${syscall} ${code}: ${description}${hostPortSuffix(address, port)}`);
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  err.address = address;
  if (port) err.port = port;
  Error.captureStackTrace(err, uvExceptionWithHostPort);
  return err;
}

// An error Node's C++ layer throws (a TypeError or RangeError with a `code` and a bare
// message), e.g. writeBuffer's "Second argument must be a buffer".
function nativeError(Base, code, message) {
  const err = new Base(message);
  err.code = code;
  Error.captureStackTrace(err, nativeError);
  return err;
}

// What net reports when every address of a host failed: the first error's code,
// an empty message, and a stack header `AggregateError [ECONNREFUSED]: `.
function aggregateError(errors, message = '') {
  const err = new AggregateError(errors, message);
  err.code = errors[0] && errors[0].code;
  captureStack(err, aggregateError);
  return err;
}

module.exports = {
  codes,
  errnoException,
  exceptionWithHostPort,
  uvExceptionWithHostPort,
  nativeError,
  aggregateError,
  hideStackFrames,
  uv,
};
