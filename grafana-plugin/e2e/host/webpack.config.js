// The e2e host page's bundle (host.tsx): React, @grafana/ui, @grafana/data,
// react-router, rxjs and emotion from node_modules — the packages the app
// expects Grafana to provide — plus the @grafana/runtime stand-in. Built by
// scripts/frontend.sh e2e-host into build/e2e-host/host.js; only the tests
// use it, it is not part of the plugin.
const path = require('path');

module.exports = {
  mode: 'production',
  devtool: false,
  context: __dirname,
  entry: { host: './host.tsx' },
  output: { path: path.resolve(__dirname, '../../build/e2e-host'), filename: '[name].js', publicPath: '/public/e2e-host/', clean: true },
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'] },
  optimization: { minimize: false, splitChunks: false },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: { jsc: { target: 'es2020', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } },
        },
      },
      // @grafana/ui's .mjs import CommonJS modules (react-use/lib/…) by their
      // default export: the lenient interop Grafana's own build uses.
      { test: /\.m?js$/, type: 'javascript/auto', resolve: { fullySpecified: false } },
      { test: /\.css$/, type: 'asset/source' },
    ],
  },
  plugins: [],
  performance: { hints: false },
};
