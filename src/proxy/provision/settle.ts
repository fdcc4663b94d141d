/**
 * Steps that run side by side must all have finished before a failure is reported: with a plain
 * Promise.all the command would return (and the user re-run it) while a sibling step is still creating
 * its resource, and the re-run would then race it into a duplicate (two HTTP APIs of the same name).
 */
export async function settleAll<T extends readonly unknown[] | []>(
  tasks: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(tasks);
  for (const r of results as PromiseSettledResult<unknown>[]) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** How to tell the user what a step's AWS error means and what to do next. */
export function stepHint(err: unknown, verb: 'create' | 'destroy'): string {
  const name = (err as { name?: string })?.name ?? '';
  if (/^AccessDenied(Exception)?$|UnauthorizedOperation/.test(name)) {
    return (
      `Your AWS identity lacks a permission for this step: templates/operator-policy.json lists what ` +
      `webhook-proxy needs. Then run the same ${verb} command again: it continues from here.`
    );
  }
  return verb === 'create'
    ? 'Everything before this step is in place. Fix the cause above, then run the same create command ' +
        'again: it continues from here and changes nothing that is already right.'
    : 'Run the same destroy command again once the cause is fixed: it continues from here.';
}
