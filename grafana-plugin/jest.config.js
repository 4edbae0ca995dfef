// Unit tests of the pages and forms (jsdom, @testing-library/react), as
// @grafana/create-plugin sets them up: swc transforms TypeScript, and the few
// ES-module-only packages @grafana/ui pulls in are transformed too.
const esModules = ['react-calendar', '@grafana/schema', 'd3', 'd3-color', 'd3-force', 'd3-interpolate', 'd3-scale-chromatic', 'ol', 'react-colorful', 'rxjs', 'uuid', 'marked'];

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}'],
  setupFilesAfterEnv: ['<rootDir>/jest-setup.ts'],
  moduleNameMapper: {
    '\\.(css|scss|sass)$': '<rootDir>/jest-style-mock.js',
  },
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': ['@swc/jest', { jsc: { transform: { react: { runtime: 'automatic' } } } }],
  },
  transformIgnorePatterns: [`node_modules/(?!(${esModules.join('|')})/)`],
  testTimeout: 60000, // the machines are shared; userEvent typing is slow under load
};
