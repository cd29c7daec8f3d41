'use strict';

// Module-wide defaults that net.setDefault*() change, as Node 20 starts them.
const { validateBoolean, validateInt32 } = require('./validators');

// Node's command-line flags set net's defaults; they set rsnet's the same way.
const nodeNet = require('node:net');

const defaults = {
  autoSelectFamily: nodeNet.getDefaultAutoSelectFamily(),
  autoSelectFamilyAttemptTimeout: nodeNet.getDefaultAutoSelectFamilyAttemptTimeout(),
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
