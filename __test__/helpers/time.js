'use strict';

// Waiting: a plain delay, a delay that does not keep the process alive, a time bound on
// a promise, and polling for a condition.

// Resolves with `value` after `ms`.
function delay(ms, value) {
  return new Promise((resolve) => setTimeout(resolve, ms, value));
}

// Resolves with `value` after `ms`, on a timer that does not keep the process alive: for
// races against an event, which usually win.
function later(ms, value) {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}

// `promise`, or a rejection if it does not settle within `ms`.
function within(ms, what, promise) {
  let timer;
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Resolves once `predicate()` is true, polling every few milliseconds; rejects after `ms`.
async function until(predicate, what = 'condition', ms = 3000) {
  const start = Date.now();
  for (let i = 0; !predicate(); i++) {
    if (Date.now() - start > ms) throw new Error(`${what}: still false after ${ms} ms`);
    await delay(i < 20 ? 1 : 5);
  }
}

module.exports = { delay, later, until, within };
