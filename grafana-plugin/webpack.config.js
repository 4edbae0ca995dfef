// Builds src/module.tsx into an AMD module.js as @grafana/create-plugin's
// webpack config does: Grafana provides React, @grafana/* and the router at
// run time (externals), everything else is bundled. Output: build/frontend/.
const path = require('path');

module.exports = (env) => ({
  mode: env.production ? 'production' : 'development',
  devtool: env.production ? 'source-map' : 'eval-source-map',
  context: path.join(__dirname, 'src'),
  entry: { module: './module.tsx' },
  output: {
    path: path.resolve(__dirname, 'build/frontend'),
    filename: '[name].js',
    library: { type: 'amd' },
    publicPath: 'public/plugins/jianguan-report-app/',
    clean: true,
    uniqueName: 'jianguan-report-app',
  },
  externals: [
    'lodash',
    'react',
    'react-dom',
    'rxjs',
    'rxjs/operators',
    '@emotion/css',
    '@emotion/react',
    /^@grafana\/ui/i,
    /^@grafana\/runtime/i,
    /^@grafana\/data/i,
    // Grafana 11 shares react-router v6 as react-router-dom-v5-compat
    // (its react-router-dom is still v5).
    { 'react-router-dom': 'react-router-dom-v5-compat' },
  ],
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx'] },
  module: {
    rules: [
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              baseUrl: path.resolve(__dirname, 'src'),
              target: 'es2018',
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'automatic' } },
            },
          },
        },
      },
    ],
  },
  performance: { hints: false },
});
