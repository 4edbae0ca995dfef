// jsdom lacks what @grafana/ui measures with.
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'util';

Object.assign(global, { TextDecoder, TextEncoder });

Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});

class NoResize {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(window as unknown as { ResizeObserver: typeof NoResize }).ResizeObserver = NoResize;
(window as unknown as { IntersectionObserver: typeof NoResize }).IntersectionObserver = NoResize;

// @grafana/runtime is Grafana's at run time; in unit tests its backend
// service and boot config come from src/testing/backend.ts.
jest.mock('@grafana/runtime', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const b = require('./src/testing/backend');
  return { getBackendSrv: () => b.fakeBackendSrv(), config: b.runtimeConfig };
});

// The CI machine is shared: give asynchronous UI updates time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('@testing-library/react').configure({ asyncUtilTimeout: 15000 });
