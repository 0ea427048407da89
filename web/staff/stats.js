// Statistics: the figures come from /staff/stats (department-scoped for clerks by
// the server), drawn as inline SVG built here (the CSP allows no inline script or
// style attribute tricks; every element is made with createElementNS) and given
// again as tables, which is what a screen reader reads.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var err = document.getElementById('error');
  var form = document.getElementById('filters');
  var names = ['period', 'since', 'until', 'procedure'];

  function params() {
    var p = new URLSearchParams();
    names.forEach(function (n) {
      var v = form.elements[n].value.trim();
      if (v) { p.set(n, v); }
    });
    return p;
  }

  function hours(s) {
    if (s === null || s === undefined) { return '—'; }
    if (s < 3600) { return Math.round(s / 60) + ' 分'; }
    if (s < 86400 * 2) { return (s / 3600).toFixed(1) + ' 時間'; }
    return (s / 86400).toFixed(1) + ' 日';
  }

  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // A bar chart of [{label, value, text}]: vertical bars, labels under every
  // n-th bar so that a year of days stays legible.
  function bars(container, title, data, horizontal) {
    container.textContent = '';
    if (data.length === 0) {
      container.textContent = '該当する申請はありません。';
      return;
    }
    var max = Math.max.apply(null, data.map(function (d) { return d.value; })) || 1;
    var svg, i;
    if (horizontal) {
      var rowH = 28, w = 640, left = 220;
      svg = el('svg', { viewBox: '0 0 ' + w + ' ' + (data.length * rowH + 10), role: 'img',
                        'aria-label': title, 'class': 'bars' });
      data.forEach(function (d, k) {
        var y = k * rowH + 5, len = (w - left - 90) * d.value / max;
        svg.appendChild(el('text', { x: left - 8, y: y + 17, 'text-anchor': 'end' },
                           d.label.length > 16 ? d.label.slice(0, 15) + '…' : d.label));
        svg.appendChild(el('rect', { x: left, y: y + 3, width: Math.max(len, 1), height: rowH - 8,
                                     'class': 'bar' }));
        svg.appendChild(el('text', { x: left + len + 6, y: y + 17 }, d.text));
      });
    } else {
      var h = 220, bw = Math.max(4, Math.min(40, Math.floor(600 / data.length))), gap = 2;
      var width = data.length * (bw + gap) + 60, every = Math.ceil(data.length / 12);
      svg = el('svg', { viewBox: '0 0 ' + width + ' ' + (h + 40), role: 'img',
                        'aria-label': title, 'class': 'bars' });
      svg.appendChild(el('text', { x: 0, y: 12 }, '最大 ' + max + ' 件'));
      for (i = 0; i < data.length; i++) {
        var d = data[i], bh = (h - 20) * d.value / max, x = 50 + i * (bw + gap);
        var r = el('rect', { x: x, y: h - bh, width: bw, height: Math.max(bh, 0.5), 'class': 'bar' });
        r.appendChild(el('title', {}, d.label + ': ' + d.text));
        svg.appendChild(r);
        if (i % every === 0) {
          svg.appendChild(el('text', { x: x, y: h + 16, 'class': 'tick' }, d.label.slice(5) || d.label));
        }
      }
      svg.appendChild(el('line', { x1: 48, y1: h, x2: width, y2: h, 'class': 'axis' }));
    }
    container.appendChild(svg);
  }

  function cell(tr, text) {
    var td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
  }

  function render(s) {
    var byBucket = {}, order = [];
    s.rows.forEach(function (r) {
      if (!(r.bucket in byBucket)) { byBucket[r.bucket] = 0; order.push(r.bucket); }
      byBucket[r.bucket] += r.arrived;
    });
    bars(document.getElementById('chart-arrivals'), '期間ごとの到達件数',
         order.map(function (b) { return { label: b, value: byBucket[b], text: byBucket[b] + ' 件' }; }));
    bars(document.getElementById('chart-time'), '手続ごとの平均処理時間',
         s.procedures.filter(function (p) { return p.avg_completion_s !== null; }).map(function (p) {
           return { label: p.title, value: p.avg_completion_s, text: hours(p.avg_completion_s) };
         }), true);
    var totals = document.getElementById('totals'), rows = document.getElementById('rows');
    totals.textContent = '';
    rows.textContent = '';
    s.procedures.forEach(function (p) {
      var tr = document.createElement('tr');
      cell(tr, p.title + '（' + p.procedure_id + '）');
      cell(tr, p.arrived + ' 件');
      cell(tr, p.completed + ' 件');
      cell(tr, hours(p.avg_completion_s));
      totals.appendChild(tr);
    });
    s.rows.forEach(function (r) {
      var tr = document.createElement('tr');
      cell(tr, r.bucket);
      cell(tr, r.title);
      cell(tr, r.arrived + ' 件');
      cell(tr, r.completed + ' 件');
      cell(tr, hours(r.avg_completion_s));
      rows.appendChild(tr);
    });
    var total = s.procedures.reduce(function (n, p) { return n + p.arrived; }, 0);
    document.getElementById('summary').textContent = s.since + ' から ' + s.until + ' までに到達した申請 ' +
      total + ' 件' + (s.department_scoped ? '（所属部署の申請のみ）' : '');
    document.getElementById('downloads-note').textContent = s.form_downloads_note || '';
  }

  function links() {
    var base = '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff/stats.csv?';
    var p = params();
    document.getElementById('csv-utf8').href = base + p.toString();
    p.set('encoding', 'cp932');
    document.getElementById('csv-sjis').href = base + p.toString();
  }

  function load() {
    err.hidden = true;
    links();
    Staff.api('GET', '/stats?' + params().toString()).then(function (res) {
      if (res.status === 401) { location.href = '/index.html'; return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      if (!form.elements.since.value) { form.elements.since.value = res.body.since; }
      if (!form.elements.until.value) { form.elements.until.value = res.body.until; }
      links();
      render(res.body);
    }).catch(function () { Staff.showError(err); });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    load();
  });
  form.elements.period.addEventListener('change', function () {
    form.elements.since.value = '';
    form.elements.until.value = '';
  });
  load();
})();
