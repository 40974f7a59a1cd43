/**
 * One server per data directory: `certwright serve` holds `server.pid`
 * while it runs. The data directory's CRL files (`crls/`) are written by one
 * process only, so a second server and `certwright crl publish` refuse to
 * run beside a live one (several nodes each use their own data directory
 * over a shared database, whose CRL numbers are one sequence). A file left
 * by a crashed server (its process is gone) is replaced.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file's path. */
export function serverLockPath(dataDir: string): string {
  return join(dataDir, 'server.pid');
}

/** Whether process `pid` exists (EPERM: it exists, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live server using `dataDir`, if any. */
export function liveServerPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(serverLockPath(dataDir), 'utf8').trim();
  } catch {
    return undefined;
  }
  const pid = /^[1-9][0-9]*$/.test(text) ? Number(text) : undefined;
  return pid !== undefined && pid !== process.pid && alive(pid) ? pid : undefined;
}

/**
 * Takes the data directory for this process; returns the release function.
 * Throws naming the other server's pid when one is running.
 */
export function acquireServerLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = serverLockPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = liveServerPid(dataDir);
      if (other !== undefined) throw new Error(`another certwright serve (pid ${other}) is using the data directory ${dataDir}; stop it first, or use another CERTWRIGHT_DATA_DIR`, { cause: err });
      // Left by a server that is gone: take it over.
      unlinkSync(path);
    }
  }
  throw new Error(`cannot take ${path}: it keeps reappearing; is another server starting at the same time?`);
}
