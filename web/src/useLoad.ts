import { useEffect, useState } from 'react';
import { ApiError } from './api.ts';

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: ApiError };

/** Runs `load` once per mount; an answer that arrives after unmount is dropped. */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: callers pass a fresh closure each render; loading once is the point.
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setResult({ state: 'ok', data }),
      (err: unknown) => live && setResult({ state: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, []);
  return result;
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'Could not reach the Orderly server. Check that it is running and try again.');
}
