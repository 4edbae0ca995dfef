// Bundle-size budget: build/frontend/module.js (minified, without source map)
// must stay under BUDGET bytes raw and GZIP_BUDGET bytes gzipped. React,
// @grafana/* and the router are Grafana's (externals), so the bundle is the
// app's own code; a breach usually means a dependency was bundled by mistake.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const BUDGET = 100 * 1024;
const GZIP_BUDGET = 30 * 1024;
const file = path.join(__dirname, '..', 'build', 'frontend', 'module.js');
if (!fs.existsSync(file)) {
  console.error(`${file} does not exist: run npm run build first`);
  process.exit(2);
}
const raw = fs.readFileSync(file);
const gz = zlib.gzipSync(raw, { level: 9 }).length;
console.log(`module.js: ${raw.length} bytes (budget ${BUDGET}), gzipped ${gz} bytes (budget ${GZIP_BUDGET})`);
if (raw.length > BUDGET || gz > GZIP_BUDGET) {
  console.error('bundle-size budget exceeded');
  process.exit(1);
}
