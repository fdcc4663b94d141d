// Types for bench/adaptive.mjs, which test/e2e/dev-adaptive.test.ts imports (one measurement, two readers).
export interface Figures {
  requests: number;
  delivered: number;
  goodputPerS: number;
  share503: number;
  p50Ms: number;
  p99Ms: number;
}
export interface Run extends Figures {
  args: string;
  accepted: number;
  saturated: boolean;
}
export interface AdaptiveResult {
  unloadedMs: number;
  unloadedP99Ms: number;
  sweep: (Run & { concurrency: number })[];
  best: { concurrency: number; goodputPerS: number };
  worst: { concurrency: number; goodputPerS: number };
  adaptive: Run & {
    share503WholeRun: number;
    halved: {
      followS: number | null;
      saturated: boolean;
      tail: Figures;
      buckets: { goodputPerS: number; share503: number; p99Ms: number }[];
    };
  };
  ratios: {
    goodputVsBest: number | null;
    goodputVsWorst: number | null;
    p50VsUnloaded: number | null;
    p99VsUnloaded: number | null;
    p99VsUnloadedP99: number | null;
    halvedGoodputVsHalfBest: number | null;
    halvedP99VsUnloadedP99: number | null;
  };
}
export function adaptiveScenario(options?: {
  statics?: number[];
  webhooks?: number;
  warmMs?: number;
  windowMs?: number;
  ceiling?: number;
  afterHalvingS?: number;
  progress?: (message: string) => void;
}): Promise<AdaptiveResult>;
export interface CapacityUpstream {
  url: string;
  log: { at: number; status: number; ms: number }[];
  readonly maxInside: number;
  setCapacity(c: { workers?: number; rejectAt?: number }): void;
  close(): Promise<void>;
}
export function startCapacityUpstream(options?: {
  workers?: number;
  serviceMs?: number;
  rejectAt?: number;
}): Promise<CapacityUpstream>;
export function windowFigures(log: CapacityUpstream['log'], from: number, to: number): Figures;
