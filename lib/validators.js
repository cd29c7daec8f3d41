'use strict';

// Argument checks that throw exactly what Node 20's net throws for the same
// bad input. Exported validators are wrapped so their errors point at the caller.

const { codes, hideStackFrames } = require('./errors');

const {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_OUT_OF_RANGE,
  ERR_SOCKET_BAD_PORT,
} = codes;

// validateObject flags (numbers, as Node's); an options object works too.
const kValidateObjectNone = 0;
const kValidateObjectAllowNullable = 1;
const kValidateObjectAllowArray = 2;
const kValidateObjectAllowFunction = 4;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

function requireNumber(value, name) {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
}

// Node names only the bounds that were given: '>= 0', '<= 5', '>= 0 && <= 5'.
function describeRange(min, max) {
  if (min != null && max != null) return `>= ${min} && <= ${max}`;
  return min != null ? `>= ${min}` : `<= ${max}`;
}

// Any number, NaN and Infinity included, unless a bound is given.
function validateNumber(value, name, min, max) {
  requireNumber(value, name);
  const bounded = min != null || max != null;
  if ((min != null && value < min) || (max != null && value > max) ||
      (bounded && Number.isNaN(value))) {
    throw new ERR_OUT_OF_RANGE(name, describeRange(min, max), value);
  }
}

function checkInteger(value, name, min, max) {
  requireNumber(value, name);
  if (!Number.isInteger(value)) throw new ERR_OUT_OF_RANGE(name, 'an integer', value);
  if (value < min || value > max) throw new ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
}

function validateInteger(value, name, min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER) {
  checkInteger(value, name, min, max);
}

function validateInt32(value, name, min = INT32_MIN, max = INT32_MAX) {
  checkInteger(value, name, min, max);
}

// `positive` excludes 0.
function validateUint32(value, name, positive = false) {
  checkInteger(value, name, positive ? 1 : 0, UINT32_MAX);
}

function validateString(value, name) {
  if (typeof value !== 'string') throw new ERR_INVALID_ARG_TYPE(name, 'string', value);
}

function validateStringWithoutNullBytes(value, name) {
  validateString(value, name);
  if (value.includes('\0')) {
    throw new ERR_INVALID_ARG_VALUE(name, value, 'must be a string without null bytes');
  }
}

function validateBoolean(value, name) {
  if (typeof value !== 'boolean') throw new ERR_INVALID_ARG_TYPE(name, 'boolean', value);
}

function validateFunction(value, name) {
  if (typeof value !== 'function') throw new ERR_INVALID_ARG_TYPE(name, 'function', value);
}

// Like Node 20: null, arrays and functions are refused unless allowed, by flags
// (kValidateObject*) or by an options object { nullable, allowArray, allowFunction }.
function validateObject(value, name, options = kValidateObjectNone) {
  let nullable;
  let allowArray;
  let allowFunction;
  if (typeof options === 'number') {
    nullable = (options & kValidateObjectAllowNullable) !== 0;
    allowArray = (options & kValidateObjectAllowArray) !== 0;
    allowFunction = (options & kValidateObjectAllowFunction) !== 0;
  } else {
    ({ nullable = false, allowArray = false, allowFunction = false } = options || {});
  }
  let ok;
  if (value === null) ok = nullable;
  else if (Array.isArray(value)) ok = allowArray;
  else if (typeof value === 'function') ok = allowFunction;
  else ok = typeof value === 'object';
  if (!ok) throw new ERR_INVALID_ARG_TYPE(name, 'object', value);
}

// undefined (no signal) is fine; anything else must look like an AbortSignal.
function validateAbortSignal(signal, name) {
  if (signal === undefined) return;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw new ERR_INVALID_ARG_TYPE(name, 'AbortSignal', signal);
  }
}

function validateOneOf(value, name, oneOf) {
  if (oneOf.includes(value)) return;
  const allowed = oneOf.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
  throw new ERR_INVALID_ARG_VALUE(name, value, `must be one of: ${allowed}`);
}

// A number or numeric string (any form Number() reads: ' 80 ', '0x50', '1e1')
// naming an integer in 0..65535. Blank strings and other types are not ports.
function isLegalPort(port) {
  if (typeof port === 'string') {
    if (port.trim() === '') return false;
  } else if (typeof port !== 'number') {
    return false;
  }
  const n = Number(port);
  return Number.isInteger(n) && n >= 0 && n <= 0xFFFF;
}

// Returns the port as a number. Only the number 0 counts as zero for
// `allowZero = false`: Node lets the string '0' through.
function validatePort(port, name = 'Port', allowZero = true) {
  if (!isLegalPort(port) || (port === 0 && !allowZero)) {
    throw new ERR_SOCKET_BAD_PORT(name, port, allowZero);
  }
  return Number(port) >>> 0;
}

const TIMEOUT_MAX = 2 ** 31 - 1;

// socket.setTimeout()'s check: a finite number >= 0. As Node's timers, a longer one is
// cut to the longest a timer takes, with a TimeoutOverflowWarning.
function getTimerDuration(msecs, name) {
  requireNumber(msecs, name);
  if (msecs < 0 || !Number.isFinite(msecs)) {
    throw new ERR_OUT_OF_RANGE(name, 'a non-negative finite number', msecs);
  }
  if (msecs > TIMEOUT_MAX) {
    process.emitWarning(`${msecs} does not fit into a 32-bit signed integer.` +
      `\nTimer duration was truncated to ${TIMEOUT_MAX}.`, 'TimeoutOverflowWarning');
    return TIMEOUT_MAX;
  }
  return msecs;
}

module.exports = {
  validateNumber: hideStackFrames(validateNumber),
  validateInteger: hideStackFrames(validateInteger),
  validateInt32: hideStackFrames(validateInt32),
  validateUint32: hideStackFrames(validateUint32),
  validateString: hideStackFrames(validateString),
  validateStringWithoutNullBytes: hideStackFrames(validateStringWithoutNullBytes),
  validateBoolean: hideStackFrames(validateBoolean),
  validateFunction: hideStackFrames(validateFunction),
  validateObject: hideStackFrames(validateObject),
  validateAbortSignal: hideStackFrames(validateAbortSignal),
  validateOneOf: hideStackFrames(validateOneOf),
  validatePort: hideStackFrames(validatePort),
  getTimerDuration: hideStackFrames(getTimerDuration),
  isLegalPort,
  kValidateObjectNone,
  kValidateObjectAllowNullable,
  kValidateObjectAllowArray,
  kValidateObjectAllowFunction,
};
