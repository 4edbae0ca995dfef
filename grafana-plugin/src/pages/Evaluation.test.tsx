import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage } from '../testing/backend';
import { Evaluation } from './Evaluation';

const list = { kinds: ['providers'], formats: ['json'], months: [{ month: '2026-11', start: '', end: '', frozen: {} }], canFreeze: false };
const providers = [
  { provider: 'ct', entities: 3, availability: 0.99995, met: 3, incidents: 1, mttrSeconds: 600, scoreAvailability: 100, scoreSLA: 100, scoreIncidents: 90, scoreRecovery: 95, score: 97.25 },
];

beforeEach(() => setLanguage('zh-Hans'));

function backend(opts: { providers?: unknown[]; docStatus?: number; scores?: unknown[]; post?: () => ReturnType<typeof json> }) {
  setBackend((c) => {
    if (c.path === '/reports') {
      return json(200, list);
    }
    if (c.path === '/reports/providers/2026-11.json') {
      return opts.docStatus ? json(opts.docStatus, { error: 'no report was produced: 本期无监测数据' }) : json(200, { providers: opts.providers ?? providers });
    }
    if (c.method === 'GET' && c.path.startsWith('/recorder/records?kind=eval_manual_score')) {
      return json(200, { records: opts.scores ?? [] });
    }
    if (c.method === 'POST') {
      return opts.post ? opts.post() : json(201, { id: 1 });
    }
    if (c.path === '/evaluation/annual/2026') {
      return json(200, { year: 2026, months: [], grades: null, kinds: {} });
    }
    return undefined;
  });
}

describe('Evaluation', () => {
  it('shows the indicator table per provider and the manual scores of the month', async () => {
    backend({
      scores: [
        {
          id: 1,
          kind: 'eval_manual_score',
          createdBy: 'grafana:zhao',
          createdAt: '',
          body: { kind: 'cloud', provider: 'ct', period: '2026-11', indicator: 'vuln_rectification', score: 88, evidence: '工单 #12', author: 'grafana:zhao', at: '2026-11-29T12:00:00Z' },
        },
        { id: 2, kind: 'eval_manual_score', createdBy: 'grafana:qian', createdAt: '', body: { kind: 'cloud', provider: 'ct', period: '2026-10', indicator: 'x', score: 1, evidence: '十月' } },
      ],
    });
    render(<Evaluation />);
    const t = await screen.findByTestId('providers');
    expect(within(t).getByText('99.995 %')).toBeInTheDocument();
    expect(within(t).getByText('97.3')).toBeInTheDocument();
    const m = await screen.findByTestId('manual-scores');
    expect(within(m).getByText('工单 #12')).toBeInTheDocument();
    expect(within(m).getByText('zhao')).toBeInTheDocument();
    expect(within(m).getByText('2026-11-29 20:00')).toBeInTheDocument();
    expect(within(m).queryByText('十月')).not.toBeInTheDocument(); // another period
  });

  it('validates the manual score form', async () => {
    backend({});
    render(<Evaluation />);
    await screen.findByTestId('providers');
    await userEvent.type(screen.getByLabelText('分数'), '120');
    await userEvent.click(screen.getByRole('button', { name: '提交评分' }));
    expect(screen.getByText('分数范围 0 到 100')).toBeInTheDocument();
    expect(screen.getAllByText('必填')).toHaveLength(3);
    await userEvent.clear(screen.getByLabelText('分数'));
    await userEvent.type(screen.getByLabelText('分数'), 'abc');
    expect(screen.getByText('请输入 0 到 100 的数字')).toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('评分依据'));
    await userEvent.paste('x'.repeat(1025));
    expect(screen.getByText('不超过 1024 字节')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('服务商'), '   ');
    expect(screen.getAllByText('必填')).toHaveLength(2); // provider (blank), indicator
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('enters a manual score with evidence', async () => {
    backend({});
    render(<Evaluation />);
    await screen.findByTestId('providers');
    await userEvent.type(screen.getByLabelText('服务商'), 'ct');
    await userEvent.type(screen.getByLabelText('指标'), 'vuln_rectification');
    await userEvent.type(screen.getByLabelText('分数'), '88.5');
    await userEvent.type(screen.getByLabelText('评分依据'), '工单 #12 按时处理');
    await userEvent.click(screen.getByRole('button', { name: '提交评分' }));
    await screen.findByText('本月还没有人工评分');
    expect(calls.find((c) => c.method === 'POST')?.data).toEqual({
      kind: 'eval_manual_score',
      title: '人工评分 ct vuln_rectification 2026-11',
      body: { kind: 'cloud', provider: 'ct', period: '2026-11', indicator: 'vuln_rectification', score: 88.5, evidence: '工单 #12 按时处理' },
    });
  });

  it('shows a month without data as an error banner and the 403 of a Viewer', async () => {
    backend({ docStatus: 404, post: () => json(403, { error: 'forbidden: entering a record needs the Grafana organisation role Editor or higher (your role: Viewer)' }) });
    render(<Evaluation />);
    expect(await screen.findByRole('alert')).toHaveTextContent('本期无监测数据');
    await userEvent.type(screen.getByLabelText('服务商'), 'ct');
    await userEvent.type(screen.getByLabelText('指标'), 'x');
    await userEvent.type(screen.getByLabelText('分数'), '1');
    await userEvent.type(screen.getByLabelText('评分依据'), 'y');
    await userEvent.click(screen.getByRole('button', { name: '提交评分' }));
    expect((await screen.findAllByRole('alert'))[1]).toHaveTextContent('role Editor');
  });
});
