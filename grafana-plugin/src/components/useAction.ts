import { useState } from 'react';

import { errorMessage } from '../api';

// useAction runs one write at a time: busy while it runs, the error message
// if it fails (cleared when the next one starts). run resolves to whether it
// succeeded.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (f: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError('');
    try {
      await f();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
