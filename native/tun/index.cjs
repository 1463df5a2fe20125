'use strict';
// Loads the compiled addon (built by `node-gyp rebuild` on install).
module.exports = require('./build/Release/attestd_tun.node');
