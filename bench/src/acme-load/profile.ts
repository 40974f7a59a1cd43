/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, the `.cpuprofile` JSON):
 * self time per function, summed over the sample time deltas, and the share
 * of each in the non-idle time.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** One row of the summary. */
export interface SelfTime {
  /** `functionName (file:line)`, paths shortened to the package. */
  fn: string;
  ms: number;
  /** Share of the non-idle sampled time, 0–1. */
  share: number;
}

/** A summarised profile. */
export interface ProfileSummary {
  /** Non-idle sampled milliseconds. */
  busyMs: number;
  top: SelfTime[];
  /** Self time grouped by where the code lives (package or node internals). */
  byOrigin: SelfTime[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pnpm) return `${pnpm[1]}/${pnpm[2]}`;
  const pkg = /\/(packages|examples)\/([^/]+)\/dist\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}/${pkg[3]}`;
  return url.replace(/^file:\/\//, '');
}

function origin(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : 'native (V8 builtins, C++: crypto, TLS, SQLite …)';
  if (url.startsWith('node:')) return 'Node.js internals (node:…)';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[1]!;
  const pkg = /\/(packages|examples)\/([^/]+)\//.exec(url);
  if (pkg) return pkg[1] === 'packages' ? `@certwright/${pkg[2]}` : `examples/${pkg[2]}`;
  return url;
}

/**
 * Reads and summarises `path`; `top` rows of functions. With `windowUs`
 * (monotonic microseconds, the clock of the profile's timestamps) only the
 * samples inside that window count, so start-up and shutdown are left out.
 */
export function summariseProfile(path: string, top: number, windowUs?: [number, number]): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnMs = new Map<string, number>();
  const originMs = new Map<string, number>();
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (windowUs !== undefined && (at < windowUs[0] || at > windowUs[1])) return;
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    busyUs += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'}${url ? ` (${shortUrl(url)}:${lineNumber + 1})` : ''}`;
    fnMs.set(key, (fnMs.get(key) ?? 0) + dt);
    const o = origin(url, functionName);
    originMs.set(o, (originMs.get(o) ?? 0) + dt);
  });
  const rows = (m: Map<string, number>): SelfTime[] =>
    [...m.entries()].map(([fn, us]) => ({ fn, ms: us / 1000, share: busyUs === 0 ? 0 : us / busyUs })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busyUs / 1000, top: rows(fnMs).slice(0, top), byOrigin: rows(originMs) };
}
