import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage } from '../testing/backend';
import { Duty, median, yesterdayShanghai } from './Duty';

const alert = (id: number, ackd: boolean) => ({
  id,
  alertname: 'UPSOnBattery',
  annotations: { summary: '市电中断' },
  status: ackd ? 'resolved' : 'firing',
  detectedAt: '2026-12-04T01:00:00Z',
  notifiedAt: '2026-12-04T01:00:30Z',
  acknowledgedAt: ackd ? '2026-12-04T01:05:00Z' : null,
  timeToNotifySeconds: 30,
  timeToAcknowledgeSeconds: ackd ? 300 : null,
  timeToResolveSeconds: ackd ? 3725 : null,
  acknowledgements: ackd ? [{ id: 1, alertId: id, who: 'grafana:li', note: '已派人', at: '2026-12-04T01:05:00Z' }] : [],
});

beforeEach(() => setLanguage('zh-Hans'));

describe('Duty', () => {
  it('shows the alert log with response times and acknowledges with a note', async () => {
    let acked = false;
    setBackend((c) => {
      if (c.path.startsWith('/recorder/alerts?')) {
        return json(200, { alerts: [alert(2, acked), alert(1, true)] });
      }
      const detail = c.path.match(/^\/recorder\/alerts\/(\d+)$/); // the notes come with the alert itself
      if (detail) {
        return json(200, alert(Number(detail[1]), detail[1] === '1' || acked));
      }
      if (c.method === 'POST' && c.path === '/recorder/alerts/2/ack') {
        acked = true;
        return json(200, { id: 5 });
      }
      if (c.path.startsWith('/recorder/records?kind=handover')) {
        return json(200, { records: [] });
      }
      return undefined;
    });
    render(<Duty />);
    const log = await screen.findByTestId('alert-log');
    expect(within(log).getAllByText('1 h 2 min 5 s')).toHaveLength(1);
    expect(screen.getByText('5 min 0 s', { selector: 'strong' })).toBeInTheDocument(); // median time to acknowledge
    expect(await within(log).findByText(/li 2026-12-04 09:05：已派人/)).toBeInTheDocument(); // GET /alerts/1
    await userEvent.type(screen.getByLabelText('备注 2'), '  正在处理 ');
    await userEvent.click(within(log).getByRole('button', { name: '确认' }));
    // The list reloads after the POST; alert 1's acknowledgement text is on
    // the page before and after, so wait for the button itself to go (an
    // immediate check raced the reload on a loaded CI machine).
    await waitFor(() =>
      expect(within(screen.getByTestId('alert-log')).queryByRole('button', { name: '确认' })).not.toBeInTheDocument()
    );
    expect(calls.find((c) => c.method === 'POST')?.data).toEqual({ note: '正在处理' });
  });

  it('shows a Viewer the 403 of an acknowledgement', async () => {
    setBackend((c) => {
      if (c.path.startsWith('/recorder/alerts?')) {
        return json(200, { alerts: [alert(2, false)] });
      }
      if (c.method === 'POST') {
        return json(403, { error: 'forbidden: acknowledging an alert needs the Grafana organisation role Editor or higher (your role: Viewer)' });
      }
      return json(200, { records: [] });
    });
    render(<Duty />);
    await userEvent.click(await screen.findByRole('button', { name: '确认' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('权限不足：forbidden: acknowledging an alert needs the Grafana organisation role Editor');
  });

  it('shows empty states and validates the handover as the server does', async () => {
    setBackend((c) => (c.path.startsWith('/recorder/alerts') ? json(200, { alerts: [] }) : c.method === 'GET' ? json(200, { records: [] }) : json(201, { id: 1 })));
    render(<Duty />);
    expect(await screen.findByText('没有告警记录')).toBeInTheDocument();
    expect(await screen.findByText('还没有交接班记录')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: '记录' }));
    expect(screen.getAllByText('必填')).toHaveLength(3); // from, to, notes
    await userEvent.type(screen.getByLabelText('交班人'), '张'.repeat(43)); // 129 bytes
    expect(screen.getByText('不超过 128 字节')).toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('工单号'));
    await userEvent.paste('X'.repeat(65));
    expect(screen.getByText(/超过 64 字节/)).toBeInTheDocument();
    const at = screen.getByLabelText('交接时间');
    await userEvent.clear(at);
    await userEvent.type(at, '2999-01-01T08:00');
    expect(screen.getByText('不能是将来的时间')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('writes a handover record the duty documents read and lists it', async () => {
    const stored: unknown[] = [];
    setBackend((c) => {
      if (c.path.startsWith('/recorder/alerts')) {
        return json(200, { alerts: [] });
      }
      if (c.method === 'POST' && c.path === '/recorder/records') {
        stored.push({ id: 7, kind: 'handover', createdBy: 'grafana:li', createdAt: '', body: (c.data as { body: unknown }).body });
        return json(201, { id: 7 });
      }
      if (c.path === '/recorder/records?kind=handover&limit=50') {
        return json(200, { records: stored });
      }
      return undefined;
    });
    render(<Duty />);
    await screen.findByText('还没有交接班记录');
    const at = screen.getByLabelText('交接时间');
    await userEvent.clear(at);
    await userEvent.type(at, '2026-11-03T08:30');
    await userEvent.type(screen.getByLabelText('交班人'), ' 夜班 王五 ');
    await userEvent.type(screen.getByLabelText('接班人'), '白班 张三');
    await userEvent.type(screen.getByLabelText('工单号'), 'INC-2026-0042, INC-2026-0043');
    await userEvent.type(screen.getByLabelText('交接班说明'), 'UPS-1 告警已恢复');
    await userEvent.click(screen.getByRole('button', { name: '记录' }));
    const log = await screen.findByTestId('duty-log');
    expect(calls.find((c) => c.method === 'POST')?.data).toEqual({
      kind: 'handover',
      title: '交接班',
      body: { at: '2026-11-03T08:30:00+08:00', from: '夜班 王五', to: '白班 张三', notes: 'UPS-1 告警已恢复', tickets: ['INC-2026-0042', 'INC-2026-0043'] },
    });
    expect(log).toHaveTextContent('2026-11-03 08:30 夜班 王五 → 白班 张三: UPS-1 告警已恢复 (工单 INC-2026-0042, INC-2026-0043)');
  });

  it('shows the server refusing a handover in the error banner', async () => {
    setBackend((c) =>
      c.path.startsWith('/recorder/alerts') ? json(200, { alerts: [] }) : c.method === 'GET' ? json(200, { records: [] }) : json(400, { error: 'invalid: notes: required' })
    );
    render(<Duty />);
    await screen.findByText('还没有交接班记录');
    await userEvent.type(screen.getByLabelText('交班人'), 'a');
    await userEvent.type(screen.getByLabelText('接班人'), 'b');
    await userEvent.type(screen.getByLabelText('交接班说明'), 'c');
    await userEvent.click(screen.getByRole('button', { name: '记录' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('invalid: notes: required');
  });

  it('shows the recorder being down as an error banner', async () => {
    setBackend(() => json(502, { error: 'records service: dial tcp 127.0.0.1:9799: connect: connection refused' }));
    render(<Duty />);
    const alerts = await screen.findAllByRole('alert');
    expect(alerts[0]).toHaveTextContent('502 records service: dial tcp');
  });
});

describe('median', () => {
  it('links the day\'s duty log and its week\'s report, and refuses a malformed day', async () => {
    setBackend((c) => (c.path.startsWith('/recorder/alerts?') ? json(200, { alerts: [] }) : json(200, { records: [] })));
    render(<Duty />);
    const day = screen.getByLabelText('值班日期');
    expect(day).toHaveValue(yesterdayShanghai());
    await userEvent.clear(day);
    await userEvent.type(day, '2026-10-15');
    expect(screen.getByRole('link', { name: /值班日志/ })).toHaveAttribute('href', '/api/plugins/jianguan-report-app/resources/documents/duty-daily.html?day=2026-10-15');
    expect(screen.getByRole('link', { name: /值班周报/ })).toHaveAttribute('href', '/api/plugins/jianguan-report-app/resources/documents/duty-weekly.html?week=2026-10-15');
  });

  it.each([
    [[], undefined],
    [[null, undefined, NaN], undefined],
    [[3], 3],
    [[4, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('median(%j) = %s', (xs, want) => {
    expect(median(xs as number[])).toBe(want);
  });
});
