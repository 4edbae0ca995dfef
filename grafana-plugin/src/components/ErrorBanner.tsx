import { Alert } from '@grafana/ui';

import { t } from '../i18n';

// ErrorBanner is Grafana's error Alert with the backend's message.
export function ErrorBanner({ error, title }: { error: string; title?: string }) {
  if (!error) {
    return null;
  }
  return (
    <Alert severity="error" title={title ?? t('出错了', 'Something went wrong')}>
      {error}
    </Alert>
  );
}
