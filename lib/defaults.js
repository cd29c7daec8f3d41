'use strict';

// Module-wide defaults that net.setDefault*() change, as Node 20 starts them.
const { validateBoolean, validateInt32 } = require('./validators');

const defaults = {
  autoSelectFamily: true,
  autoSelectFamilyAttemptTimeout: 250,
};

function getDefaultAutoSelectFamily() {
  return defaults.autoSelectFamily;
}

function setDefaultAutoSelectFamily(value) {
  validateBoolean(value, 'value');
  defaults.autoSelectFamily = value;
}

function getDefaultAutoSelectFamilyAttemptTimeout() {
  return defaults.autoSelectFamilyAttemptTimeout;
}

function setDefaultAutoSelectFamilyAttemptTimeout(value) {
  validateInt32(value, 'value', 1);
  defaults.autoSelectFamilyAttemptTimeout = value < 10 ? 10 : value;
}

module.exports = defaults;
Object.defineProperties(module.exports, {
  getDefaultAutoSelectFamily: { value: getDefaultAutoSelectFamily },
  setDefaultAutoSelectFamily: { value: setDefaultAutoSelectFamily },
  getDefaultAutoSelectFamilyAttemptTimeout: { value: getDefaultAutoSelectFamilyAttemptTimeout },
  setDefaultAutoSelectFamilyAttemptTimeout: { value: setDefaultAutoSelectFamilyAttemptTimeout },
});
