import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a sample's self time goes, by the frame on top of the stack. */
const CATEGORIES: Array<[string, (frame: ProfileNode['callFrame']) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['gc', (f) => f.functionName === '(garbage collector)'],
  ['write (writev & co)', (f) => /^write(v|Buffer|Utf8String|Latin1String)$/.test(f.functionName)],
  [
    'decode (ws receiver, JSON.parse, validate)',
    (f) =>
      f.functionName === 'parse' ||
      f.functionName === 'utf8Slice' ||
      /ws\/lib\/(receiver|buffer-util|validation)\.js|protocol\/(codec|validate|depth)\.ts/.test(
        f.url,
      ),
  ],
  [
    'encode (ws sender, JSON.stringify)',
    (f) => f.functionName === 'stringify' || /ws\/lib\/sender\.js/.test(f.url),
  ],
  ['program (native, unattributed)', (f) => f.functionName === '(program)'],
];

export interface ProfileSummary {
  file: string;
  wallMs: number;
  activeMs: number;
  /** Active CPU per message, µs. */
  usPerMessage: number;
  /** Share of active (non-idle) time per category, %. */
  shares: Record<string, number>;
  top: Array<{ fn: string; selfMs: number; share: number }>;
}

/**
 * Self time of a V8 .cpuprofile inside [fromUs, toUs] (the monotonic clock the profiler and
 * process.hrtime share), split by category and per message.
 */
export function summariseProfile(
  file: string,
  window: { fromUs: number; toUs: number; messages: number },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (at < window.fromUs || at > window.toUs) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const category = CATEGORIES.find(([, test]) => test(frame))?.[0] ?? 'other JS';
    categories.set(category, (categories.get(category) ?? 0) + us);
    total += us;
    if (category === 'idle') continue;
    const where = frame.url
      ? ` ${frame.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const active = total - (categories.get('idle') ?? 0);
  const share = (us: number) => Math.round((1000 * us) / active) / 10;
  const shares: Record<string, number> = {};
  for (const [name, us] of [...categories].sort((a, b) => b[1] - a[1])) {
    if (name !== 'idle') shares[name] = share(us);
  }
  return {
    file,
    wallMs: Math.round((window.toUs - window.fromUs) / 1000),
    activeMs: Math.round(active / 1000),
    usPerMessage: Math.round((10 * active) / window.messages) / 10,
    shares,
    top: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([fn, us]) => ({ fn, selfMs: Math.round(us / 1000), share: share(us) })),
  };
}

/** The main-thread profiles in `dir` (file names end in .<pid>.<thread>.<seq>.cpuprofile). */
export function mainThreadProfilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.0\.\d+\.cpuprofile$/.test(name))
    .map((name) => join(dir, name));
}
