// The host page of the end-to-end tests (grafana-plugin/pkg/e2e_browser_test.go):
// the stand-in for Grafana's own frontend, which cannot be installed here.
// It provides the app's externals from the same npm packages Grafana ships
// (React, @grafana/ui, @grafana/data, react-router v6 as
// react-router-dom-v5-compat, rxjs, emotion) and, for @grafana/runtime, the
// two things the pages use: getBackendSrv().fetch (a real HTTP request to
// /api/plugins/<id>/resources/…, which the test's Go shim forwards to the
// plugin's CallResource over Grafana's gRPC protocol) and config.bootData
// (the signed-in user: login, role, language; the theme). Then it loads the
// built dist module.js through a minimal AMD define, as Grafana's SystemJS
// does, and mounts plugin.root under /a/<id>/ with Grafana's theme and
// global styles.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaUI from '@grafana/ui';
import * as lodash from 'lodash';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as router from 'react-router-dom';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

interface Boot {
  pluginId: string;
  moduleUrl: string;
  user: { login: string; orgRole: string; language: string };
  theme: 'light' | 'dark';
  jsonData: Record<string, unknown>;
}

const boot: Boot = (window as unknown as { jianguanBoot: Boot }).jianguanBoot;
const theme = grafanaData.createTheme({ colors: { mode: boot.theme } });

interface FetchRequest {
  url: string;
  method?: string;
  data?: unknown;
}

// getBackendSrv().fetch: Grafana's answers are {data, status, ok}; a
// failure is thrown as {status, statusText, data}.
function fetchObservable(req: FetchRequest) {
  return new rxjs.Observable((sub) => {
    const init: RequestInit = { method: req.method ?? 'GET', credentials: 'same-origin', headers: {} };
    if (req.data !== undefined) {
      init.body = JSON.stringify(req.data);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    const ctl = new AbortController();
    init.signal = ctl.signal;
    fetch(req.url, init).then(
      async (r) => {
        const text = await r.text();
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // not JSON: the text itself
        }
        if (r.ok) {
          sub.next({ data, status: r.status, ok: true, statusText: r.statusText, url: req.url });
          sub.complete();
        } else {
          sub.error({ data, status: r.status, statusText: r.statusText });
        }
      },
      (e) => sub.error({ status: 0, statusText: String(e), data: { message: String(e) } })
    );
    return () => ctl.abort();
  });
}

const runtime = {
  getBackendSrv: () => ({ fetch: fetchObservable }),
  config: { bootData: { user: boot.user }, theme2: theme, buildInfo: { version: '11.6.11' } },
};

const registry: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  'react-router-dom-v5-compat': router,
  'react-router-dom': router,
  rxjs,
  'rxjs/operators': rxjsOperators,
  lodash,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/ui': grafanaUI,
  '@grafana/data': grafanaData,
  '@grafana/runtime': runtime,
};

type Factory = (...deps: unknown[]) => { plugin: grafanaData.AppPlugin };

function loadPlugin(): Promise<grafanaData.AppPlugin> {
  return new Promise((resolve, reject) => {
    const define = (deps: string[], factory: Factory) => {
      const missing = deps.filter((d) => !(d in registry));
      if (missing.length) {
        reject(new Error('host page lacks ' + missing.join(', ')));
        return;
      }
      resolve(factory(...deps.map((d) => registry[d])).plugin);
    };
    (define as unknown as { amd: boolean }).amd = true;
    (window as unknown as { define: unknown }).define = define;
    const s = document.createElement('script');
    s.src = boot.moduleUrl;
    s.onerror = () => reject(new Error('cannot load ' + boot.moduleUrl));
    document.head.appendChild(s);
  });
}

loadPlugin().then(
  (plugin) => {
    const Root = plugin.root as React.ComponentType<Record<string, unknown>>;
    const meta = { id: boot.pluginId, jsonData: boot.jsonData, enabled: true };
    document.body.style.background = theme.colors.background.canvas;
    createRoot(document.getElementById('root')!).render(
      <grafanaData.ThemeContext.Provider value={theme}>
        <grafanaUI.GlobalStyles />
        <router.BrowserRouter>
          <router.Routes>
            <router.Route path={`/a/${boot.pluginId}/*`} element={<Root meta={meta} basename={`/a/${boot.pluginId}`} path={`/a/${boot.pluginId}`} query={{}} onNavChanged={() => {}} />} />
          </router.Routes>
        </router.BrowserRouter>
      </grafanaData.ThemeContext.Provider>
    );
    (window as unknown as { jianguanMounted: boolean }).jianguanMounted = true;
  },
  (e: Error) => {
    document.getElementById('root')!.textContent = 'HOST ERROR: ' + e.message;
  }
);
