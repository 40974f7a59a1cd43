/**
 * CPU time of a process from /proc/<pid>/stat (utime + stime, fields 14 and
 * 15, proc(5)), in seconds, with the clock tick rate from `getconf CLK_TCK`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Reads the clock ticks per second once. */
export function clockTicks(): number {
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!Number.isFinite(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK gave ${ticks}`);
  return ticks;
}

/** User + system CPU seconds consumed so far by `pid` (its threads included, not its children). */
export function processCpuSeconds(pid: number, ticks: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticks;
}
