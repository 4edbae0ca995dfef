/* jianguan-report-app: a dependency-free page listing months and kinds with
 * download links. Grafana loads this AMD/SystemJS module; no npm build. */
define(['react', '@grafana/data'], function (React, grafanaData) {
  'use strict';
  var h = React.createElement;
  var base = '/api/plugins/jianguan-report-app/resources';
  var kindNames = {
    infrastructure: '基础设施 Infrastructure',
    lines: '线路 Lines',
    hosts: '主机与网站 Hosts & websites',
    providers: '服务商评估 Providers'
  };

  function ReportsPage() {
    var st = React.useState({ loading: true, data: null, error: null, msg: null });
    var state = st[0], setState = st[1];
    function load() {
      fetch(base + '/reports', { credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || r.statusText); } return j; }); })
        .then(function (j) { setState({ loading: false, data: j, error: null, msg: null }); })
        .catch(function (e) { setState({ loading: false, data: null, error: String(e.message || e), msg: null }); });
    }
    React.useEffect(load, []);
    function freeze(kind, month) {
      if (!window.confirm('冻结 ' + kind + ' ' + month + '？冻结后报告不再改变。 Freeze this month?')) { return; }
      fetch(base + '/reports/' + kind + '/' + month + '/freeze', { method: 'POST', credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || r.statusText); } return j; }); })
        .then(function (j) { load(); window.alert('已冻结 Frozen: SHA-256 ' + j.sha256); })
        .catch(function (e) { window.alert(String(e.message || e)); });
    }
    if (state.loading) { return h('p', null, '加载中 Loading…'); }
    if (state.error) { return h('div', { className: 'alert alert-error' }, '错误 Error: ' + state.error); }
    var d = state.data;
    var rows = d.months.map(function (m) {
      return h('tr', { key: m.month }, h('td', null, m.month),
        d.kinds.map(function (k) {
          var links = d.formats.map(function (f) {
            return h('a', { key: f, href: base + '/reports/' + k + '/' + m.month + '.' + f, style: { marginRight: '6px' } }, f.toUpperCase());
          });
          // Freezing is for Admins (the backend enforces it; canFreeze only
          // hides a button that would answer 403).
          var fr = m.frozen[k] ? h('span', { title: 'frozen' }, ' 🔒') : (d.canFreeze ?
            h('button', { className: 'btn btn-secondary btn-sm', style: { marginLeft: '4px' }, onClick: function () { freeze(k, m.month); } }, '冻结 freeze') : null);
          return h('td', { key: k }, links, fr);
        }));
    });
    return h('div', { style: { padding: '8px' } },
      h('h2', null, '月度报告 Monthly reports'),
      h('p', null, '按 Asia/Shanghai 日历月计算；SLA 99.99 %。 Calendar months in Asia/Shanghai.'),
      h('table', { className: 'filter-table' },
        h('thead', null, h('tr', null, h('th', null, '月份 Month'), d.kinds.map(function (k) { return h('th', { key: k }, kindNames[k] || k); }))),
        h('tbody', null, rows)));
  }

  var plugin = new grafanaData.AppPlugin().setRootPage(ReportsPage);
  return { plugin: plugin };
});
