'use strict';

// What a user can see of an error, as a plain object two implementations' errors can be
// compared by; and small helpers that catch what a call throws.

const assert = require('node:assert/strict');

// The fields Node's system and DNS errors carry.
const FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'hostname', 'localAddress', 'localPort'];

// The shape of `err`: its class, name, message, the first line of its stack, its own keys
// and the fields above it has (an AggregateError's errors too). `masker` (a side-by-side
// Run, or anything with a mask(value) method) replaces the ports and paths a run happened
// to get by stable names. Options:
//   header: false leaves the stack's first line out;
//   detail: true adds String(err), the values of all its own keys (a bigint as text) and
//     whether it is an Error, a TypeError, a RangeError: for errors built by different code.
function errorShape(err, masker, { header = true, detail = false } = {}) {
  if (!(err instanceof Error)) return { notAnError: err === undefined ? 'undefined' : String(err) };
  const mask = (v) => (masker ? masker.mask(v) : v);
  const shape = {
    ctor: err.constructor.name,
    name: err.name,
    message: mask(err.message),
  };
  if (header) shape.header = mask(String(err.stack).split('\n')[0]);
  shape.keys = Object.keys(err);
  for (const key of FIELDS) {
    if (key in err) shape[key] = mask(err[key]);
  }
  if (err instanceof AggregateError) shape.errors = err.errors.map((e) => errorShape(e, masker, { header, detail }));
  if (detail) {
    shape.string = mask(String(err));
    shape.values = shape.keys.map((k) => (typeof err[k] === 'bigint' ? `${err[k]}n` : mask(err[k])));
    shape.isError = err instanceof Error;
    shape.isTypeError = err instanceof TypeError;
    shape.isRangeError = err instanceof RangeError;
  }
  return shape;
}

// What fn() threw; fails the test if it returns.
function caught(fn, what = 'the call') {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail(`${what}: expected a throw`);
}

// What fn() threw (its shape), or what it returned (an object by its class's name).
function outcome(fn, masker) {
  try {
    const value = fn();
    return { returned: typeof value === 'object' && value !== null ? value.constructor.name : value };
  } catch (err) {
    return { threw: errorShape(err, masker) };
  }
}

module.exports = { caught, errorShape, outcome };
