/**
 * Reads a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` and the inspector's
 * Profiler write) into self time per place: a package under node_modules, a project file, a part
 * of Node itself, or V8's own bins ((garbage collector), (program), (idle)).
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  /** Of the profile's busy time (idle excluded). */
  share: number;
}

/** Where a frame's code lives: the package for node_modules, the path for a project file. */
export function placeOf(callFrame: CallFrame, projectRoot: string): string {
  const { url, functionName } = callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inModules) return inModules[1] as string;
  return relative(projectRoot, path);
}

/** Self time summed by `keyOf`, largest first; idle time is left out. */
export function selfTimes(profile: CpuProfile, keyOf: (callFrame: CallFrame) => string): SelfTime[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const totals = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's time is the gap to the next sample (the profiler's own convention in DevTools).
  samples.forEach((nodeId, index) => {
    const frame = frames.get(nodeId);
    if (!frame || frame.functionName === '(idle)') return;
    const micros = deltas[index + 1] ?? 0;
    const key = keyOf(frame);
    totals.set(key, (totals.get(key) ?? 0) + micros);
  });
  const busy = [...totals.values()].reduce((sum, micros) => sum + micros, 0);
  return [...totals.entries()].map(([name, micros]) => ({ name, ms: micros / 1000, share: busy > 0 ? micros / busy : 0 })).sort((a, b) => b.ms - a.ms);
}
