import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { t } from './i18n';

export const PLUGIN_ID = 'jianguan-report-app';
export const BASE = `/api/plugins/${PLUGIN_ID}/resources`;

// ApiError carries the HTTP status and the backend's message ({"error": …}).
export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface FetchFailure {
  status?: number;
  statusText?: string;
  data?: { error?: string; message?: string } | string;
  message?: string;
}

// toApiError turns what getBackendSrv().fetch throws into a message a user
// can act on: the backend's own text, and for 401/403 what to do about it.
export function toApiError(e: unknown): ApiError {
  const f = (e ?? {}) as FetchFailure;
  const status = typeof f.status === 'number' ? f.status : 0;
  let msg = '';
  if (typeof f.data === 'string') {
    msg = f.data;
  } else if (f.data) {
    msg = f.data.error || f.data.message || '';
  }
  msg = msg || f.statusText || f.message || String(e);
  if (status === 401) {
    return new ApiError(status, t('会话已过期，请重新登录 Grafana。', 'Your Grafana session has expired: sign in again.') + ' ' + msg);
  }
  if (status === 403) {
    return new ApiError(status, t('权限不足：', 'Permission denied: ') + msg);
  }
  if (status === 0) {
    return new ApiError(status, t('无法连接 Grafana：', 'Cannot reach Grafana: ') + msg);
  }
  return new ApiError(status, `${status} ${msg}`);
}

// api calls the plugin backend's resource path (e.g. '/reports'), returning
// the JSON answer or throwing an ApiError.
export async function api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  try {
    const r = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: BASE + path,
        method,
        data: body,
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return r.data;
  } catch (e) {
    throw toApiError(e);
  }
}

// errorMessage is the text of anything thrown.
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
