import { useState } from 'react';
import { Alert, Button, Field, LoadingPlaceholder, TextArea } from '@grafana/ui';

import { api } from '../api';
import { t, orgRole } from '../i18n';
import { Narrative, NarrativeAnswer } from '../types';
import { ErrorBanner } from './ErrorBanner';
import { Form } from './Form';
import { useAction } from './useAction';
import { useLoad } from './useLoad';

// The server's bound per section (report.MaxNarrativeRunes), in characters
// (code points, as Go counts runes).
export const MAX_NARRATIVE_CHARS = 20000;

// The editable sections in the contract's order (internal/report/narrative.go).
export const narrativeSections: Array<{ key: keyof Narrative; zh: string; en: string }> = [
  { key: 'problems', zh: '主要问题及原因分析', en: 'Main problems and their causes' },
  { key: 'remedies', zh: '整改措施及完成情况', en: 'Remedial measures and their completion' },
  { key: 'nextSteps', zh: '下一步工作计划及建议', en: 'Plan and recommendations' },
];

// validNarrative is the message for one section ('' when valid).
export function validNarrative(v: string): string {
  const n = Array.from(v).length;
  return n > MAX_NARRATIVE_CHARS ? t(`共 ${n} 字，最多 ${MAX_NARRATIVE_CHARS} 字`, `${n} characters; at most ${MAX_NARRATIVE_CHARS}`) : '';
}

// narrativeURL is the route of kind's narrative for a period the report
// routes accept: a month (2026-10), a quarter (2026-Q4), a year (2026), the
// service period (service) in the path; a range (2026-01-01..2026-03-31) as
// ?period= (a path segment cannot hold "..").
export function narrativeURL(kind: string, period: string): string {
  return period.includes('..') ? `/narrative/${kind}?period=${encodeURIComponent(period)}` : `/narrative/${kind}/${period}`;
}

// isMonth: the period is one calendar month (YYYY-MM).
const isMonth = (p: string) => /^\d{4}-\d{2}$/.test(p);

// NarrativeEditor: the editable sections of kind/month's draft (month: any
// period the report routes accept, narrativeURL). An Editor
// (or Admin) writes them (PUT /narrative/…, checked again by the server); a
// Viewer and a frozen month read them. A section left empty is 「（未填写）」
// in the document, and the month cannot be signed off until it is filled.
export function NarrativeEditor({ kind, month, onSaved }: { kind: string; month: string; onSaved?: () => void }) {
  const state = useLoad(() => api<NarrativeAnswer>('GET', narrativeURL(kind, month)), [kind, month]);
  if (state.loading && !state.data) {
    return <LoadingPlaceholder text={t('加载中…', 'Loading…')} />;
  }
  if (state.error) {
    return <ErrorBanner error={state.error} title={t('无法读取报告正文', 'Cannot read the narrative')} />;
  }
  return <NarrativeForm key={`${kind}/${month}`} kind={kind} month={month} loaded={state.data!} onSaved={() => { state.reload(); onSaved?.(); }} />;
}

function NarrativeForm({ kind, month, loaded, onSaved }: { kind: string; month: string; loaded: NarrativeAnswer; onSaved: () => void }) {
  const [values, setValues] = useState<Narrative>(loaded.narrative ?? {});
  const [saved, setSaved] = useState('');
  const action = useAction();
  const canEdit = !loaded.frozen && (orgRole() === 'Editor' || orgRole() === 'Admin');
  const errs = Object.fromEntries(narrativeSections.map((s) => [s.key, validNarrative(values[s.key] ?? '')]));
  const unfilled = narrativeSections.filter((s) => !(loaded.narrative?.[s.key] ?? '').trim());
  const submit = async () => {
    setSaved('');
    if (Object.values(errs).some((e) => e)) {
      return;
    }
    const body: Narrative = {};
    for (const s of narrativeSections) {
      const v = (values[s.key] ?? '').trim();
      if (v) {
        body[s.key] = v;
      }
    }
    await action.run(async () => {
      const r = await api<NarrativeAnswer>('PUT', narrativeURL(kind, month), body);
      setSaved(r.warning ? `${t('已保存', 'Saved')} · ${r.warning}` : t('已保存', 'Saved'));
      onSaved();
    });
  };
  return (
    <Form label={t('报告正文', 'Narrative')} onSubmit={submit}>
      <h3>
        {t('报告正文', 'Narrative')} · {month}
      </h3>
      {loaded.frozen ? (
        <Alert
          severity="info"
          title={isMonth(month) ? t('本月已冻结，正文不能再修改', 'This month is frozen: its narrative can no longer change') : t('本期已冻结，正文不能再修改', 'This period is frozen: its narrative can no longer change')}
        />
      ) : !canEdit ? (
        <Alert severity="info" title={t('只读：编写正文需要 Editor 或更高角色', 'Read only: writing the narrative needs the Editor role or higher')} />
      ) : (
        unfilled.length > 0 && (
          <Alert severity="warning" title={t('未填写的章节：', 'Not filled in: ') + unfilled.map((s) => t(s.zh, s.en)).join(t('、', ', '))}>
            {t('全部填写并保存后才能签署冻结。', 'Fill in and save every section before signing off.')}
          </Alert>
        )
      )}
      {narrativeSections.map((s) => (
        <Field key={s.key} label={t(s.zh, s.en)} invalid={!!errs[s.key]} error={errs[s.key]}>
          <TextArea
            aria-label={t(s.zh, s.en)}
            rows={4}
            disabled={!canEdit}
            value={values[s.key] ?? ''}
            onChange={(e) => setValues({ ...values, [s.key]: e.currentTarget.value })}
          />
        </Field>
      ))}
      <ErrorBanner error={action.error} />
      {saved && <Alert severity="success" title={saved} />}
      {canEdit && (
        <Button type="submit" icon="save" disabled={action.busy}>
          {t('保存正文', 'Save narrative')}
        </Button>
      )}
    </Form>
  );
}
