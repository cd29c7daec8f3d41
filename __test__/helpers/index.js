'use strict';

// The test toolkit, one module per concept:
//   side-by-side.js  run a scenario on Node's net and on the implementation under test;
//                    scopes that close what a test opened; temporary paths; free ports
//   events.js        event logs, the next event, 'close' as a promise
//   clients.js       client sockets: the events to record, peers that answer, their state
//   error-shape.js   what a user can see of an error; what a call threw
//   time.js          delay, later, within, until
//   child.js         child processes with a time bound; RSNET_IMPL for children
//   data.js          deterministic bytes, digests
// The implementation under test is the one RSNET_IMPL names (scripts/impl.js): rsnet
// unless told otherwise.

module.exports = {
  ...require('./side-by-side'),
  ...require('./events'),
  ...require('./clients'),
  ...require('./error-shape'),
  ...require('./time'),
  ...require('./child'),
  ...require('./data'),
};
