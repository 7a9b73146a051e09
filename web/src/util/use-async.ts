// Load something when its inputs change; the page renders loading, error or value.
import { useCallback, useEffect, useRef, useState } from 'react';

export type AsyncState<T> =
  { status: 'loading' } | { status: 'error'; error: Error } | { status: 'done'; value: T };

/**
 * New inputs show "loading"; `reload()` keeps the current value on screen until the new one
 * arrives, so components below it keep their state (a sync's progress, an open row).
 */
export function useAsync<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const reloading = useRef(false);
  useEffect(() => {
    let current = true;
    if (!reloading.current) setState({ status: 'loading' });
    reloading.current = false;
    load().then(
      (value) => current && setState({ status: 'done', value }),
      (error: unknown) =>
        current &&
        setState({
          status: 'error',
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => {
    reloading.current = true;
    setRound((r) => r + 1);
  }, []);
  return { ...state, reload };
}
