import { useState } from 'react';
import { Badge, Button, Field, Input, LinkButton, Stack, TextArea } from '@grafana/ui';

import { api, BASE } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { Form } from '../components/Form';
import { Loadable } from '../components/Loadable';
import { useAction } from '../components/useAction';
import { Loaded, useLoad } from '../components/useLoad';
import { t } from '../i18n';
import { Alert as AlertT, RecordT } from '../types';
import { formatSeconds, formatTime, hasErrors, nowShanghaiLocal, oneLine, shanghaiInstant, validDate, validInstant } from '../validate';

// Handover is the body of a record of kind handover, as the recorder
// validates it (records.HandoverBody) and the duty documents read it.
export interface Handover {
  at: string;
  from: string;
  to: string;
  notes: string;
  tickets?: string[];
}

// The server's bounds (internal/records): names, notes, tickets.
const MAX_NAME_BYTES = 128;
const MAX_NOTES_BYTES = 4096;
const MAX_TICKETS = 100;
const MAX_TICKET_BYTES = 64;

// validNotes mirrors the server: required, at most 4096 bytes, no NUL.
function validNotes(v: string): string {
  if (!v.trim()) {
    return t('必填', 'Required');
  }
  if (v.includes('\0') || new TextEncoder().encode(v).length > MAX_NOTES_BYTES) {
    return t(`不超过 ${MAX_NOTES_BYTES} 字节`, `At most ${MAX_NOTES_BYTES} bytes`);
  }
  return '';
}

// parseTickets splits ticket numbers at commas, spaces and line breaks.
export function parseTickets(v: string): string[] {
  return v.split(/[\s,，、]+/).filter(Boolean);
}

// validTickets mirrors the server: at most 100 numbers of ≤ 64 bytes.
export function validTickets(list: string[]): string {
  if (list.length > MAX_TICKETS) {
    return t(`最多 ${MAX_TICKETS} 个工单号`, `At most ${MAX_TICKETS} ticket numbers`);
  }
  const bad = list.find((x) => oneLine(x, MAX_TICKET_BYTES) !== '');
  return bad ? t(`工单号 ${bad.slice(0, 16)}… 超过 ${MAX_TICKET_BYTES} 字节`, `Ticket ${bad.slice(0, 16)}… is over ${MAX_TICKET_BYTES} bytes`) : '';
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
  const logs = useLoad(() => api<{ records: Array<RecordT<Handover>> }>('GET', '/recorder/records?kind=handover&limit=50'), []);
  return (
    <div>
      <h3>{t('告警记录', 'Alert log')}</h3>
      <Loadable state={alerts} list={(d) => d.alerts} empty={t('没有告警记录', 'No alerts recorded')}>
        {(list) => <AlertLog list={list} reload={alerts.reload} />}
      </Loadable>
      <h3>{t('交接班记录', 'Handover notes')}</h3>
      <HandoverForm onSaved={logs.reload} />
      <DutyDocuments />
      <Loadable state={logs} list={(d) => d.records} empty={t('还没有交接班记录', 'No handover notes yet')}>
        {(records) => (
          <ul data-testid="duty-log">
            {records.map((r) => (
              <li key={r.id}>
                <strong>{formatTime(r.body.at)}</strong> {r.body.from} → {r.body.to}: {r.body.notes}
                {r.body.tickets?.length ? ` (${t('工单', 'tickets')} ${r.body.tickets.join(', ')})` : ''}
              </li>
            ))}
          </ul>
        )}
      </Loadable>
    </div>
  );
}

// Acks lists an acknowledged alert's acknowledgements (who, when, note):
// the alert list carries the times only, GET /alerts/{id} the notes; read
// again after each acknowledgement (version).
function Acks({ id, version }: { id: number; version: number }) {
  const detail = useLoad(() => api<AlertT>('GET', `/recorder/alerts/${id}`), [id, version]);
  if (detail.error) {
    return <ErrorBanner error={detail.error} />;
  }
  return (
    <>
      {(detail.data?.acknowledgements ?? []).map((k) => (
        <div key={k.id}>
          {k.who.replace(/^grafana:/, '')} {formatTime(k.at)}
          {k.note ? `：${k.note}` : ''}
        </div>
      ))}
    </>
  );
}

function AlertLog({ list, reload }: { list: AlertT[]; reload: Loaded<unknown>['reload'] }) {
  const [notes, setNotes] = useState<Record<number, string>>({});
  const [acking, setAcking] = useState(0);
  const [acked, setAcked] = useState<Record<number, number>>({});
  const action = useAction();
  const ack = async (id: number) => {
    setAcking(id);
    if (await action.run(() => api('POST', `/recorder/alerts/${id}/ack`, { note: (notes[id] ?? '').trim() }))) {
      setNotes((n) => ({ ...n, [id]: '' }));
      setAcked((v) => ({ ...v, [id]: (v[id] ?? 0) + 1 }));
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
                {a.acknowledgedAt ? <Acks id={a.id} version={acked[a.id] ?? 0} /> : null}
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

// yesterdayShanghai is yesterday's date in Asia/Shanghai (YYYY-MM-DD).
export function yesterdayShanghai(): string {
  const d = new Date(nowShanghaiLocal().slice(0, 10) + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

// DutyDocuments links the documents built from the records: the day's
// 值班日志 and the 值班周报 of its week (GET /documents/…, HTML).
function DutyDocuments() {
  const [day, setDay] = useState(() => yesterdayShanghai());
  const err = validDate(day);
  return (
    <Stack direction="row" gap={2} alignItems="flex-end">
      <Field label={t('值班日期', 'Duty day')} invalid={!!err} error={err}>
        <Input aria-label={t('值班日期', 'Duty day')} type="date" width={22} value={day} onChange={(e) => setDay(e.currentTarget.value)} />
      </Field>
      <div style={{ marginBottom: 16 }}>
        <Stack direction="row" gap={1}>
          <LinkButton variant="secondary" icon="eye" disabled={!!err} href={`${BASE}/documents/duty-daily.html?day=${day}`} target="_blank">
            {t('值班日志', 'Duty log')}
          </LinkButton>
          <LinkButton variant="secondary" icon="eye" disabled={!!err} href={`${BASE}/documents/duty-weekly.html?week=${day}`} target="_blank">
            {t('值班周报', 'Weekly report')}
          </LinkButton>
        </Stack>
      </div>
    </Stack>
  );
}

function HandoverForm({ onSaved }: { onSaved: () => void }) {
  const [at, setAt] = useState(() => nowShanghaiLocal());
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [notes, setNotes] = useState('');
  const [tickets, setTickets] = useState('');
  const [touched, setTouched] = useState(false);
  const action = useAction();
  const errs: Record<string, string> = {
    at: validInstant(at),
    from: oneLine(from, MAX_NAME_BYTES),
    to: oneLine(to, MAX_NAME_BYTES),
    notes: validNotes(notes),
    tickets: validTickets(parseTickets(tickets)),
  };
  const show = (k: string) => (touched ? errs[k] : '');
  const submit = async () => {
    setTouched(true);
    if (hasErrors(errs)) {
      return;
    }
    const body: Handover = { at: shanghaiInstant(at), from: from.trim(), to: to.trim(), notes: notes.trim() };
    const list = parseTickets(tickets);
    if (list.length) {
      body.tickets = list;
    }
    if (await action.run(() => api('POST', '/recorder/records', { kind: 'handover', title: t('交接班', 'Handover'), body }))) {
      setNotes('');
      setTickets('');
      setTouched(false);
      onSaved();
    }
  };
  return (
    <Form label={t('交接班记录', 'Handover notes')} onSubmit={submit}>
      <Stack direction="row" gap={2} wrap="wrap">
        <Field label={t('交接时间', 'Handed over at')} invalid={!!show('at')} error={show('at')}>
          <Input aria-label={t('交接时间', 'Handed over at')} type="datetime-local" width={30} value={at} onChange={(e) => setAt(e.currentTarget.value)} />
        </Field>
        <Field label={t('交班人', 'From')} invalid={!!show('from')} error={show('from')}>
          <Input aria-label={t('交班人', 'From')} width={20} value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label={t('接班人', 'To')} invalid={!!show('to')} error={show('to')}>
          <Input aria-label={t('接班人', 'To')} width={20} value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </Field>
        <Field label={t('工单号', 'Tickets')} invalid={!!show('tickets')} error={show('tickets')}>
          <Input aria-label={t('工单号', 'Tickets')} width={30} value={tickets} onChange={(e) => setTickets(e.currentTarget.value)} />
        </Field>
      </Stack>
      <Field label={t('交接班说明', 'Handover note')} invalid={!!show('notes')} error={show('notes')}>
        <TextArea aria-label={t('交接班说明', 'Handover note')} rows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
      </Field>
      <ErrorBanner error={action.error} />
      <Button type="submit" disabled={action.busy}>
        {t('记录', 'Record')}
      </Button>
    </Form>
  );
}
