import { useState } from 'react';
import { Alert, Badge, Button, Field, Input, LoadingPlaceholder, Stack, TextArea } from '@grafana/ui';

import { api, errorMessage } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { useLoad } from '../components/useLoad';
import { t } from '../i18n';
import { Alert as AlertT, RecordT } from '../types';
import { formatSeconds, formatTime, required, todayShanghai } from '../validate';

interface DutyLog {
  date: string;
  note: string;
}

// median of the finite numbers (undefined when there are none).
export function median(xs: Array<number | null | undefined>): number | undefined {
  const v = xs.filter((x): x is number => typeof x === 'number' && isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) {
    return undefined;
  }
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Duty: the alert log with acknowledgement (and a note), the response
// times, and the handover notes of the duty log.
export function Duty() {
  const alerts = useLoad(() => api<{ alerts: AlertT[] }>('GET', '/recorder/alerts?limit=200'), []);
  const logs = useLoad(() => api<{ records: Array<RecordT<DutyLog>> }>('GET', '/recorder/records?kind=duty-log&limit=50'), []);
  return (
    <div>
      <h3>{t('告警记录', 'Alert log')}</h3>
      <AlertLog state={alerts} />
      <h3>{t('交接班记录', 'Handover notes')}</h3>
      <HandoverForm onSaved={logs.reload} />
      {logs.error ? (
        <ErrorBanner error={logs.error} />
      ) : (logs.data?.records ?? []).length === 0 ? (
        !logs.loading && <Alert severity="info" title={t('还没有交接班记录', 'No handover notes yet')} />
      ) : (
        <ul data-testid="duty-log">
          {(logs.data?.records ?? []).map((r) => (
            <li key={r.id}>
              <strong>{r.body.date}</strong> {r.createdBy.replace(/^grafana:/, '')}: {r.body.note}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AlertLog({ state }: { state: ReturnType<typeof useLoad<{ alerts: AlertT[] }>> }) {
  const [notes, setNotes] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState('');
  if (state.loading && !state.data) {
    return <LoadingPlaceholder text={t('加载中…', 'Loading…')} />;
  }
  if (state.error) {
    return <ErrorBanner error={state.error} />;
  }
  const list = state.data?.alerts ?? [];
  if (list.length === 0) {
    return <Alert severity="info" title={t('没有告警记录', 'No alerts recorded')} />;
  }
  const ack = async (id: number) => {
    setBusy(id);
    setError('');
    try {
      await api('POST', `/recorder/alerts/${id}/ack`, { note: (notes[id] ?? '').trim() });
      setNotes((n) => ({ ...n, [id]: '' }));
      state.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(0);
    }
  };
  return (
    <div>
      <Stack direction="row" gap={2}>
        <span>
          {t('通知时间中位数', 'Median time to notify')}: <strong>{formatSeconds(median(list.map((a) => a.timeToNotifySeconds)))}</strong>
        </span>
        <span>
          {t('响应时间中位数', 'Median time to acknowledge')}: <strong>{formatSeconds(median(list.map((a) => a.timeToAcknowledgeSeconds)))}</strong>
        </span>
        <span>
          {t('恢复时间中位数', 'Median time to resolve')}: <strong>{formatSeconds(median(list.map((a) => a.timeToResolveSeconds)))}</strong>
        </span>
      </Stack>
      <ErrorBanner error={error} />
      <table className="filter-table" data-testid="alert-log">
        <thead>
          <tr>
            <th>{t('告警', 'Alert')}</th>
            <th>{t('状态', 'Status')}</th>
            <th>{t('发现', 'Detected')}</th>
            <th>{t('通知用时', 'To notify')}</th>
            <th>{t('响应用时', 'To acknowledge')}</th>
            <th>{t('恢复用时', 'To resolve')}</th>
            <th>{t('确认', 'Acknowledgements')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.id}>
              <td>
                {a.alertname}
                {a.annotations?.summary ? ` — ${a.annotations.summary}` : ''}
              </td>
              <td>
                <Badge color={a.status === 'firing' ? 'red' : 'green'} text={a.status === 'firing' ? t('告警中', 'firing') : t('已恢复', 'resolved')} />
              </td>
              <td>{formatTime(a.detectedAt)}</td>
              <td>{formatSeconds(a.timeToNotifySeconds)}</td>
              <td>{formatSeconds(a.timeToAcknowledgeSeconds)}</td>
              <td>{formatSeconds(a.timeToResolveSeconds)}</td>
              <td>
                {(a.acknowledgements ?? []).map((k) => (
                  <div key={k.id}>
                    {k.who.replace(/^grafana:/, '')} {formatTime(k.at)}
                    {k.note ? `：${k.note}` : ''}
                  </div>
                ))}
                <Stack direction="row" gap={1}>
                  <Input
                    aria-label={`${t('备注', 'note')} ${a.id}`}
                    placeholder={t('备注', 'Note')}
                    value={notes[a.id] ?? ''}
                    onChange={(e) => {
                      const v = e.currentTarget.value;
                      setNotes((n) => ({ ...n, [a.id]: v }));
                    }}
                  />
                  <Button size="sm" disabled={busy === a.id} onClick={() => ack(a.id)}>
                    {a.acknowledgedAt ? t('补充备注', 'Add note') : t('确认', 'Acknowledge')}
                  </Button>
                </Stack>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HandoverForm({ onSaved }: { onSaved: () => void }) {
  const [note, setNote] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const err = required(note, 4096);
  const submit = async () => {
    setTouched(true);
    if (err) {
      return;
    }
    setBusy(true);
    setError('');
    try {
      const date = todayShanghai();
      await api('POST', '/recorder/records', { kind: 'duty-log', title: date, body: { date, note: note.trim() } });
      setNote('');
      setTouched(false);
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      aria-label={t('交接班记录', 'Handover notes')}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <Field label={t('交接班说明', 'Handover note')} invalid={touched && !!err} error={touched ? err : ''}>
        <TextArea aria-label={t('交接班说明', 'Handover note')} rows={2} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <ErrorBanner error={error} />
      <Button type="submit" disabled={busy}>
        {t('记录', 'Record')}
      </Button>
    </form>
  );
}
