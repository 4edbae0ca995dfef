import { setLanguage } from './testing/backend';
import { toApiError } from './api';
import { formatSeconds, formatTime, midnightShanghai, monthsBetween, nowShanghaiLocal, oneLine, shanghaiInstant, todayShanghai, validDate, validInstant, validMonth, validScore } from './validate';

beforeEach(() => setLanguage('zh-Hans'));

describe('validation', () => {
  it.each([
    ['2026-12-04', '', ''],
    ['2026-02-29', '', '没有这一天'],
    ['2026-2-3', '', '日期格式为 YYYY-MM-DD'],
    ['2026-12-05', '2026-12-04', '不能是将来的日期'],
    ['', '', '日期格式为 YYYY-MM-DD'],
  ])('validDate(%s, notAfter %s) = %s', (v, notAfter, want) => {
    expect(validDate(v, notAfter || undefined)).toBe(want);
  });

  it.each([
    ['2026-10', ''],
    ['2026-13', '月份格式为 YYYY-MM，例如 2026-10'],
    ['1999-01', '月份格式为 YYYY-MM，例如 2026-10'],
    ['202610', '月份格式为 YYYY-MM，例如 2026-10'],
  ])('validMonth(%s) = %s', (v, want) => {
    expect(validMonth(v)).toBe(want);
  });

  it.each([
    ['0', ''],
    ['100', ''],
    ['88.5', ''],
    ['100.1', '分数范围 0 到 100'],
    ['-1', '请输入 0 到 100 的数字'],
    ['1e2', '请输入 0 到 100 的数字'],
    ['', '请输入 0 到 100 的数字'],
  ])('validScore(%s) = %s', (v, want) => {
    expect(validScore(v)).toBe(want);
  });

  it.each([
    ['张三', 128, ''],
    ['  ', 128, '必填'],
    ['a\nb', 128, '只能一行'],
    ['张'.repeat(43), 128, '不超过 128 字节'], // 129 bytes, 43 characters
  ])('oneLine(%j, %d) = %s', (v, max, want) => {
    expect(oneLine(v, max)).toBe(want);
  });

  it.each([
    ['2026-12-04T09:30', '', '2026-12-04T09:30:00+08:00'],
    ['2026-12-04T09:34', '', '2026-12-04T09:34:00+08:00'], // within the server's 5 minutes
    ['2026-12-04T09:40', '不能是将来的时间', '2026-12-04T09:40:00+08:00'],
    ['2026-12-04 09:30', '时间格式为 YYYY-MM-DD HH:MM', ''],
    ['', '时间格式为 YYYY-MM-DD HH:MM', ''],
  ])('validInstant(%s) = %s', (v, want, rfc) => {
    const now = new Date('2026-12-04T01:30:00Z'); // 09:30 in Shanghai
    expect(validInstant(v, now)).toBe(want);
    expect(shanghaiInstant(v)).toBe(rfc);
    expect(nowShanghaiLocal(now)).toBe('2026-12-04T09:30');
  });

  it('speaks English to an English user', () => {
    setLanguage('en-US');
    expect(validMonth('x')).toBe('Use YYYY-MM, e.g. 2026-10');
  });
});

describe('periods and times (Asia/Shanghai)', () => {
  it('today and midnight are Shanghai days', () => {
    expect(todayShanghai(new Date('2026-12-03T16:30:00Z'))).toBe('2026-12-04');
    expect(midnightShanghai('2026-12-04')).toBe('2026-12-03T16:00:00Z');
    expect(formatTime('2026-12-03T16:30:00Z')).toBe('2026-12-04 00:30');
  });

  it.each([
    ['2026-11', '2027-02', ['2026-11', '2026-12', '2027-01', '2027-02']],
    ['2026-10', '2026-10', ['2026-10']],
    ['2026-10', '2026-09', []],
  ])('monthsBetween(%s, %s)', (a, b, want) => {
    expect(monthsBetween(a, b)).toEqual(want);
  });

  it('bounds a custom range', () => {
    expect(monthsBetween('2000-01', '9999-12')).toHaveLength(1201);
  });

  it.each([
    [3725, '1 h 2 min 5 s'],
    [59, '59 s'],
    [null, '—'],
    [Infinity, '—'],
  ])('formatSeconds(%s) = %s', (s, want) => {
    expect(formatSeconds(s)).toBe(want);
  });
});

describe('toApiError', () => {
  it.each([
    [{ status: 401, data: { message: 'Unauthorized' } }, '会话已过期，请重新登录 Grafana。 Unauthorized'],
    [{ status: 403, data: { error: 'needs the Grafana organisation role Admin' } }, '权限不足：needs the Grafana organisation role Admin'],
    [{ status: 500, data: 'plain text' }, '500 plain text'],
    [{ status: 0, message: 'Network Error' }, '无法连接 Grafana：Network Error'],
  ])('%j → %s', (e, want) => {
    expect(toApiError(e).message).toBe(want);
  });
});
