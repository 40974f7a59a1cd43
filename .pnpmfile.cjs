// Native addons (better-sqlite3, pkcs11js) are compiled by node-gyp during
// `pnpm install`. Build them against the headers of the Node.js that runs
// pnpm when it ships them (Debian's nodejs does, under /usr/include/node), so
// node-gyp need not download headers (machines without internet access).
// pnpm reads only auth settings from .npmrc and passes lifecycle scripts a
// filtered environment, hence this hook; an explicit npm_config_nodedir wins.
const { existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

module.exports = {
  hooks: {
    updateConfig(config) {
      if (process.env.npm_config_nodedir) return config;
      const prefix = resolve(dirname(process.execPath), '..');
      if (!existsSync(join(prefix, 'include', 'node', 'node.h'))) return config;
      config.extraEnv = { ...config.extraEnv, npm_config_nodedir: prefix };
      return config;
    },
  },
};
