import { useState } from 'react';
import { Alert, Badge, Button, Field, Input, LoadingPlaceholder, RadioButtonGroup, Stack, TextArea } from '@grafana/ui';

import { api } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { Form } from '../components/Form';
import { Loadable } from '../components/Loadable';
import { useAction } from '../components/useAction';
import { Row } from '../components/Row';
import { useLoad } from '../components/useLoad';
import { orgRole, t } from '../i18n';
import { Checklists, OnsiteInspection, RecordT, RemoteInspection } from '../types';
import { formatTime, hasErrors, midnightShanghai, required, todayShanghai, validDate } from '../validate';

// Inspections: today's remote inspections (abnormal items highlighted), the
// day's on-site inspection form and the on-site history.
export function Inspections() {
  const today = todayShanghai();
  const remote = useLoad(
    () => api<{ inspections: Array<RecordT<RemoteInspection>> }>('GET', `/recorder/inspections?kind=remote&since=${encodeURIComponent(midnightShanghai(today))}`),
    [today]
  );
  const onsite = useLoad(() => api<{ inspections: Array<RecordT<OnsiteInspection>> }>('GET', '/recorder/inspections?kind=onsite&limit=30'), []);
  return (
    <div>
      <h3>{t('今日远程巡检', "Today's remote inspections")}</h3>
      <Loadable state={remote} list={(d) => d.inspections} empty={t('今天还没有远程巡检记录', 'No remote inspection today yet')}>
        {(list) => <RemoteList list={list} />}
      </Loadable>
      <h3>{t('现场巡检', 'On-site inspection')}</h3>
      <OnsiteForm onSaved={onsite.reload} />
      <h3>{t('现场巡检记录', 'On-site history')}</h3>
      <Loadable state={onsite} list={(d) => d.inspections} empty={t('还没有现场巡检记录', 'No on-site inspection recorded yet')}>
        {(list) => <OnsiteHistory list={list} reload={onsite.reload} />}
      </Loadable>
    </div>
  );
}

function RemoteList({ list }: { list: Array<RecordT<RemoteInspection>> }) {
  return (
    <div>
      {list.map((r) => {
        const b = r.body;
        return (
          <div key={r.id} data-testid="remote-inspection" style={{ marginBottom: 16 }}>
            <Stack direction="row" gap={1} alignItems="center">
              <strong>{formatTime(b.slot)}</strong>
              {b.status === 'missed' ? (
                <Badge color="red" text={t('未完成', 'Missed')} tooltip={b.reason} />
              ) : (
                <Badge color={b.abnormal ? 'red' : 'green'} text={`${t('正常', 'normal')} ${b.normal ?? 0} · ${t('异常', 'abnormal')} ${b.abnormal ?? 0} · ${t('无数据', 'no data')} ${b.noData ?? 0}`} />
              )}
            </Stack>
            {b.status === 'missed' && b.reason && <p>{b.reason}</p>}
            {(b.items ?? []).length > 0 && (
              <table className="filter-table">
                <thead>
                  <tr>
                    <th>{t('检查项', 'Item')}</th>
                    <th>{t('阈值', 'Threshold')}</th>
                    <th>{t('结果', 'Result')}</th>
                    <th>{t('详情', 'Detail')}</th>
                  </tr>
                </thead>
                <tbody>
                  {(b.items ?? []).map((it) => (
                    <tr key={it.name} data-abnormal={it.result !== '正常'} style={it.result === '异常' ? { background: 'rgba(224, 47, 68, 0.15)' } : undefined}>
                      <td>{it.label || it.name}</td>
                      <td>{it.op ? `${it.op} ${it.threshold ?? ''} ${it.unit ?? ''}` : ''}</td>
                      <td>
                        <Badge color={it.result === '正常' ? 'green' : it.result === '异常' ? 'red' : 'orange'} text={it.result} />
                      </td>
                      <td>
                        {it.error ??
                          (it.series ?? [])
                            .filter((s) => s.result === '异常')
                            .map((s) => `${Object.values(s.labels ?? {}).join(' ')} = ${s.value}`)
                            .join('; ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      })}
    </div>
  );
}

type Answer = { result: '' | '正常' | '异常'; note: string };

// OnsiteForm: every checklist item answered once, 异常 with a note; the
// inspector and the reviewer (the Admin who signs it off) are named.
export function OnsiteForm({ onSaved }: { onSaved: () => void }) {
  const lists = useLoad(() => api<Checklists>('GET', '/recorder/checklists'), []);
  const [date, setDate] = useState(todayShanghai());
  const [inspector, setInspector] = useState('');
  const [reviewer, setReviewer] = useState('');
  const [notes, setNotes] = useState('');
  const [answers, setAnswers] = useState<Record<string, Answer>>({});
  const [touched, setTouched] = useState(false);
  const [saved, setSaved] = useState('');
  const action = useAction();

  if (lists.loading && !lists.data) {
    return <LoadingPlaceholder text={t('加载中…', 'Loading…')} />;
  }
  if (lists.error) {
    return <ErrorBanner error={lists.error} />;
  }
  const items = lists.data?.onsite?.items ?? [];
  if (items.length === 0) {
    return <Alert severity="info" title={t('未配置现场巡检清单', 'No on-site checklist is configured')}>{t('在记录服务的 inspections.onsite.checklist_file 中配置。', 'Configure inspections.onsite.checklist_file in the recorder.')}</Alert>;
  }
  const errs: Record<string, string> = {
    date: validDate(date, todayShanghai()),
    inspector: required(inspector),
    reviewer: required(reviewer),
    notes: [...notes].length > 4096 ? t('不超过 4096 个字符', 'At most 4096 characters') : '',
  };
  for (const it of items) {
    const a = answers[it.name] ?? { result: '', note: '' };
    errs['item:' + it.name] = !a.result ? t('请选择正常或异常', 'Choose normal or abnormal') : a.result === '异常' && !a.note.trim() ? t('异常须填写说明', 'An abnormal item needs a note') : '';
  }
  const show = (k: string) => (touched ? errs[k] : '');
  const set = (name: string, a: Partial<Answer>) => setAnswers((x) => ({ ...x, [name]: { ...(x[name] ?? { result: '', note: '' }), ...a } }));

  const submit = async () => {
    setTouched(true);
    setSaved('');
    if (hasErrors(errs)) {
      return;
    }
    const body: OnsiteInspection = {
      date,
      inspector: inspector.trim(),
      reviewer: reviewer.trim(),
      notes: notes.trim() || undefined,
      items: items.map((it) => ({ name: it.name, result: answers[it.name].result as '正常' | '异常', note: answers[it.name].note.trim() || undefined })),
    };
    await action.run(async () => {
      const r = await api<{ inspection: RecordT; findings?: RecordT[] }>('POST', '/recorder/inspections/onsite', body);
      setSaved(t(`已保存现场巡检 #${r.inspection.id}，待 ${body.reviewer} 签署；新发现问题 ${r.findings?.length ?? 0} 项。`, `On-site inspection #${r.inspection.id} saved, for ${body.reviewer} to sign off; ${r.findings?.length ?? 0} new findings.`));
      setAnswers({});
      setTouched(false);
      onSaved();
    });
  };

  return (
    <Form label={t('现场巡检', 'On-site inspection')} onSubmit={submit}>
      <Stack direction="row" gap={2} wrap="wrap">
        <Field label={t('日期', 'Date')} invalid={!!show('date')} error={show('date')}>
          <Input aria-label={t('日期', 'Date')} width={16} value={date} onChange={(e) => setDate(e.currentTarget.value.trim())} />
        </Field>
        <Field label={t('巡检人', 'Inspector')} invalid={!!show('inspector')} error={show('inspector')}>
          <Input aria-label={t('巡检人', 'Inspector')} width={20} value={inspector} onChange={(e) => setInspector(e.currentTarget.value)} />
        </Field>
        <Field label={t('复核人（管理员）', 'Reviewer (Admin)')} invalid={!!show('reviewer')} error={show('reviewer')}>
          <Input aria-label={t('复核人', 'Reviewer')} width={20} value={reviewer} onChange={(e) => setReviewer(e.currentTarget.value)} />
        </Field>
      </Stack>
      {items.map((it) => {
        const a = answers[it.name] ?? { result: '', note: '' };
        const err = show('item:' + it.name);
        return (
          <Field key={it.name} label={it.label || it.name} description={it.hint} invalid={!!err} error={err}>
            <Row>
              <RadioButtonGroup
                value={a.result || undefined}
                onChange={(v) => set(it.name, { result: v })}
                options={[
                  { value: '正常' as const, label: t('正常', 'Normal') },
                  { value: '异常' as const, label: t('异常', 'Abnormal') },
                ]}
              />
              <Input aria-label={`${it.label || it.name} ${t('说明', 'note')}`} placeholder={t('说明（异常必填）', 'Note (required if abnormal)')} value={a.note} onChange={(e) => set(it.name, { note: e.currentTarget.value })} />
            </Row>
          </Field>
        );
      })}
      <Field label={t('备注', 'Notes')} invalid={!!show('notes')} error={show('notes')}>
        <TextArea aria-label={t('备注', 'Notes')} rows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
      </Field>
      <ErrorBanner error={action.error} />
      {touched && hasErrors(errs) && <Alert severity="warning" title={t('请更正标出的字段', 'Correct the marked fields')} />}
      {saved && <Alert severity="success" title={saved} />}
      <Button type="submit" disabled={action.busy}>
        {t('提交现场巡检', 'Submit on-site inspection')}
      </Button>
    </Form>
  );
}

function OnsiteHistory({ list, reload }: { list: Array<RecordT<OnsiteInspection>>; reload: () => void }) {
  const action = useAction();
  const signOff = async (id: number) => {
    if (await action.run(() => api('POST', `/recorder/records/${id}/sign-off`))) {
      reload();
    }
  };
  return (
    <>
    <ErrorBanner error={action.error} />
    <table className="filter-table" data-testid="onsite-history">
      <thead>
        <tr>
          <th>{t('日期', 'Date')}</th>
          <th>{t('巡检人', 'Inspector')}</th>
          <th>{t('复核人', 'Reviewer')}</th>
          <th>{t('正常/异常', 'Normal/abnormal')}</th>
          <th>{t('签署', 'Signed off')}</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.id}>
            <td>{r.body.date}</td>
            <td>{r.body.inspector}</td>
            <td>{r.body.reviewer}</td>
            <td>
              {r.body.normal ?? 0} / <span style={r.body.abnormal ? { color: '#e02f44', fontWeight: 'bold' } : undefined}>{r.body.abnormal ?? 0}</span>
            </td>
            <td>
              {r.signedOffBy ? (
                `${r.signedOffBy.replace(/^grafana:/, '')} ${formatTime(r.signedOffAt)}`
              ) : orgRole() === 'Admin' ? (
                <Button size="sm" disabled={action.busy} onClick={() => signOff(r.id)}>
                  {t('签署', 'Sign off')}
                </Button>
              ) : (
                t('待签署', 'pending')
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    </>
  );
}
