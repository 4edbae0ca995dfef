import { config } from '@grafana/runtime';

export type Lang = 'zh' | 'en';

// The pages speak Chinese first; a Grafana user whose language (profile or
// organisation default, config.bootData.user.language) is English sees English.
export function lang(): Lang {
  const user = config?.bootData?.user as { language?: string; locale?: string } | undefined;
  const l = user?.language || user?.locale || '';
  return /^en/i.test(l) ? 'en' : 'zh';
}

// t picks the text for the user's language.
export function t(zh: string, en: string): string {
  return lang() === 'en' ? en : zh;
}

// orgRole is the user's Grafana organisation role as the page knows it (to
// offer Admin actions; the backend checks the role of every call itself).
export function orgRole(): string {
  const user = config?.bootData?.user as { orgRole?: string } | undefined;
  return user?.orgRole ?? '';
}
