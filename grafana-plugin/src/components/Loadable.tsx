import { ReactNode } from 'react';
import { Alert, LoadingPlaceholder } from '@grafana/ui';

import { t } from '../i18n';
import { ErrorBanner } from './ErrorBanner';
import { Loaded } from './useLoad';

// Loadable shows what a useLoad state holds: a placeholder while it first
// loads, Grafana's error banner with the message, an info banner (empty)
// when list(data) is empty, else children(data).
export function Loadable<T, I>({ state, list, empty, children }: { state: Loaded<T>; list: (d: T) => I[]; empty: string; children: (items: I[], d: T) => ReactNode }) {
  if (state.loading && !state.data) {
    return <LoadingPlaceholder text={t('加载中…', 'Loading…')} />;
  }
  if (state.error) {
    return <ErrorBanner error={state.error} />;
  }
  const items = state.data ? list(state.data) : [];
  if (items.length === 0) {
    return <Alert severity="info" title={empty} />;
  }
  return <>{children(items, state.data as T)}</>;
}
