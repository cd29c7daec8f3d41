'use strict';

// Test data: deterministic bytes and digests.

const crypto = require('node:crypto');

// Deterministic bytes, a seeded xorshift32 stream: lost, repeated or reordered bytes show
// in a comparison or a digest.
function pattern(size, seed = 0x2545f491) {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

module.exports = { pattern, sha256 };
