import { useCallback, useEffect, useState } from 'react';

import { errorMessage } from '../api';

export interface Loaded<T> {
  data?: T;
  error: string;
  loading: boolean;
  reload: () => void;
}

// useLoad runs load on mount and on reload(), keeping the data, the error
// message and whether it is loading.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error: string; loading: boolean }>({ error: '', loading: true });
  const [n, setN] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => live && setState({ data, error: '', loading: false }),
      (e) => live && setState({ error: errorMessage(e), loading: false })
    );
    return () => {
      live = false;
    };
  }, [run, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}
