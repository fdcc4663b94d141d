/**
 * The ink view of a multi-step run (create, destroy): finished steps in <Static> (printed once,
 * never redrawn), running ones with a spinner below them.
 */
import { Box, Static, Text } from 'ink';
import Spinner from 'ink-spinner';
import { useSyncExternalStore } from 'react';
import type { StepStore, StepView } from './step-store.js';

const COLOURS: Record<string, string> = {
  created: 'green',
  updated: 'yellow',
  deleted: 'red',
  unchanged: 'gray',
  absent: 'gray',
  kept: 'yellow',
  failed: 'red',
};

function Done({ step }: { step: StepView }) {
  const failed = step.action === 'failed';
  return (
    <Text>
      <Text color={failed ? 'red' : 'green'}>{failed ? '✗' : '✓'}</Text> {step.label}{' '}
      <Text color={COLOURS[step.action ?? ''] ?? 'white'}>{step.action}</Text>
    </Text>
  );
}

export function Steps({ store, title }: { store: StepStore; title?: string }) {
  const steps = useSyncExternalStore(store.subscribe, store.snapshot);
  const finished = steps.filter((s) => s.action);
  const running = steps.filter((s) => !s.action);
  return (
    <>
      <Static items={finished}>{(step) => <Done key={step.id} step={step} />}</Static>
      <Box flexDirection="column">
        {title && running.length > 0 ? <Text bold>{title}</Text> : null}
        {running.map((s) => (
          <Text key={s.id}>
            <Text color="cyan">
              <Spinner type="dots" />
            </Text>{' '}
            {s.label}
          </Text>
        ))}
      </Box>
    </>
  );
}
