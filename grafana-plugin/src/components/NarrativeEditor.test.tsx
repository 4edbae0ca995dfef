import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage, setOrgRole } from '../testing/backend';
import { NarrativeEditor, narrativeURL } from './NarrativeEditor';

const PATH = '/narrative/infrastructure/2026-10';

function backend(opts: { narrative?: object; frozen?: boolean; get?: number; put?: () => ReturnType<typeof json> }) {
  setBackend((c) => {
    if (c.method === 'GET' && c.path === PATH) {
      return opts.get ? json(opts.get, { error: 'the stored narrative cannot be read: bad JSON' }) : json(200, { kind: 'infrastructure', month: '2026-10', narrative: opts.narrative ?? {}, frozen: !!opts.frozen });
    }
    if (c.method === 'PUT' && c.path === PATH) {
      return opts.put ? opts.put() : json(200, { kind: 'infrastructure', month: '2026-10', narrative: c.data, frozen: false });
    }
    return undefined;
  });
}

beforeEach(() => {
  setLanguage('zh-Hans');
  setOrgRole('Editor');
});

describe('NarrativeEditor', () => {
  it('an Editor fills the unfilled sections and saves them', async () => {
    backend({ narrative: { problems: '空调压缩机故障' } });
    render(<NarrativeEditor kind="infrastructure" month="2026-10" />);
    expect(await screen.findByLabelText('主要问题及原因分析')).toHaveValue('空调压缩机故障');
    // The unfilled ones are named: the month cannot be signed off yet.
    expect(screen.getByText(/未填写的章节：整改措施及完成情况、下一步工作计划及建议/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('整改措施及完成情况'), '已更换');
    await userEvent.type(screen.getByLabelText('下一步工作计划及建议'), '  加强巡检  ');
    await userEvent.click(screen.getByRole('button', { name: /保存正文/ }));
    expect(await screen.findByText('已保存')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PUT')).toEqual([{ method: 'PUT', path: PATH, data: { problems: '空调压缩机故障', remedies: '已更换', nextSteps: '加强巡检' } }]);
  });

  it('refuses a section over 20000 characters on the client', async () => {
    backend({});
    render(<NarrativeEditor kind="infrastructure" month="2026-10" />);
    fireEvent.change(await screen.findByLabelText('主要问题及原因分析'), { target: { value: '长'.repeat(20001) } });
    expect(screen.getByText('共 20001 字，最多 20000 字')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /保存正文/ }));
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);
  });

  it('a Viewer reads the sections but cannot edit or save', async () => {
    setOrgRole('Viewer');
    backend({ narrative: { problems: '甲', remedies: '乙', nextSteps: '丙' } });
    render(<NarrativeEditor kind="infrastructure" month="2026-10" />);
    expect(await screen.findByLabelText('整改措施及完成情况')).toBeDisabled();
    expect(screen.getByText(/只读：编写正文需要 Editor/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /保存正文/ })).not.toBeInTheDocument();
  });

  it('a frozen month is read only', async () => {
    backend({ narrative: { problems: '甲', remedies: '乙', nextSteps: '丙' }, frozen: true });
    render(<NarrativeEditor kind="infrastructure" month="2026-10" />);
    expect(await screen.findByText('本月已冻结，正文不能再修改')).toBeInTheDocument();
    expect(screen.getByLabelText('主要问题及原因分析')).toBeDisabled();
    expect(screen.queryByRole('button', { name: /保存正文/ })).not.toBeInTheDocument();
  });

  it('a frozen quarter is read only and says 本期 (issue 16)', async () => {
    setBackend((c) =>
      c.method === 'GET' && c.path === '/narrative/infrastructure/2026-Q4'
        ? json(200, { kind: 'infrastructure', month: '2026-Q4', narrative: { problems: '甲', remedies: '乙', nextSteps: '丙' }, frozen: true })
        : undefined
    );
    render(<NarrativeEditor kind="infrastructure" month="2026-Q4" />);
    expect(await screen.findByText('本期已冻结，正文不能再修改')).toBeInTheDocument();
    expect(screen.getByLabelText('主要问题及原因分析')).toHaveValue('甲');
    expect(screen.getByLabelText('主要问题及原因分析')).toBeDisabled();
  });

  it.each([
    ['2026-10', '/narrative/lines/2026-10'],
    ['2026-Q4', '/narrative/lines/2026-Q4'],
    ['2026', '/narrative/lines/2026'],
    ['service', '/narrative/lines/service'],
    ['2026-11-03..2026-11-17', '/narrative/lines?period=2026-11-03..2026-11-17'],
  ])('narrativeURL(lines, %s) is %s', (period, want) => {
    expect(narrativeURL('lines', period)).toBe(want);
  });

  it("shows the server's refusal (403, 409) in the error banner", async () => {
    backend({ put: () => json(403, { error: "forbidden: writing a report's narrative sections needs the Grafana organisation role Editor or higher (your role: Viewer)" }) });
    render(<NarrativeEditor kind="infrastructure" month="2026-10" />);
    await userEvent.type(await screen.findByLabelText('主要问题及原因分析'), '甲');
    await userEvent.click(screen.getByRole('button', { name: /保存正文/ }));
    const alert = (await screen.findByText(/权限不足/)).closest('[role=alert]');
    expect(alert).toHaveTextContent('role Editor');
    expect(screen.queryByText('已保存')).not.toBeInTheDocument();
  });

  it('a narrative that cannot be read is an error banner, in English for an English user', async () => {
    setLanguage('en-US');
    backend({ get: 500 });
    render(<NarrativeEditor kind="infrastructure" month="2026-10" />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Cannot read the narrative');
    expect(alert).toHaveTextContent('500 the stored narrative cannot be read');
  });
});
