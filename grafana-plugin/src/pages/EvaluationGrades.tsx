import { Alert } from '@grafana/ui';

import { api } from '../api';
import { Loadable } from '../components/Loadable';
import { useLoad } from '../components/useLoad';
import { t } from '../i18n';
import { Annual, Assessment } from '../types';

const kindTitle = (k: string) => (k === 'cloud' ? t('云服务商', 'Cloud providers') : k === 'carrier' ? t('运营商', 'Carriers') : k);
const kindOrder = ['cloud', 'carrier'];
// gradesText writes the grade bands as the documents do (eval.gradesText).
const gradesText = (gs: Array<{ grade: string; min: number }> | null | undefined) =>
  (gs ?? []).map((g) => (g.min > 0 ? t(`${g.grade} ≥ ${g.min} 分`, `${g.grade} ≥ ${g.min}`) : t(`其余为 ${g.grade}`, `otherwise ${g.grade}`))).join(t('；', '; '));

// MonthlyGrades: the month's assessment by the indicator system (the
// providers report's evaluation): per kind, each provider's rank, score and
// grade, or 无法评价 with the reason.
export function MonthlyGrades({ assessment }: { assessment?: Assessment }) {
  if (!assessment) {
    return (
      <Alert severity="info" title={t('本月没有按指标体系的评估', 'No assessment by the indicator system for this month')}>
        {t('在应用设置中配置指标体系（jsonData.evaluationConfig）后，服务商报告给出各服务商的得分与等级。', 'Configure the indicator system (app setting jsonData.evaluationConfig) for the providers report to grade the providers.')}
      </Alert>
    );
  }
  return (
    <>
      <p>
        {t('指标体系', 'Indicator system')} {assessment.systemVersion} · {t('等级', 'Grades')}：{gradesText(assessment.grades)}
      </p>
      {assessment.kinds.map((k) => (
        <table key={k.kind} className="filter-table" data-testid={`grades-${k.kind}`}>
          <thead>
            <tr>
              <th>{kindTitle(k.kind)}</th>
              <th>{t('排名', 'Rank')}</th>
              <th>{t('综合得分', 'Score')}</th>
              <th>{t('等级', 'Grade')}</th>
              <th>{t('可评价权重', 'Evaluable weight')}</th>
            </tr>
          </thead>
          <tbody>
            {k.providers.map((p) => (
              <tr key={p.provider}>
                <td>{p.provider}</td>
                <td>{p.rated ? p.rank : '—'}</td>
                <td>{p.rated ? p.score.toFixed(2) : '—'}</td>
                <td>{p.rated ? <strong>{p.grade}</strong> : <span title={p.reason}>{t('无法评价', 'Not rated')}</span>}</td>
                <td>{p.evaluableWeight.toFixed(0)} %</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </>
  );
}

// AnnualRating: the year's rating from the frozen months only
// (GET /evaluation/annual/{YYYY}): per kind, each provider's annual score
// and grade and its months (score and grade, 无法评价 or 未冻结).
export function AnnualRating({ year }: { year: string }) {
  const state = useLoad(() => (year ? api<Annual>('GET', `/evaluation/annual/${year}`) : Promise.resolve(undefined)), [year]);
  const frozen = state.data?.months.filter((m) => m.frozen).map((m) => m.month) ?? [];
  return (
    <>
      <h3>
        {t('年度评级', 'Annual rating')} · {year}
      </h3>
      <p>
        {t('年度评级只读取已冻结的月度评估，未冻结的月份不参与。已冻结：', 'The annual rating reads the frozen monthly assessments only; months not frozen take no part. Frozen: ')}
        {frozen.length ? frozen.join(t('、', ', ')) : t('无', 'none')}
      </p>
      <Loadable
        state={state}
        list={(d) => kindOrder.flatMap((k) => (d?.kinds[k]?.length ? [k] : []))}
        empty={t(`${year} 年还没有已冻结的月度评估：先在「报告」页冻结服务商报告`, `No frozen monthly assessment in ${year} yet: freeze the providers report on the Reports page first`)}
      >
        {(kinds, d) =>
          kinds.map((k) => (
            <table key={k} className="filter-table" data-testid={`annual-${k}`}>
              <thead>
                <tr>
                  <th>{kindTitle(k)}</th>
                  <th>{t('年度得分', 'Annual score')}</th>
                  <th>{t('等级', 'Grade')}</th>
                  <th>{t('可评价月数', 'Rated months')}</th>
                  {Array.from({ length: 12 }, (_, i) => (
                    <th key={i}>{t(`${i + 1}月`, `M${i + 1}`)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {(d?.kinds[k] ?? []).map((p) => (
                  <tr key={p.provider}>
                    <td>{p.provider}</td>
                    <td>{p.ratedMonths > 0 ? p.score.toFixed(2) : '—'}</td>
                    <td>{p.ratedMonths > 0 ? <strong>{p.grade}</strong> : t('无法评价', 'Not rated')}</td>
                    <td>{p.ratedMonths}</td>
                    {p.months.map((c, i) => (
                      <td key={i} style={{ whiteSpace: 'nowrap' }}>
                        {c === '未冻结' ? <span style={{ opacity: 0.5 }}>{t('未冻结', 'not frozen')}</span> : c}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          ))
        }
      </Loadable>
    </>
  );
}
