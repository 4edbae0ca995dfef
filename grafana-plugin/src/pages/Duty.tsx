import { useState } from 'react';
import { Badge, Button, Field, Input, Stack, TextArea } from '@grafana/ui';

import { api } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { Form } from '../components/Form';
import { Loadable } from '../components/Loadable';
import { useAction } from '../components/useAction';
import { Loaded, useLoad } from '../components/useLoad';
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
      <Loadable state={alerts} list={(d) => d.alerts} empty={t('没有告警记录', 'No alerts recorded')}>
        {(list) => <AlertLog list={list} reload={alerts.reload} />}
      </Loadable>
      <h3>{t('交接班记录', 'Handover notes')}</h3>
      <HandoverForm onSaved={logs.reload} />
      <Loadable state={logs} list={(d) => d.records} empty={t('还没有交接班记录', 'No handover notes yet')}>
        {(records) => (
          <ul data-testid="duty-log">
            {records.map((r) => (
              <li key={r.id}>
                <strong>{r.body.date}</strong> {r.createdBy.replace(/^grafana:/, '')}: {r.body.note}
              </li>
            ))}
          </ul>
        )}
      </Loadable>
    </div>
  );
}

function AlertLog({ list, reload }: { list: AlertT[]; reload: Loaded<unknown>['reload'] }) {
  const [notes, setNotes] = useState<Record<number, string>>({});
  const [acking, setAcking] = useState(0);
  const action = useAction();
  const ack = async (id: number) => {
    setAcking(id);
    if (await action.run(() => api('POST', `/recorder/alerts/${id}/ack`, { note: (notes[id] ?? '').trim() }))) {
      setNotes((n) => ({ ...n, [id]: '' }));
      reload();
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
      <ErrorBanner error={action.error} />
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
                  <Button size="sm" disabled={action.busy && acking === a.id} onClick={() => ack(a.id)}>
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
  const action = useAction();
  const err = required(note, 4096);
  const submit = async () => {
    setTouched(true);
    if (err) {
      return;
    }
    const date = todayShanghai();
    if (await action.run(() => api('POST', '/recorder/records', { kind: 'duty-log', title: date, body: { date, note: note.trim() } }))) {
      setNote('');
      setTouched(false);
      onSaved();
    }
  };
  return (
    <Form label={t('交接班记录', 'Handover notes')} onSubmit={submit}>
      <Field label={t('交接班说明', 'Handover note')} invalid={touched && !!err} error={touched ? err : ''}>
        <TextArea aria-label={t('交接班说明', 'Handover note')} rows={2} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <ErrorBanner error={action.error} />
      <Button type="submit" disabled={action.busy}>
        {t('记录', 'Record')}
      </Button>
    </Form>
  );
}
