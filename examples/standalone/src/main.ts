import { runCli } from './cli.js';

/**
 * `pnpm start`: the same as `certwright serve` — the ACME server and the
 * status listener, running until SIGTERM or SIGINT.
 */
runCli(['serve', ...process.argv.slice(2)], process.env, process.cwd()).then((code) => process.exit(code));
