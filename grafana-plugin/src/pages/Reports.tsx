import { useMemo, useState } from 'react';
import { Alert, Button, ConfirmModal, Field, Input, LinkButton, LoadingPlaceholder, RadioButtonGroup, Select, Stack } from '@grafana/ui';

import { api, BASE } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { NarrativeEditor } from '../components/NarrativeEditor';
import { useAction } from '../components/useAction';
import { useLoad } from '../components/useLoad';
import { t } from '../i18n';
import { FreezeResult, RecordT, ReportsList } from '../types';
import { monthsBetween, formatTime, validMonth } from '../validate';

type PeriodType = 'month' | 'quarter' | 'year' | 'service' | 'custom';

export interface ReportsProps {
  // serviceStart is the first month of the service period (jsonData.serviceStart, YYYY-MM).
  serviceStart?: string;
}

const kindNames: Record<string, [string, string]> = {
  infrastructure: ['数据机房基础设施', 'Infrastructure'],
  lines: ['线路检查与巡检', 'Lines'],
  hosts: ['云主机与网站可用性', 'Hosts & websites'],
  providers: ['云服务商综合评估', 'Providers'],
};

// The kinds whose documents carry the editable sections (the backend's
// report.HasNarrative: every report kind). The editor's own period selector
// offers the chosen period as a whole — the quarter (2026-Q4), the year, the
// service period or the custom range (its dates) — and each of its months;
// the whole period comes first (a quarter's or service period's report
// carries its own narrative, not its last month's).
const narrativeKinds = ['infrastructure', 'lines', 'hosts', 'providers'];

const quartersZH = ['', '一', '二', '三', '四'];

// lastDay is the last date of month YYYY-MM (YYYY-MM-DD).
export function lastDay(m: string): string {
  const [y, mo] = m.split('-').map(Number);
  return `${m}-${String(new Date(Date.UTC(y, mo, 0)).getUTCDate()).padStart(2, '0')}`;
}

function kindName(k: string): string {
  const n = kindNames[k];
  return n ? t(n[0], n[1]) : k;
}

// freezeInfo is who froze a month, from the records the backend writes at
// each freeze (kind report-freeze).
interface FreezeBody {
  kind: string;
  month: string;
  sha256: string;
  frozenAt: string;
}

// Reports: pick a period, a kind and a format; preview or download each
// month's report; an Admin freezes (signs off) a month after confirming.
export function Reports({ serviceStart }: ReportsProps) {
  const list = useLoad(() => api<ReportsList>('GET', '/reports'), []);
  const freezes = useLoad(
    () => api<{ records: Array<RecordT<FreezeBody>> }>('GET', '/recorder/records?kind=report-freeze&limit=1000'),
    []
  );
  const [period, setPeriod] = useState<PeriodType>('month');
  const [month, setMonth] = useState('');
  const [year, setYear] = useState('');
  const [quarter, setQuarter] = useState('1');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [kind, setKind] = useState('infrastructure');
  const [format, setFormat] = useState('html');
  const [confirm, setConfirm] = useState<string>('');
  // The narrative period picked for one choice of period (scope): a new
  // period choice starts again from its whole period.
  const [narrativePick, setNarrativePick] = useState({ scope: '', value: '' });
  const [result, setResult] = useState<FreezeResult | null>(null);
  const action = useAction();

  const offered = useMemo(() => list.data?.months.map((m) => m.month) ?? [], [list.data]);

  // The months of the chosen period that can be reported (complete and offered).
  // whole: the chosen period as the report routes name it (null: a month,
  // or a period not yet valid).
  const { months, periodError, whole } = useMemo(() => {
    let want: string[] = [];
    let err = '';
    let all: { value: string; label: string } | null = null;
    switch (period) {
      case 'month':
        want = month ? [month] : offered.slice(0, 1);
        break;
      case 'quarter': {
        const y = year || offered[0]?.slice(0, 4) || '';
        const q = Number(quarter);
        want = y ? monthsBetween(`${y}-${String(q * 3 - 2).padStart(2, '0')}`, `${y}-${String(q * 3).padStart(2, '0')}`) : [];
        all = y ? { value: `${y}-Q${q}`, label: t(`${y}年第${quartersZH[q]}季度`, `Q${q} ${y}`) } : null;
        break;
      }
      case 'year': {
        const y = year || offered[0]?.slice(0, 4) || '';
        want = y ? monthsBetween(`${y}-01`, `${y}-12`) : [];
        all = y ? { value: y, label: t(`${y}年`, y) } : null;
        break;
      }
      case 'service':
        if (!serviceStart || validMonth(serviceStart)) {
          err = t('未配置服务期起始月（应用设置 jsonData.serviceStart，YYYY-MM）', 'No service period start is configured (app setting jsonData.serviceStart, YYYY-MM)');
        } else {
          want = monthsBetween(serviceStart, offered[0] ?? serviceStart);
          all = { value: 'service', label: t('服务期', 'Service period') };
        }
        break;
      case 'custom':
        err = validMonth(from) || validMonth(to);
        if (!err && from > to) {
          err = t('起始月不能晚于结束月', 'The first month is after the last');
        }
        if (!err) {
          want = monthsBetween(from, to);
          all = { value: `${from}-01..${lastDay(to)}`, label: `${from}-01 … ${lastDay(to)}` };
        }
        break;
    }
    const set = new Set(offered);
    return { months: want.filter((m) => set.has(m)).sort().reverse(), periodError: err, whole: all };
  }, [period, month, year, quarter, from, to, offered, serviceStart]);

  if (list.loading && !list.data) {
    return <LoadingPlaceholder text={t('加载中…', 'Loading…')} />;
  }
  if (list.error) {
    return <ErrorBanner error={list.error} />;
  }
  const d = list.data!;
  // The narrative's period: the whole period, then each of its months.
  const narrativeOptions = [...(whole ? [whole] : []), ...months.map((m) => ({ value: m, label: m }))];
  const scope = [period, month, year, quarter, from, to].join('|');
  const picked = narrativePick.scope === scope ? narrativePick.value : '';
  const narr = narrativeOptions.find((o) => o.value === picked)?.value ?? narrativeOptions[0]?.value ?? '';
  const narrFrozen = d.months.find((x) => x.month === narr)?.frozen[kind] ?? false;
  const years = Array.from(new Set(offered.map((m) => m.slice(0, 4))));
  const frozenBy = new Map<string, RecordT<FreezeBody>>();
  for (const r of freezes.data?.records ?? []) {
    const key = `${r.body.kind}/${r.body.month}`;
    if (!frozenBy.has(key)) {
      frozenBy.set(key, r);
    }
  }

  const freeze = async (m: string) => {
    setConfirm('');
    await action.run(async () => {
      setResult(await api<FreezeResult>('POST', `/reports/${kind}/${m}/freeze`));
      list.reload();
      freezes.reload();
    });
  };

  return (
    <div>
      <p>{t('报告按 Asia/Shanghai 自然月计算；季度、年度和服务期由其各月报告组成。', 'Reports cover calendar months in Asia/Shanghai; a quarter, a year or the service period consists of its months.')}</p>
      <Stack direction="row" gap={2} wrap="wrap">
        <Field label={t('期间', 'Period')}>
          <RadioButtonGroup<PeriodType>
            value={period}
            onChange={(v) => setPeriod(v)}
            options={[
              { value: 'month', label: t('月度', 'Month') },
              { value: 'quarter', label: t('季度', 'Quarter') },
              { value: 'year', label: t('年度', 'Year') },
              { value: 'service', label: t('服务期', 'Service period') },
              { value: 'custom', label: t('自定义', 'Custom') },
            ]}
          />
        </Field>
        {period === 'month' && (
          <Field label={t('月份', 'Month')}>
            <Select aria-label={t('月份', 'Month')} width={16} value={month || offered[0]} options={offered.map((m) => ({ value: m, label: m }))} onChange={(v) => setMonth(v.value ?? '')} />
          </Field>
        )}
        {(period === 'quarter' || period === 'year') && (
          <Field label={t('年份', 'Year')}>
            <Select aria-label={t('年份', 'Year')} width={12} value={year || years[0]} options={years.map((y) => ({ value: y, label: y }))} onChange={(v) => setYear(v.value ?? '')} />
          </Field>
        )}
        {period === 'quarter' && (
          <Field label={t('季度', 'Quarter')}>
            <RadioButtonGroup value={quarter} onChange={(v) => setQuarter(v)} options={['1', '2', '3', '4'].map((q) => ({ value: q, label: `Q${q}` }))} />
          </Field>
        )}
        {period === 'custom' && (
          <>
            <Field label={t('起始月', 'From')} invalid={!!from && !!validMonth(from)} error={from ? validMonth(from) : ''}>
              <Input aria-label={t('起始月', 'From')} width={12} placeholder="2026-01" value={from} onChange={(e) => setFrom(e.currentTarget.value.trim())} />
            </Field>
            <Field label={t('结束月', 'To')} invalid={!!to && !!validMonth(to)} error={to ? validMonth(to) : ''}>
              <Input aria-label={t('结束月', 'To')} width={12} placeholder="2026-10" value={to} onChange={(e) => setTo(e.currentTarget.value.trim())} />
            </Field>
          </>
        )}
        <Field label={t('报告类型', 'Kind')}>
          <Select aria-label={t('报告类型', 'Kind')} width={24} value={kind} options={d.kinds.map((k) => ({ value: k, label: kindName(k) }))} onChange={(v) => setKind(v.value ?? kind)} />
        </Field>
        <Field label={t('格式', 'Format')}>
          <RadioButtonGroup value={format} onChange={(v) => setFormat(v)} options={d.formats.map((f) => ({ value: f, label: f.toUpperCase() }))} />
        </Field>
      </Stack>
      {periodError && (period !== 'custom' || (from && to)) && <Alert severity="warning" title={periodError} />}
      <ErrorBanner error={action.error} />
      {freezes.error && <Alert severity="info" title={t('无法读取冻结记录（签署人不可见）', 'Freeze records unavailable (who signed is not shown)')}>{freezes.error}</Alert>}
      {result && (
        <Alert severity="success" title={t('已冻结', 'Frozen')} onRemove={() => setResult(null)}>
          {kindName(result.kind)} {result.month} · SHA-256 <code>{result.sha256}</code> · {formatTime(result.frozenAt)}
          {result.frozenBy ? ` · ${result.frozenBy}` : ''}
          {result.warning ? ` · ${result.warning}` : ''}
        </Alert>
      )}
      {months.length === 0 && !periodError ? (
        <Alert severity="info" title={t('该期间没有可出具的月份', 'No reportable month in this period')}>
          {t('只能出具已结束且在提供范围内的月份：', 'Only complete months that are offered can be reported: ')}
          {offered.length ? `${offered[offered.length - 1]} … ${offered[0]}` : '—'}
        </Alert>
      ) : (
        <table className="filter-table" data-testid="report-months">
          <thead>
            <tr>
              <th>{t('月份', 'Month')}</th>
              <th>{t('状态', 'State')}</th>
              <th>{t('报告', 'Report')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {months.map((m) => {
              const frozen = d.months.find((x) => x.month === m)?.frozen[kind] ?? false;
              const rec = frozenBy.get(`${kind}/${m}`);
              const url = `${BASE}/reports/${kind}/${m}`;
              return (
                <tr key={m}>
                  <td>{m}</td>
                  <td>
                    {frozen ? (
                      <span>
                        🔒 {t('已冻结', 'Frozen')}
                        {rec && (
                          <>
                            {' '}
                            · {rec.createdBy.replace(/^grafana:/, '')} · {formatTime(rec.body.frozenAt)} · SHA-256 <code title={rec.body.sha256}>{rec.body.sha256.slice(0, 16)}…</code>
                          </>
                        )}
                      </span>
                    ) : (
                      t('草稿（未冻结）', 'Draft (not frozen)')
                    )}
                  </td>
                  <td>
                    <Stack direction="row" gap={1}>
                      <LinkButton size="sm" variant="secondary" icon="eye" href={`${url}.html`} target="_blank">
                        {t('预览', 'Preview')}
                      </LinkButton>
                      <LinkButton size="sm" variant="secondary" icon="download-alt" href={`${url}.${format}`}>
                        {t('下载', 'Download')} {format.toUpperCase()}
                      </LinkButton>
                    </Stack>
                  </td>
                  <td>
                    {!frozen && d.canFreeze && (
                      <Button size="sm" icon="lock" disabled={action.busy} onClick={() => setConfirm(m)}>
                        {t('签署并冻结', 'Sign off and freeze')}
                      </Button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {narrativeKinds.includes(kind) && narr !== '' && (
        <>
          <Field label={t('正文所属期间', 'Narrative of')}>
            <Select aria-label={t('正文所属期间', 'Narrative of')} width={32} value={narr} options={narrativeOptions} onChange={(v) => setNarrativePick({ scope, value: v.value ?? '' })} />
          </Field>
          <NarrativeEditor key={`${kind}/${narr}/${narrFrozen}`} kind={kind} month={narr} />
        </>
      )}
      <ConfirmModal
        isOpen={confirm !== ''}
        title={t('签署并冻结', 'Sign off and freeze')}
        body={t(
          `冻结 ${kindName(kind)} ${confirm}？冻结后报告不再改变，只能以新记录更正。`,
          `Freeze ${kindName(kind)} ${confirm}? A frozen report never changes again; corrections are new records.`
        )}
        confirmText={t('冻结', 'Freeze')}
        dismissText={t('取消', 'Cancel')}
        onConfirm={() => freeze(confirm)}
        onDismiss={() => setConfirm('')}
      />
    </div>
  );
}
