import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage, setOrgRole } from '../testing/backend';
import { Inspections } from './Inspections';

const checklists = {
  onsite: {
    items: [
      { name: 'ups', label: 'UPS 运行状态' },
      { name: 'ac', label: '精密空调' },
    ],
  },
};

const remote = {
  id: 3,
  kind: 'inspection-remote',
  createdBy: 'scheduler',
  createdAt: '2026-12-04T01:00:00Z',
  body: {
    slot: '2026-12-04T01:00:00Z',
    status: 'completed',
    normal: 1,
    abnormal: 1,
    noData: 0,
    items: [
      { name: 'temp', label: '机房温度', op: '<', threshold: 27, unit: '°C', result: '异常', series: [{ labels: { room: 'A' }, value: '29.5', result: '异常' }] },
      { name: 'hum', label: '湿度', op: '<', threshold: 70, unit: '%', result: '正常' },
    ],
  },
};

function backend(opts: { remote?: unknown[]; onsite?: unknown[]; post?: (d: unknown) => ReturnType<typeof json>; checklists?: unknown }) {
  setBackend((c) => {
    if (c.path === '/recorder/checklists') {
      return json(200, opts.checklists ?? checklists);
    }
    if (c.path.startsWith('/recorder/inspections?kind=remote')) {
      return json(200, { inspections: opts.remote ?? [] });
    }
    if (c.path.startsWith('/recorder/inspections?kind=onsite')) {
      return json(200, { inspections: opts.onsite ?? [] });
    }
    if (c.method === 'POST' && c.path === '/recorder/inspections/onsite') {
      return opts.post ? opts.post(c.data) : json(201, { inspection: { id: 9 }, findings: [] });
    }
    return undefined;
  });
}

beforeEach(() => {
  setLanguage('zh-Hans');
  setOrgRole('Editor');
});

describe('Inspections', () => {
  it("highlights today's abnormal remote items", async () => {
    backend({ remote: [remote] });
    render(<Inspections />);
    const box = await screen.findByTestId('remote-inspection');
    const row = within(box).getByText('机房温度').closest('tr')!;
    expect(row).toHaveAttribute('data-abnormal', 'true');
    expect(row).toHaveTextContent('A = 29.5');
    expect(within(box).getByText('湿度').closest('tr')).toHaveAttribute('data-abnormal', 'false');
  });

  it('shows empty states', async () => {
    backend({});
    render(<Inspections />);
    expect(await screen.findByText('今天还没有远程巡检记录')).toBeInTheDocument();
    expect(await screen.findByText('还没有现场巡检记录')).toBeInTheDocument();
  });

  it('says when no on-site checklist is configured', async () => {
    backend({ checklists: { onsite: null } });
    render(<Inspections />);
    expect(await screen.findByText('未配置现场巡检清单')).toBeInTheDocument();
  });

  it('validates the on-site form before sending anything', async () => {
    backend({});
    render(<Inspections />);
    const form = await screen.findByRole('form', { name: '现场巡检' });
    await userEvent.clear(within(form).getByLabelText('日期'));
    await userEvent.type(within(form).getByLabelText('日期'), '2999-01-01');
    await userEvent.click(within(within(form).getAllByRole('radiogroup')[0]).getByLabelText('异常'));
    await userEvent.click(screen.getByRole('button', { name: '提交现场巡检' }));
    expect(screen.getByText('不能是将来的日期')).toBeInTheDocument();
    expect(screen.getAllByText('必填')).toHaveLength(2);
    expect(screen.getByText('异常须填写说明')).toBeInTheDocument();
    expect(screen.getByText('请选择正常或异常')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('submits a valid on-site inspection and shows the server error of a second one', async () => {
    let n = 0;
    backend({
      post: () => (++n === 1 ? json(201, { inspection: { id: 9 }, findings: [{ id: 10 }] }) : json(409, { error: 'an on-site inspection for 2026-12-04 exists (#9)' })),
    });
    render(<Inspections />);
    const form = await screen.findByRole('form', { name: '现场巡检' });
    const fill = async () => {
      await userEvent.type(within(form).getByLabelText('巡检人'), '张三');
      await userEvent.type(within(form).getByLabelText('复核人'), 'admin');
      const [ups, ac] = within(form).getAllByRole('radiogroup');
      await userEvent.click(within(ups).getByLabelText('异常'));
      await userEvent.type(within(form).getByLabelText('UPS 运行状态 说明'), '告警灯亮');
      await userEvent.click(within(ac).getByLabelText('正常'));
      await userEvent.click(screen.getByRole('button', { name: '提交现场巡检' }));
    };
    await fill();
    expect(await screen.findByText(/已保存现场巡检 #9/)).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.data).toMatchObject({
      inspector: '张三',
      reviewer: 'admin',
      items: [
        { name: 'ups', result: '异常', note: '告警灯亮' },
        { name: 'ac', result: '正常' },
      ],
    });
    await userEvent.clear(within(form).getByLabelText('巡检人'));
    await userEvent.clear(within(form).getByLabelText('复核人'));
    await fill();
    expect(await screen.findByRole('alert')).toHaveTextContent('409 an on-site inspection for 2026-12-04 exists');
  });

  it('lets an Admin sign off an on-site inspection, and shows the reviewer mismatch', async () => {
    const rec = (signed: boolean) => ({
      id: 9,
      kind: 'inspection-onsite',
      createdBy: 'grafana:zhang',
      createdAt: '',
      signedOffBy: signed ? 'grafana:admin' : null,
      signedOffAt: signed ? '2026-12-04T10:00:00Z' : null,
      body: { date: '2026-12-04', inspector: '张三', reviewer: 'admin', normal: 1, abnormal: 1, items: [] },
    });
    let signed = false;
    let refuse = true;
    backend({});
    setBackend((c) => {
      if (c.path.startsWith('/recorder/inspections?kind=onsite')) {
        return json(200, { inspections: [rec(signed)] });
      }
      if (c.method === 'POST' && c.path === '/recorder/records/9/sign-off') {
        if (refuse) {
          refuse = false;
          return json(403, { error: 'only the named reviewer grafana:admin signs this inspection off' });
        }
        signed = true;
        return json(200, rec(true));
      }
      return c.path === '/recorder/checklists' ? json(200, checklists) : json(200, { inspections: [] });
    });
    setOrgRole('Admin');
    render(<Inspections />);
    const h = await screen.findByTestId('onsite-history');
    await userEvent.click(within(h).getByRole('button', { name: '签署' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('权限不足：only the named reviewer');
    await userEvent.click(within(h).getByRole('button', { name: '签署' }));
    expect(await screen.findByText('admin 2026-12-04 18:00')).toBeInTheDocument();
  });

  it('offers no sign-off to an Editor', async () => {
    backend({ onsite: [{ id: 9, kind: 'inspection-onsite', createdBy: '', createdAt: '', body: { date: '2026-12-04', inspector: 'a', reviewer: 'b', items: [] } }] });
    render(<Inspections />);
    const h = await screen.findByTestId('onsite-history');
    expect(within(h).getByText('待签署')).toBeInTheDocument();
    expect(within(h).queryByRole('button', { name: '签署' })).not.toBeInTheDocument();
  });
});
