/**
 * What a Lambda entry point builds once per container (configuration, the SQS client). A failed build
 * is forgotten, so the next invocation tries again: kept, its rejected promise would fail every later
 * invocation of the container (each `deliver` batch would reach the DLQ without one delivery attempt).
 */
export function initOnce<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = build();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}
