/**
 * Step progress as a tiny external store: the engine's start/done events go in, renderers read out.
 * The plain renderer prints a line per finished step; the ink one re-renders on change.
 */
export interface StepView {
  id: string;
  label: string;
  /** Set once the step has finished. */
  action?: string;
}

export interface StepStore {
  start(id: string, label: string): void;
  done(id: string, action: string): void;
  subscribe(listener: () => void): () => void;
  snapshot(): StepView[];
}

export function createStepStore(): StepStore {
  let steps: StepView[] = [];
  const listeners = new Set<() => void>();
  const emit = () => listeners.forEach((l) => l());
  return {
    start(id, label) {
      steps = [...steps, { id, label }];
      emit();
    },
    done(id, action) {
      // A finished step moves to the end, so finished steps are listed in the order they finished.
      // The ink view prints them with <Static>, which prints only items appended since its last
      // render: steps that ran side by side and finished out of order were otherwise printed twice
      // or never.
      const step = steps.find((s) => s.id === id);
      if (!step) return;
      steps = [...steps.filter((s) => s.id !== id), { ...step, action }];
      emit();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: () => steps,
  };
}
