import { t } from './i18n';

// Client-side checks of the forms; the records API checks everything again.
// Each returns a message for the field, or '' when the value is fine.

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000; // Asia/Shanghai has no DST since 1991

// todayShanghai is today's date in Asia/Shanghai, YYYY-MM-DD.
export function todayShanghai(now: Date = new Date()): string {
  return new Date(now.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

// midnightShanghai is the UTC instant of a day's midnight in Asia/Shanghai.
export function midnightShanghai(day: string): string {
  return new Date(Date.parse(day + 'T00:00:00Z') - SHANGHAI_OFFSET_MS).toISOString().replace('.000Z', 'Z');
}

export function required(v: string, max = 128): string {
  if (!v.trim()) {
    return t('必填', 'Required');
  }
  if ([...v].length > max) {
    return t(`不超过 ${max} 个字符`, `At most ${max} characters`);
  }
  return '';
}

// oneLine mirrors the server's one-line fields (names, evidence, ticket
// numbers): required, at most maxBytes bytes of UTF-8, no line break.
export function oneLine(v: string, maxBytes: number): string {
  if (!v.trim()) {
    return t('必填', 'Required');
  }
  if (/[\r\n\0]/.test(v)) {
    return t('只能一行', 'One line only');
  }
  if (new TextEncoder().encode(v).length > maxBytes) {
    return t(`不超过 ${maxBytes} 字节`, `At most ${maxBytes} bytes`);
  }
  return '';
}

// shanghaiInstant turns a datetime-local value (YYYY-MM-DDTHH:MM, Asia/
// Shanghai) into RFC 3339 with +08:00; '' when it is not one.
export function shanghaiInstant(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) || isNaN(Date.parse(v + ':00+08:00'))) {
    return '';
  }
  return v + ':00+08:00';
}

// nowShanghaiLocal is now as a datetime-local value in Asia/Shanghai.
export function nowShanghaiLocal(now: Date = new Date()): string {
  return new Date(now.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16);
}

// validInstant checks a datetime-local value (Asia/Shanghai): required and
// not more than 5 minutes in the future, as the server does.
export function validInstant(v: string, now: Date = new Date()): string {
  const s = shanghaiInstant(v);
  if (!s) {
    return t('时间格式为 YYYY-MM-DD HH:MM', 'Use YYYY-MM-DD HH:MM');
  }
  if (Date.parse(s) > now.getTime() + 5 * 60 * 1000) {
    return t('不能是将来的时间', 'Cannot be in the future');
  }
  return '';
}

// validDate checks YYYY-MM-DD (a real day); notAfter (YYYY-MM-DD) bounds it.
export function validDate(v: string, notAfter?: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    return t('日期格式为 YYYY-MM-DD', 'Use YYYY-MM-DD');
  }
  const d = new Date(v + 'T00:00:00Z');
  if (isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    return t('没有这一天', 'No such day');
  }
  if (notAfter && v > notAfter) {
    return t('不能是将来的日期', 'Cannot be in the future');
  }
  return '';
}

// validMonth checks YYYY-MM.
export function validMonth(v: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(v);
  if (!m || +m[2] < 1 || +m[2] > 12 || +m[1] < 2000) {
    return t('月份格式为 YYYY-MM，例如 2026-10', 'Use YYYY-MM, e.g. 2026-10');
  }
  return '';
}

// validScore checks a manual score: a number 0 … 100.
export function validScore(v: string): string {
  if (!/^\d+(\.\d+)?$/.test(v.trim())) {
    return t('请输入 0 到 100 的数字', 'Enter a number from 0 to 100');
  }
  const n = Number(v);
  if (n < 0 || n > 100) {
    return t('分数范围 0 到 100', 'The score is 0 … 100');
  }
  return '';
}

// hasErrors is true when any message is set.
export function hasErrors(errs: Record<string, string>): boolean {
  return Object.values(errs).some((e) => e !== '');
}

// monthsBetween lists YYYY-MM from a to b inclusive (empty if a > b).
export function monthsBetween(a: string, b: string): string[] {
  const out: string[] = [];
  let [y, m] = a.split('-').map(Number);
  const [by, bm] = b.split('-').map(Number);
  while (y < by || (y === by && m <= bm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
    if (out.length > 1200) {
      break; // a century of months: the bound of a custom range
    }
  }
  return out;
}

// formatSeconds shows a duration (seconds) as 1 h 2 min 3 s.
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !isFinite(s)) {
    return '—';
  }
  const n = Math.round(s);
  const h = Math.floor(n / 3600);
  const m = Math.floor((n % 3600) / 60);
  const sec = n % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : '', `${sec} s`].filter(Boolean).join(' ');
}

// formatTime shows an RFC 3339 instant in Asia/Shanghai (YYYY-MM-DD HH:MM).
export function formatTime(s: string | null | undefined): string {
  if (!s) {
    return '—';
  }
  const d = Date.parse(s);
  if (isNaN(d)) {
    return s;
  }
  return new Date(d + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}
