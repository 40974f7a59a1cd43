// `pnpm bench [--quick] [names…]`: builds the packages and the benchmarks, then
// runs them in one process so every figure has its peer from the same run.
import { execFileSync } from 'node:child_process';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
run('pnpm', ['build']);
run('npx', ['tsc', '-p', 'bench/tsconfig.json']);
run(process.execPath, ['bench/dist/run.js', ...process.argv.slice(2)]);
