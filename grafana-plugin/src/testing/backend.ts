// A stand-in for Grafana's backend service in unit tests: each test routes
// the plugin's resource calls (method + path under the plugin's resources)
// to answers, and sees every call it made. The real backend is tested in
// grafana-plugin/pkg and end to end.
import { Observable } from 'rxjs';

export interface Call {
  method: string;
  path: string;
  data?: unknown;
}

export type Answer = { status: number; data: unknown };
export type Route = (c: Call) => Answer | undefined;

export const calls: Call[] = [];
let route: Route = () => undefined;
export const runtimeConfig = { bootData: { user: { language: 'zh-Hans', orgRole: 'Editor' } } };

export function setBackend(r: Route) {
  calls.length = 0;
  route = r;
}

export function setLanguage(l: string) {
  runtimeConfig.bootData.user.language = l;
}

export function setOrgRole(r: string) {
  runtimeConfig.bootData.user.orgRole = r;
}

const PREFIX = '/api/plugins/jianguan-report-app/resources';

export function fakeBackendSrv() {
  return {
    fetch: (req: { url: string; method?: string; data?: unknown }) =>
      new Observable((sub) => {
        const c: Call = { method: req.method ?? 'GET', path: req.url.replace(PREFIX, ''), data: req.data };
        calls.push(c);
        const a = route(c) ?? { status: 404, data: { error: `no route for ${c.method} ${c.path}` } };
        // Asynchronous, as the real one.
        setTimeout(() => {
          if (a.status >= 200 && a.status < 300) {
            sub.next({ data: a.data, status: a.status, ok: true });
            sub.complete();
          } else {
            sub.error({ status: a.status, data: a.data, statusText: 'error' });
          }
        }, 0);
      }),
  };
}

export function json(status: number, data: unknown): Answer {
  return { status, data };
}
