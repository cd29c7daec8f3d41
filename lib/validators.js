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

const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

function requireNumber(value, name) {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
}

// Any number, NaN and Infinity included.
function validateNumber(value, name) {
  requireNumber(value, name);
}

function checkInteger(value, name, min, max) {
  requireNumber(value, name);
  if (!Number.isInteger(value)) throw new ERR_OUT_OF_RANGE(name, 'an integer', value);
  if (value < min || value > max) throw new ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
}

function validateInteger(value, name, min, max) {
  checkInteger(value, name, min, max);
}

function validateInt32(value, name, min, max = INT32_MAX) {
  checkInteger(value, name, min, max);
}

function validateUint32(value, name) {
  checkInteger(value, name, 0, UINT32_MAX);
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

// As Node's (with no flags): null, arrays and functions are refused.
function validateObject(value, name) {
  if (value === null || Array.isArray(value) || typeof value !== 'object') {
    throw new ERR_INVALID_ARG_TYPE(name, 'object', value);
  }
}

// undefined (no signal) is fine; anything else must look like an AbortSignal.
function validateAbortSignal(signal, name) {
  if (signal === undefined) return;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw new ERR_INVALID_ARG_TYPE(name, 'AbortSignal', signal);
  }
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

// Returns the port as a number.
function validatePort(port, name = 'Port') {
  if (!isLegalPort(port)) throw new ERR_SOCKET_BAD_PORT(name, port);
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
  validatePort: hideStackFrames(validatePort),
  getTimerDuration: hideStackFrames(getTimerDuration),
};
