import { useState } from 'react';
import { Badge, Button, Field, Input, LinkButton, RadioButtonGroup, Stack, TextArea } from '@grafana/ui';

import { api, BASE } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { Form } from '../components/Form';
import { Loadable } from '../components/Loadable';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';
import { t } from '../i18n';
import { Finding, Incident, RecordT } from '../types';
import { formatTime, hasErrors, validDate } from '../validate';

type Status = 'open' | 'rectifying' | 'closed';

const statusText = (s?: string) =>
  s === 'closed' ? t('已关闭', 'closed') : s === 'rectifying' ? t('整改中', 'rectifying') : s === 'overdue' ? t('已逾期', 'overdue') : t('待处理', 'open');

// Incidents: incidents with their annotations (cause, impact, handler,
// timeline, rectification measures, owner, deadline, status) and the
// rectification list (findings).
export function Incidents() {
  const incidents = useLoad(() => api<{ incidents: Array<RecordT<Incident>> }>('GET', '/recorder/incidents?limit=200'), []);
  const findings = useLoad(() => api<{ findings: Array<RecordT<Finding>> }>('GET', '/recorder/findings?limit=200'), []);
  const [editing, setEditing] = useState<RecordT<Incident> | null>(null);

  return (
    <div>
      <h3>{t('事件', 'Incidents')}</h3>
      <Loadable state={incidents} list={(d) => d.incidents} empty={t('没有事件记录', 'No incidents recorded')}>
        {(list) => (
          <table className="filter-table" data-testid="incidents">
            <thead>
              <tr>
                <th>{t('对象', 'Entity')}</th>
                <th>{t('开始', 'Start')}</th>
                <th>{t('状态', 'Status')}</th>
                <th>{t('原因', 'Cause')}</th>
                <th>{t('整改措施', 'Measures')}</th>
                <th>{t('责任人', 'Owner')}</th>
                <th>{t('期限', 'Deadline')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.body.ns}/{r.body.entity}
                  </td>
                  <td>{formatTime(r.body.start)}</td>
                  <td>
                    <Badge color={r.body.status === 'closed' ? 'green' : r.body.status === 'rectifying' ? 'orange' : 'red'} text={statusText(r.body.status)} />
                  </td>
                  <td>{r.body.cause}</td>
                  <td>{r.body.measures}</td>
                  <td>{r.body.owner}</td>
                  <td>{r.body.deadline}</td>
                  <td>
                    <Stack direction="row" gap={1}>
                      {r.signedOffBy ? (
                        t('已签署', 'signed off')
                      ) : (
                        <Button size="sm" variant="secondary" onClick={() => setEditing(r)}>
                          {t('批注', 'Annotate')}
                        </Button>
                      )}
                      <LinkButton size="sm" variant="secondary" icon="eye" href={`${BASE}/documents/incident.html?id=${r.id}`} target="_blank">
                        {t('故障处理情况报告', 'Incident report')}
                      </LinkButton>
                    </Stack>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {editing && (
        <IncidentForm
          key={editing.id}
          record={editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) {
              incidents.reload();
            }
          }}
        />
      )}
      <h3>{t('整改清单', 'Rectification list')}</h3>
      <Loadable state={findings} list={(d) => d.findings} empty={t('没有待整改的问题', 'Nothing to rectify')}>
        {(list) => <Findings list={list} />}
      </Loadable>
    </div>
  );
}

// IncidentForm annotates one incident (PUT /records/{id} with the whole body).
export function IncidentForm({ record, onDone }: { record: RecordT<Incident>; onDone: (saved: boolean) => void }) {
  const b = record.body;
  const [cause, setCause] = useState(b.cause ?? '');
  const [impact, setImpact] = useState(b.impact ?? '');
  const [handler, setHandler] = useState(b.handler ?? '');
  const [measures, setMeasures] = useState(b.measures ?? '');
  const [owner, setOwner] = useState(b.owner ?? '');
  const [deadline, setDeadline] = useState(b.deadline ?? '');
  const [status, setStatus] = useState<Status>(b.status ?? 'open');
  const [entry, setEntry] = useState('');
  const [touched, setTouched] = useState(false);
  const action = useAction();
  const errs: Record<string, string> = {
    deadline: deadline ? validDate(deadline) : status === 'rectifying' ? t('整改中须填写期限', 'A rectification needs a deadline') : '',
    owner: status === 'rectifying' && !owner.trim() ? t('整改中须填写责任人', 'A rectification needs an owner') : [...owner].length > 128 ? t('不超过 128 个字符', 'At most 128 characters') : '',
    cause: status === 'closed' && !cause.trim() ? t('关闭事件须填写原因', 'Closing needs the cause') : '',
    handler: status === 'closed' && !handler.trim() ? t('关闭事件须填写处理人', 'Closing needs the handler') : [...handler].length > 128 ? t('不超过 128 个字符', 'At most 128 characters') : '',
    entry: [...entry].length > 4096 ? t('不超过 4096 个字符', 'At most 4096 characters') : '',
  };
  const show = (k: string) => (touched ? errs[k] : '');
  const save = async () => {
    setTouched(true);
    if (hasErrors(errs)) {
      return;
    }
    const timeline = [...(b.timeline ?? [])];
    if (entry.trim()) {
      timeline.push({ at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), text: entry.trim() });
    }
    const body: Incident = {
      ...b,
      cause: cause.trim() || undefined,
      impact: impact.trim() || undefined,
      handler: handler.trim() || undefined,
      measures: measures.trim() || undefined,
      owner: owner.trim() || undefined,
      deadline: deadline || undefined,
      status,
      timeline: timeline.length ? timeline : undefined,
    };
    if (await action.run(() => api('PUT', `/recorder/records/${record.id}`, { body }))) {
      onDone(true);
    }
  };
  return (
    <Form label={t('批注事件', 'Annotate incident')} onSubmit={save}>
      <h4>
        {t('批注', 'Annotate')} {b.ns}/{b.entity} {formatTime(b.start)}
      </h4>
      {(b.timeline ?? []).length > 0 && (
        <ul>
          {(b.timeline ?? []).map((x, i) => (
            <li key={i}>
              {formatTime(x.at)} {x.text}
            </li>
          ))}
        </ul>
      )}
      <Field label={t('状态', 'Status')}>
        <RadioButtonGroup<Status>
          value={status}
          onChange={(v) => setStatus(v)}
          options={[
            { value: 'open', label: statusText('open') },
            { value: 'rectifying', label: statusText('rectifying') },
            { value: 'closed', label: statusText('closed') },
          ]}
        />
      </Field>
      <Field label={t('原因', 'Cause')} invalid={!!show('cause')} error={show('cause')}>
        <TextArea aria-label={t('原因', 'Cause')} rows={2} value={cause} onChange={(e) => setCause(e.currentTarget.value)} />
      </Field>
      <Field label={t('影响', 'Impact')}>
        <TextArea aria-label={t('影响', 'Impact')} rows={2} value={impact} onChange={(e) => setImpact(e.currentTarget.value)} />
      </Field>
      <Stack direction="row" gap={2}>
        <Field label={t('处理人', 'Handler')} invalid={!!show('handler')} error={show('handler')}>
          <Input aria-label={t('处理人', 'Handler')} value={handler} onChange={(e) => setHandler(e.currentTarget.value)} />
        </Field>
        <Field label={t('整改责任人', 'Owner')} invalid={!!show('owner')} error={show('owner')}>
          <Input aria-label={t('整改责任人', 'Owner')} value={owner} onChange={(e) => setOwner(e.currentTarget.value)} />
        </Field>
        <Field label={t('整改期限', 'Deadline')} invalid={!!show('deadline')} error={show('deadline')}>
          <Input aria-label={t('整改期限', 'Deadline')} placeholder="YYYY-MM-DD" value={deadline} onChange={(e) => setDeadline(e.currentTarget.value.trim())} />
        </Field>
      </Stack>
      <Field label={t('整改措施', 'Rectification measures')}>
        <TextArea aria-label={t('整改措施', 'Rectification measures')} rows={2} value={measures} onChange={(e) => setMeasures(e.currentTarget.value)} />
      </Field>
      <Field label={t('新增时间线条目', 'New timeline entry')} invalid={!!show('entry')} error={show('entry')}>
        <Input aria-label={t('时间线', 'Timeline')} value={entry} onChange={(e) => setEntry(e.currentTarget.value)} />
      </Field>
      <ErrorBanner error={action.error} />
      <Stack direction="row" gap={1}>
        <Button type="submit" disabled={action.busy}>
          {t('保存', 'Save')}
        </Button>
        <Button variant="secondary" onClick={() => onDone(false)}>
          {t('取消', 'Cancel')}
        </Button>
      </Stack>
    </Form>
  );
}

function Findings({ list }: { list: Array<RecordT<Finding>> }) {
  return (
    <table className="filter-table" data-testid="findings">
      <thead>
        <tr>
          <th>{t('问题', 'Finding')}</th>
          <th>{t('来源', 'Source')}</th>
          <th>{t('责任人', 'Owner')}</th>
          <th>{t('期限', 'Deadline')}</th>
          <th>{t('状态', 'Status')}</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.id}>
            <td>
              {r.body.label}
              {r.body.detail ? ` — ${r.body.detail}` : ''}
            </td>
            <td>{r.body.source}</td>
            <td>{r.body.owner ?? '—'}</td>
            <td>{r.body.deadline ?? '—'}</td>
            <td>{statusText(r.body.status)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
