import { useState } from 'react';
import { Alert, Button, Field, Input, LoadingPlaceholder, Select, Stack } from '@grafana/ui';

import { api } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { Form } from '../components/Form';
import { Loadable } from '../components/Loadable';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';
import { t } from '../i18n';
import { Assessment, ManualScore, ProviderScore, RecordT, ReportsList } from '../types';
import { AnnualRating, MonthlyGrades } from './EvaluationGrades';
import { formatSeconds, formatTime, hasErrors, oneLine, validMonth, validScore } from '../validate';

const pct = (x: number) => (isFinite(x) ? `${(x * 100).toFixed(3)} %` : '—');
const num = (x: number) => (isFinite(x) ? x.toFixed(1) : '—');

// Evaluation: the indicator table per provider (from the month's providers
// report) and the manual scores with their evidence.
export function Evaluation() {
  const list = useLoad(() => api<ReportsList>('GET', '/reports'), []);
  const [month, setMonth] = useState('');
  const m = month || list.data?.months[0]?.month || '';
  const doc = useLoad(
    () => (m ? api<{ providers?: ProviderScore[]; evaluation?: Assessment }>('GET', `/reports/providers/${m}.json`) : Promise.resolve({ providers: [] })),
    [m]
  );
  const scores = useLoad(() => api<{ records: Array<RecordT<ManualScore>> }>('GET', '/recorder/records?kind=eval_manual_score&limit=1000'), []);

  if (list.loading && !list.data) {
    return <LoadingPlaceholder text={t('加载中…', 'Loading…')} />;
  }
  if (list.error) {
    return <ErrorBanner error={list.error} />;
  }
  const providers = doc.data?.providers ?? [];
  return (
    <div>
      <Field label={t('月份', 'Month')}>
        <Select aria-label={t('月份', 'Month')} width={16} value={m} options={(list.data?.months ?? []).map((x) => ({ value: x.month, label: x.month }))} onChange={(v) => setMonth(v.value ?? '')} />
      </Field>
      <h3>{t('月度等级', 'Monthly grades')}</h3>
      {doc.data && <MonthlyGrades assessment={doc.data.evaluation} />}
      <AnnualRating year={m.slice(0, 4)} />
      <h3>{t('服务商指标', 'Indicators per provider')}</h3>
      <Loadable state={doc} list={(d) => d.providers ?? []} empty={t('本月没有服务商数据', 'No provider data for this month')}>
        {(providers) => (
          <table className="filter-table" data-testid="providers">
            <thead>
              <tr>
                <th>{t('服务商', 'Provider')}</th>
                <th>{t('对象数', 'Entities')}</th>
                <th>{t('可用率', 'Availability')}</th>
                <th>{t('达标数', 'Met SLA')}</th>
                <th>{t('事件数', 'Incidents')}</th>
                <th>MTTR</th>
                <th>{t('可用率得分', 'S availability')}</th>
                <th>{t('SLA 得分', 'S SLA')}</th>
                <th>{t('事件得分', 'S incidents')}</th>
                <th>{t('恢复得分', 'S recovery')}</th>
                <th>{t('综合得分', 'Score')}</th>
              </tr>
            </thead>
            <tbody>
              {providers.map((p) => (
                <tr key={p.provider}>
                  <td>{p.provider}</td>
                  <td>{p.entities}</td>
                  <td>{pct(p.availability)}</td>
                  <td>{p.met}</td>
                  <td>{p.incidents}</td>
                  <td>{formatSeconds(p.mttrSeconds)}</td>
                  <td>{num(p.scoreAvailability)}</td>
                  <td>{num(p.scoreSLA)}</td>
                  <td>{num(p.scoreIncidents)}</td>
                  <td>{num(p.scoreRecovery)}</td>
                  <td>
                    <strong>{num(p.score)}</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      <h3>{t('人工评分', 'Manual scores')}</h3>
      <Loadable state={scores} list={(d) => d.records.filter((r) => r.body.period === m)} empty={t('本月还没有人工评分', 'No manual score for this month yet')}>
        {(manual) => (
          <table className="filter-table" data-testid="manual-scores">
            <thead>
              <tr>
                <th>{t('服务商', 'Provider')}</th>
                <th>{t('指标', 'Indicator')}</th>
                <th>{t('分数', 'Score')}</th>
                <th>{t('依据', 'Evidence')}</th>
                <th>{t('评分人', 'By')}</th>
                <th>{t('时间', 'At')}</th>
              </tr>
            </thead>
            <tbody>
              {manual.map((r) => (
                <tr key={r.id}>
                  <td>{r.body.provider}</td>
                  <td>
                    {r.body.kind} / {r.body.indicator}
                  </td>
                  <td>{r.body.score}</td>
                  <td>{r.body.evidence}</td>
                  <td>{(r.body.author ?? r.createdBy).replace(/^grafana:/, '')}</td>
                  <td>{formatTime(r.body.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      <ScoreForm month={m} providers={providers.map((p) => p.provider)} onSaved={scores.reload} />
    </div>
  );
}

// The server's bounds (internal/eval ManualScore.Check).
const MAX_PROVIDER_BYTES = 256;
const MAX_EVIDENCE_BYTES = 1024;
const MAX_INDICATOR_BYTES = 128;
const kinds = () => [
  { value: 'cloud' as const, label: t('云服务商', 'Cloud') },
  { value: 'carrier' as const, label: t('运营商', 'Carrier') },
];

// ScoreForm enters a manual score (0 … 100; the recorder checks the
// indicator's own maximum and that it is a manual one) with its evidence.
export function ScoreForm({ month, providers, onSaved }: { month: string; providers: string[]; onSaved: () => void }) {
  const [kind, setKind] = useState<ManualScore['kind']>('cloud');
  const [provider, setProvider] = useState('');
  const [indicator, setIndicator] = useState('');
  const [score, setScore] = useState('');
  const [evidence, setEvidence] = useState('');
  const [touched, setTouched] = useState(false);
  const action = useAction();
  const errs: Record<string, string> = {
    month: validMonth(month),
    provider: oneLine(provider, MAX_PROVIDER_BYTES),
    indicator: oneLine(indicator, MAX_INDICATOR_BYTES),
    score: validScore(score),
    evidence: oneLine(evidence, MAX_EVIDENCE_BYTES),
  };
  const show = (k: string) => (touched ? errs[k] : '');
  const submit = async () => {
    setTouched(true);
    if (hasErrors(errs)) {
      return;
    }
    const body: ManualScore = { kind, provider: provider.trim(), indicator: indicator.trim(), period: month, score: Number(score), evidence: evidence.trim() };
    if (await action.run(() => api('POST', '/recorder/records', { kind: 'eval_manual_score', title: `人工评分 ${body.provider} ${body.indicator} ${month}`, body }))) {
      setIndicator('');
      setScore('');
      setEvidence('');
      setTouched(false);
      onSaved();
    }
  };
  return (
    <Form label={t('人工评分', 'Manual score')} onSubmit={submit}>
      <Stack direction="row" gap={2} wrap="wrap">
        <Field label={t('类别', 'Kind')}>
          <Select aria-label={t('类别', 'Kind')} width={14} value={kind} options={kinds()} onChange={(v) => setKind(v.value ?? 'cloud')} />
        </Field>
        <Field label={t('服务商', 'Provider')} invalid={!!show('provider')} error={show('provider')}>
          <Input aria-label={t('服务商', 'Provider')} list="jianguan-providers" width={20} value={provider} onChange={(e) => setProvider(e.currentTarget.value)} />
        </Field>
        <datalist id="jianguan-providers">
          {providers.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <Field label={t('指标', 'Indicator')} invalid={!!show('indicator')} error={show('indicator')}>
          <Input aria-label={t('指标', 'Indicator')} placeholder="vuln_rectification" width={24} value={indicator} onChange={(e) => setIndicator(e.currentTarget.value)} />
        </Field>
        <Field label={t('分数（0–100）', 'Score (0–100)')} invalid={!!show('score')} error={show('score')}>
          <Input aria-label={t('分数', 'Score')} width={10} value={score} onChange={(e) => setScore(e.currentTarget.value)} />
        </Field>
      </Stack>
      <Field label={t('评分依据（文件号、记录号）', 'Evidence (document or record number)')} invalid={!!show('evidence')} error={show('evidence')}>
        <Input aria-label={t('评分依据', 'Evidence')} value={evidence} onChange={(e) => setEvidence(e.currentTarget.value)} />
      </Field>
      {show('month') && <Alert severity="warning" title={show('month')} />}
      <ErrorBanner error={action.error} />
      <Button type="submit" disabled={action.busy}>
        {t('提交评分', 'Submit score')}
      </Button>
    </Form>
  );
}
