import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage } from '../testing/backend';
import { Reports } from './Reports';

const list = (canFreeze: boolean, frozen = false) => ({
  kinds: ['infrastructure', 'lines', 'hosts', 'providers'],
  formats: ['html', 'pdf', 'csv', 'xlsx', 'json'],
  months: ['2026-11', '2026-10', '2026-09', '2026-08', '2026-07'].map((m) => ({
    month: m,
    start: '',
    end: '',
    frozen: { infrastructure: frozen && m === '2026-10', lines: false, hosts: false, providers: false },
  })),
  canFreeze,
});

const freezeRecord = {
  id: 7,
  kind: 'report-freeze',
  createdBy: 'grafana:boss',
  createdAt: '2026-11-02T01:00:00Z',
  body: { kind: 'infrastructure', month: '2026-10', sha256: 'ab'.repeat(32), frozenAt: '2026-11-02T01:00:00Z' },
};

beforeEach(() => setLanguage('zh-Hans'));

describe('Reports', () => {
  it('lists the latest month with preview and download links', async () => {
    setBackend((c) => (c.path === '/reports' ? json(200, list(false)) : c.path.startsWith('/recorder/records') ? json(200, { records: [] }) : undefined));
    render(<Reports />);
    const table = await screen.findByTestId('report-months');
    expect(within(table).getByText('2026-11')).toBeInTheDocument();
    expect(within(table).getByRole('link', { name: /预览/ })).toHaveAttribute('href', '/api/plugins/jianguan-report-app/resources/reports/infrastructure/2026-11.html');
    expect(within(table).getByRole('link', { name: /下载 HTML/ })).toBeInTheDocument();
    // A Viewer (canFreeze false) gets no freeze button.
    expect(screen.queryByRole('button', { name: /签署并冻结/ })).not.toBeInTheDocument();
  });

  it('shows a quarter as its months and a custom range after validation', async () => {
    setBackend((c) => (c.path === '/reports' ? json(200, list(false)) : json(200, { records: [] })));
    render(<Reports />);
    await screen.findByTestId('report-months');
    await userEvent.click(screen.getByLabelText('季度', { selector: 'input' }));
    await userEvent.click(screen.getByLabelText('Q3', { selector: 'input' }));
    const rows = within(screen.getByTestId('report-months')).getAllByRole('row');
    expect(rows.map((r) => (r as HTMLTableRowElement).cells[0].textContent).slice(1)).toEqual(['2026-09', '2026-08', '2026-07']);

    await userEvent.click(screen.getByLabelText('自定义', { selector: 'input' }));
    await userEvent.type(screen.getByLabelText('起始月'), '2026-13');
    await userEvent.type(screen.getByLabelText('结束月'), '2026-10');
    expect(screen.getAllByText(/月份格式为 YYYY-MM/).length).toBeGreaterThan(0);
    await userEvent.clear(screen.getByLabelText('起始月'));
    await userEvent.type(screen.getByLabelText('起始月'), '2026-10');
    await userEvent.clear(screen.getByLabelText('结束月'));
    await userEvent.type(screen.getByLabelText('结束月'), '2026-09');
    expect(screen.getByText('起始月不能晚于结束月')).toBeInTheDocument();
  });

  it('says when no month of the period is offered (empty state)', async () => {
    setBackend((c) => (c.path === '/reports' ? json(200, list(false)) : json(200, { records: [] })));
    render(<Reports />);
    await screen.findByTestId('report-months');
    await userEvent.click(screen.getByLabelText('季度', { selector: 'input' }));
    await userEvent.click(screen.getByLabelText('Q1', { selector: 'input' }));
    expect(screen.getByText('该期间没有可出具的月份')).toBeInTheDocument();
  });

  it('service period without serviceStart says what to configure', async () => {
    setBackend((c) => (c.path === '/reports' ? json(200, list(false)) : json(200, { records: [] })));
    render(<Reports />);
    await screen.findByTestId('report-months');
    await userEvent.click(screen.getByLabelText('服务期', { selector: 'input' }));
    expect(screen.getByText(/jsonData.serviceStart/)).toBeInTheDocument();
  });

  it('freezes only after confirmation and shows the hash', async () => {
    setBackend((c) => {
      if (c.path === '/reports') {
        return json(200, list(true));
      }
      if (c.method === 'POST') {
        return json(200, { kind: 'infrastructure', month: '2026-11', sha256: 'cd'.repeat(32), frozenAt: '2026-12-01T02:00:00Z', frozenBy: 'admin' });
      }
      return json(200, { records: [] });
    });
    render(<Reports />);
    await userEvent.click(await screen.findByRole('button', { name: /签署并冻结/ }));
    // Dismissing sends nothing.
    await userEvent.click(screen.getByRole('button', { name: '取消' }));
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    await userEvent.click(screen.getByRole('button', { name: /签署并冻结/ }));
    await userEvent.click(screen.getByRole('button', { name: '冻结' }));
    await screen.findByText('cd'.repeat(32));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/reports/infrastructure/2026-11/freeze']);
  });

  it('shows who froze a frozen month, and when', async () => {
    setBackend((c) => (c.path === '/reports' ? json(200, list(false, true)) : json(200, { records: [freezeRecord] })));
    render(<Reports />);
    await screen.findByTestId('report-months');
    await userEvent.click(screen.getByLabelText('月份'));
    await userEvent.click(await screen.findByText('2026-10', { selector: 'span' }));
    expect(await screen.findByText(/boss/)).toBeInTheDocument();
    expect(screen.getByText(/2026-11-02 09:00/)).toBeInTheDocument();
  });

  it('shows the 403 message in an error banner', async () => {
    setBackend((c) => {
      if (c.path === '/reports') {
        return json(200, list(true));
      }
      if (c.method === 'POST') {
        return json(403, { error: 'forbidden: freezing a month needs the Grafana organisation role Admin or higher (your role: Editor)' });
      }
      return json(200, { records: [] });
    });
    render(<Reports />);
    await userEvent.click(await screen.findByRole('button', { name: /签署并冻结/ }));
    await userEvent.click(screen.getByRole('button', { name: '冻结' }));
    // (the narrative editor below has its own banner: find the error's)
    const alert = (await screen.findByText(/权限不足/)).closest('[role=alert]');
    expect(alert).toHaveTextContent('role Admin');
  });

  it('the narrative editor takes the whole quarter, the service period, a range, or any month of them (issue 16)', async () => {
    const narrativeBackend = (c: { method: string; path: string; data?: unknown }) => {
      if (c.path === '/reports') {
        return json(200, list(false));
      }
      if (c.path.startsWith('/narrative/')) {
        return json(200, { kind: 'infrastructure', month: c.path, narrative: c.method === 'PUT' ? c.data : {}, frozen: false });
      }
      return json(200, { records: [] });
    };
    const narrativeGets = () => calls.filter((c) => c.method === 'GET' && c.path.startsWith('/narrative/')).map((c) => c.path);
    setBackend(narrativeBackend);
    const { unmount } = render(<Reports serviceStart="2026-07" />);
    await screen.findByTestId('report-months');
    // A month: the month's own narrative, as before.
    await screen.findByText('报告正文 · 2026-11');
    await userEvent.click(screen.getByLabelText('季度', { selector: 'input' }));
    await userEvent.click(screen.getByLabelText('Q4', { selector: 'input' }));
    // The quarter as a whole comes first (not its latest month) …
    expect(await screen.findByText('报告正文 · 2026-Q4')).toBeInTheDocument();
    expect(narrativeGets()).toContain('/narrative/infrastructure/2026-Q4');
    await userEvent.type(screen.getByLabelText('主要问题及原因分析'), '季度问题');
    await userEvent.click(screen.getByRole('button', { name: /保存正文/ }));
    expect(await screen.findByText('已保存')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PUT')).toEqual([{ method: 'PUT', path: '/narrative/infrastructure/2026-Q4', data: { problems: '季度问题' } }]);
    // … and any of its months can be picked, the older one too.
    await userEvent.click(screen.getByLabelText('正文所属期间'));
    await userEvent.click(await screen.findByText('2026-10', { selector: 'span' }));
    expect(await screen.findByText('报告正文 · 2026-10')).toBeInTheDocument();
    expect(narrativeGets()).toContain('/narrative/infrastructure/2026-10');
    // The year and the service period by their route names.
    await userEvent.click(screen.getByLabelText('年度', { selector: 'input' }));
    expect(await screen.findByText('报告正文 · 2026')).toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('服务期', { selector: 'input' }));
    expect(await screen.findByText('报告正文 · service')).toBeInTheDocument();
    expect(narrativeGets()).toEqual(expect.arrayContaining(['/narrative/infrastructure/2026', '/narrative/infrastructure/service']));
    // A custom range of months is a date range: ?period= (a path cannot hold "..").
    await userEvent.click(screen.getByLabelText('自定义', { selector: 'input' }));
    await userEvent.type(screen.getByLabelText('起始月'), '2026-08');
    await userEvent.type(screen.getByLabelText('结束月'), '2026-09');
    expect(await screen.findByText('报告正文 · 2026-08-01..2026-09-30')).toBeInTheDocument();
    expect(narrativeGets()).toContain('/narrative/infrastructure?period=2026-08-01..2026-09-30');
    unmount();
  });

  it('shows a server error instead of a blank page, in English for an English user', async () => {
    setLanguage('en-US');
    setBackend(() => json(502, { error: 'no report was produced: Prometheus unreachable' }));
    render(<Reports />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Something went wrong');
    expect(alert).toHaveTextContent('502 no report was produced: Prometheus unreachable');
  });
});
