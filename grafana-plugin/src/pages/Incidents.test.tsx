import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage } from '../testing/backend';
import { Incidents } from './Incidents';

const incident = {
  id: 4,
  kind: 'incident',
  createdBy: 'grafana:li',
  createdAt: '2026-11-03T02:00:00Z',
  ref: 'line/ct-1@1762135200',
  body: { ns: 'line', entity: 'ct-1', start: '2026-11-03T02:00:00Z', end: '2026-11-03T02:30:00Z', status: 'open', timeline: [{ at: '2026-11-03T02:05:00Z', text: '联系运营商' }] },
};

const finding = { id: 8, kind: 'finding', createdBy: 'scheduler', createdAt: '', body: { source: 'inspection-onsite', label: 'UPS 运行状态', detail: '告警灯亮', owner: '王五', deadline: '2026-12-10', status: 'open' } };

beforeEach(() => setLanguage('zh-Hans'));

function backend(put?: (d: unknown) => ReturnType<typeof json>) {
  setBackend((c) => {
    if (c.path.startsWith('/recorder/incidents')) {
      return json(200, { incidents: [incident] });
    }
    if (c.path.startsWith('/recorder/findings')) {
      return json(200, { findings: [finding] });
    }
    if (c.method === 'PUT') {
      return put ? put(c.data) : json(200, incident);
    }
    return undefined;
  });
}

describe('Incidents', () => {
  it('lists incidents and the rectification list', async () => {
    backend();
    render(<Incidents />);
    const table = await screen.findByTestId('incidents');
    expect(within(table).getByText('line/ct-1')).toBeInTheDocument();
    // The incident's 《故障处理情况报告》, built by the backend from the records.
    expect(within(table).getByRole('link', { name: /故障处理情况报告/ })).toHaveAttribute('href', '/api/plugins/jianguan-report-app/resources/documents/incident.html?id=4');
    const f = await screen.findByTestId('findings');
    expect(within(f).getByText(/UPS 运行状态 — 告警灯亮/)).toBeInTheDocument();
    expect(within(f).getByText('王五')).toBeInTheDocument();
  });

  it('validates an annotation: a rectification needs owner and deadline, closing needs cause and handler', async () => {
    backend();
    render(<Incidents />);
    await userEvent.click(await screen.findByRole('button', { name: '批注' }));
    const form = screen.getByRole('form', { name: '批注事件' });
    await userEvent.click(within(form).getByLabelText('整改中'));
    await userEvent.click(within(form).getByRole('button', { name: '保存' }));
    expect(within(form).getByText('整改中须填写期限')).toBeInTheDocument();
    expect(within(form).getByText('整改中须填写责任人')).toBeInTheDocument();
    await userEvent.click(within(form).getByLabelText('已关闭'));
    expect(within(form).getByText('关闭事件须填写原因')).toBeInTheDocument();
    expect(within(form).getByText('关闭事件须填写处理人')).toBeInTheDocument();
    await userEvent.type(within(form).getByLabelText('整改期限'), '2026-02-30');
    expect(within(form).getByText('没有这一天')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);
  });

  it('saves an annotation with a rectification and a timeline entry', async () => {
    backend();
    render(<Incidents />);
    await userEvent.click(await screen.findByRole('button', { name: '批注' }));
    const form = screen.getByRole('form', { name: '批注事件' });
    await userEvent.click(within(form).getByLabelText('整改中'));
    await userEvent.type(within(form).getByLabelText('原因'), '光缆被挖断');
    await userEvent.type(within(form).getByLabelText('整改责任人'), '王五');
    await userEvent.type(within(form).getByLabelText('整改期限'), '2026-12-10');
    await userEvent.type(within(form).getByLabelText('整改措施'), '增加第二路由');
    await userEvent.type(within(form).getByLabelText('时间线'), '已修复');
    await userEvent.click(within(form).getByRole('button', { name: '保存' }));
    await screen.findByTestId('incidents');
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.path).toBe('/recorder/records/4');
    const body = (put?.data as { body: { timeline: unknown[] } }).body;
    expect(body).toMatchObject({ ns: 'line', entity: 'ct-1', start: '2026-11-03T02:00:00Z', status: 'rectifying', cause: '光缆被挖断', owner: '王五', deadline: '2026-12-10', measures: '增加第二路由' });
    expect(body.timeline).toHaveLength(2);
    expect(screen.queryByRole('form', { name: '批注事件' })).not.toBeInTheDocument();
  });

  it('keeps the form and shows the server error (signed-off record)', async () => {
    backend(() => json(409, { error: 'record 4 is signed off: amend it instead' }));
    render(<Incidents />);
    await userEvent.click(await screen.findByRole('button', { name: '批注' }));
    const form = screen.getByRole('form', { name: '批注事件' });
    await userEvent.click(within(form).getByRole('button', { name: '保存' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('409 record 4 is signed off');
  });

  it('shows empty states', async () => {
    setBackend((c) => (c.path.startsWith('/recorder/incidents') ? json(200, { incidents: [] }) : json(200, { findings: [] })));
    render(<Incidents />);
    expect(await screen.findByText('没有事件记录')).toBeInTheDocument();
    expect(await screen.findByText('没有待整改的问题')).toBeInTheDocument();
  });
});
