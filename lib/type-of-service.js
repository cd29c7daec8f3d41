'use strict';

// Node 24's type of service: the typeOfService option of a Socket, applied once it
// connects, and socket.setTypeOfService()/getTypeOfService(). Installed on Socket only on
// lines whose net has them (lib/node-line.js).

const { errnoException, codes } = require('./errors');
const { validateInt32 } = require('./validators');
const line = require('./node-line');

const { ERR_INVALID_ARG_TYPE } = codes;

const UV_EBADF = -9;

const kSetTOS = Symbol('kSetTOS');

// Constructor options: checked and kept as Node's Socket does.
function takeOption(socket, options) {
  if (!line.typeOfService) return;
  if (options.typeOfService !== undefined) {
    validateInt32(options.typeOfService, 'options.typeOfService', 0, 255);
  }
  socket[kSetTOS] = options.typeOfService;
}

// After a connect, before 'connect': a failure is reported, the connection kept.
function applyOnConnect(socket) {
  if (!line.typeOfService || socket[kSetTOS] === undefined || socket._handle.pipe) return;
  const err = socket._handle.setTypeOfService(socket[kSetTOS]);
  if (err && err !== UV_EBADF) socket.emit('error', errnoException(err, 'setTypeOfService'));
}

function setTypeOfService(tos) {
  if (Number.isNaN(tos)) throw new ERR_INVALID_ARG_TYPE('tos', 'number', tos);
  validateInt32(tos, 'tos', 0, 255);
  // Before a connect, or on a Unix socket (no such option), the value is only kept.
  if (!this._handle || this._handle.pipe) {
    this[kSetTOS] = tos;
    return this;
  }
  if (tos !== this[kSetTOS]) {
    this[kSetTOS] = tos;
    const err = this._handle.setTypeOfService(tos);
    if (err) throw errnoException(err, 'setTypeOfService');
  }
  return this;
}

function getTypeOfService() {
  if (!this._handle || this._handle.pipe) return this[kSetTOS] !== undefined ? this[kSetTOS] : 0;
  const res = this._handle.getTypeOfService();
  if (res < 0) throw errnoException(res, 'getTypeOfService');
  return res;
}

function install(Socket) {
  if (!line.typeOfService) return;
  Object.defineProperties(Socket.prototype, {
    setTypeOfService: { value: setTypeOfService, writable: true, configurable: true },
    getTypeOfService: { value: getTypeOfService, writable: true, configurable: true },
  });
}

module.exports = { takeOption, applyOnConnect, install };
