import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { Tab, TabsBar } from '@grafana/ui';

import { PLUGIN_ID } from '../api';
import { t } from '../i18n';
import { Duty } from '../pages/Duty';
import { Evaluation } from '../pages/Evaluation';
import { Incidents } from '../pages/Incidents';
import { Inspections } from '../pages/Inspections';
import { Reports } from '../pages/Reports';

// APP_URL is where Grafana mounts the app (its router adds any sub path).
export const APP_URL = `/a/${PLUGIN_ID}`;

export interface AppSettings {
  serviceStart?: string;
}

// The app's pages (plugin.json declares them, with their roles); the
// backend checks the role of every call whatever is shown here.
export const pages = [
  { path: 'reports', zh: '报告', en: 'Reports' },
  { path: 'inspections', zh: '巡检', en: 'Inspections' },
  { path: 'duty', zh: '值班', en: 'Duty' },
  { path: 'incidents', zh: '事件与整改', en: 'Incidents & rectification' },
  { path: 'evaluation', zh: '评估', en: 'Evaluation' },
];

export function App(props: AppRootProps<AppSettings>) {
  const location = useLocation();
  const navigate = useNavigate();
  const current = pages.find((p) => location.pathname.split('/').includes(p.path))?.path ?? 'reports';
  return (
    <div style={{ padding: 8 }}>
      <TabsBar>
        {pages.map((p) => (
          <Tab key={p.path} label={t(p.zh, p.en)} active={current === p.path} onChangeTab={() => navigate(`${APP_URL}/${p.path}`)} />
        ))}
      </TabsBar>
      <div style={{ paddingTop: 16 }}>
        <Routes>
          <Route path="reports" element={<Reports serviceStart={props.meta?.jsonData?.serviceStart} />} />
          <Route path="inspections" element={<Inspections />} />
          <Route path="duty" element={<Duty />} />
          <Route path="incidents" element={<Incidents />} />
          <Route path="evaluation" element={<Evaluation />} />
          <Route path="*" element={<Navigate to="reports" replace />} />
        </Routes>
      </div>
    </div>
  );
}
