import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';

import { json, setBackend, setLanguage } from '../testing/backend';
import { App, AppSettings } from './App';

function renderAt(path: string) {
  const props = { meta: { jsonData: {} }, basename: '/a/jianguan-report-app', query: {}, path: '', onNavChanged: () => {} } as unknown as AppRootProps<AppSettings>;
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/a/jianguan-report-app/*" element={<App {...props} />} />
      </Routes>
    </MemoryRouter>
  );
}

describe('App', () => {
  beforeEach(() => {
    setLanguage('zh-Hans');
    setBackend((c) => (c.path.startsWith('/recorder/alerts') ? json(200, { alerts: [] }) : c.path.startsWith('/recorder/records') ? json(200, { records: [] }) : json(200, { incidents: [], findings: [] })));
  });

  it('opens the page of the URL and switches pages with the tabs', async () => {
    renderAt('/a/jianguan-report-app/duty');
    expect(await screen.findByText('没有告警记录')).toBeInTheDocument();
    await userEvent.click(screen.getByText('事件与整改'));
    expect(await screen.findByText('没有事件记录')).toBeInTheDocument();
  });

  it('names the pages in English for an English user', async () => {
    setLanguage('en-GB');
    renderAt('/a/jianguan-report-app/duty');
    expect(screen.getByText('Incidents & rectification')).toBeInTheDocument();
    expect(await screen.findByText('No alerts recorded')).toBeInTheDocument();
  });
});
