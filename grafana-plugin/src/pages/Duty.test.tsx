import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { calls, json, setBackend, setLanguage } from '../testing/backend';
import { Duty, median } from './Duty';

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
      if (c.method === 'POST' && c.path === '/recorder/alerts/2/ack') {
        acked = true;
        return json(200, { id: 5 });
      }
      if (c.path.startsWith('/recorder/records?kind=duty-log')) {
        return json(200, { records: [] });
      }
      return undefined;
    });
    render(<Duty />);
    const log = await screen.findByTestId('alert-log');
    expect(within(log).getAllByText('1 h 2 min 5 s')).toHaveLength(1);
    expect(screen.getByText('5 min 0 s', { selector: 'strong' })).toBeInTheDocument(); // median time to acknowledge
    expect(within(log).getByText(/li 2026-12-04 09:05：已派人/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('备注 2'), '  正在处理 ');
    await userEvent.click(within(log).getByRole('button', { name: '确认' }));
    await screen.findAllByText(/li 2026-12-04 09:05/);
    expect(calls.find((c) => c.method === 'POST')?.data).toEqual({ note: '正在处理' });
    expect(within(await screen.findByTestId('alert-log')).queryByRole('button', { name: '确认' })).not.toBeInTheDocument();
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

  it('shows empty states and validates the handover note', async () => {
    setBackend((c) => (c.path.startsWith('/recorder/alerts') ? json(200, { alerts: [] }) : c.method === 'GET' ? json(200, { records: [] }) : json(201, { id: 1 })));
    render(<Duty />);
    expect(await screen.findByText('没有告警记录')).toBeInTheDocument();
    expect(await screen.findByText('还没有交接班记录')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: '记录' }));
    expect(screen.getByText('必填')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    await userEvent.type(screen.getByLabelText('交接班说明'), '夜班无异常');
    await userEvent.click(screen.getByRole('button', { name: '记录' }));
    await screen.findByText('没有告警记录');
    expect(calls.find((c) => c.method === 'POST')?.data).toMatchObject({ kind: 'duty-log', body: { note: '夜班无异常' } });
  });

  it('shows the recorder being down as an error banner', async () => {
    setBackend(() => json(502, { error: 'records service: dial tcp 127.0.0.1:9799: connect: connection refused' }));
    render(<Duty />);
    const alerts = await screen.findAllByRole('alert');
    expect(alerts[0]).toHaveTextContent('502 records service: dial tcp');
  });
});

describe('median', () => {
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
