// The list of applications: filters (kept in the address, so a list can be
// bookmarked and shared between clerks), bulk 受付 / 完了, and the CSV of the same
// filters. Which applications appear is the server's decision (departments).
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var rows = document.getElementById('rows');
  var form = document.getElementById('filters');
  var names = ['procedure', 'status', 'since', 'until', 'assignee', 'q'];
  var offset = 0;
  var LIMIT = 100;

  function toLogin() { location.href = '/index.html'; }

  function filters() {
    var p = new URLSearchParams();
    names.forEach(function (n) {
      var v = form.elements[n].value.trim();
      if (v) { p.set(n, v); }
    });
    return p;
  }

  function cell(tr, text) {
    var td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function render(list, append) {
    if (!append) { rows.textContent = ''; }
    list.forEach(function (a) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.value = a.receipt_no;
      box.className = 'pick';
      box.setAttribute('aria-label', '到達番号 ' + a.receipt_no + ' を選択');
      td.appendChild(box);
      tr.appendChild(td);
      var link = document.createElement('a');
      link.href = '/application.html?r=' + encodeURIComponent(a.receipt_no);
      link.textContent = a.receipt_no;
      cell(tr, '').appendChild(link);
      cell(tr, a.procedure.title || a.procedure.id);
      cell(tr, a.status_label);
      cell(tr, a.received_at.replace('T', ' ').slice(0, 16));
      cell(tr, a.assignee ? a.assignee.display_name : '未割り当て');
      rows.appendChild(tr);
    });
  }

  function load(append) {
    err.hidden = true;
    var p = filters();
    p.set('limit', String(LIMIT));
    p.set('offset', String(offset));
    document.getElementById('csv').href = '/api/v1/' + encodeURIComponent(Staff.tenant()) +
      '/staff/applications/export.csv?' + filters().toString();
    Staff.api('GET', '/applications?' + p.toString()).then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      render(res.body.applications, append);
      var shown = offset + res.body.applications.length;
      document.getElementById('count').textContent =
        res.body.total + ' 件中 ' + shown + ' 件を表示しています。';
      document.getElementById('more').hidden = shown >= res.body.total;
    }).catch(function () {
      Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
    });
  }

  function procedures() {
    Staff.api('GET', '/procedures').then(function (res) {
      if (!res.ok) { return; }
      var sel = form.elements.procedure;
      var seen = {};
      res.body.procedures.forEach(function (p) {
        if (seen[p.id]) { return; }
        seen[p.id] = true;
        var o = document.createElement('option');
        o.value = p.id;
        o.textContent = p.title + '（' + p.id + '）';
        sel.appendChild(o);
      });
      sel.value = new URLSearchParams(location.search).get('procedure') || '';
    });
  }

  function bulk(action, label) {
    var picked = Array.prototype.map.call(document.querySelectorAll('.pick:checked'),
      function (b) { return b.value; });
    if (!picked.length) { Staff.showError(err, '申請を選択してください。'); return; }
    Staff.api('POST', '/applications/bulk', { action: action, receipts: picked }).then(function (res) {
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      var failed = res.body.results.filter(function (r) { return !r.ok; });
      notice.textContent = res.body.succeeded + ' 件を' + label + 'しました。' +
        (failed.length ? ' ' + failed.length + ' 件はできませんでした: ' +
          failed.map(function (r) { return r.receipt_no + '（' + r.error.message + '）'; }).join(' ') : '');
      notice.hidden = false;
      offset = 0;
      load(false);
    });
  }

  // The filters come from the address, so a reload shows the same list.
  var q = new URLSearchParams(location.search);
  names.forEach(function (n) { if (q.get(n)) { form.elements[n].value = q.get(n); } });

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    history.replaceState(null, '', '?' + filters().toString());
    offset = 0;
    load(false);
  });
  document.getElementById('more').addEventListener('click', function () {
    offset += LIMIT;
    load(true);
  });
  document.getElementById('select-all').addEventListener('change', function (e) {
    Array.prototype.forEach.call(document.querySelectorAll('.pick'),
      function (b) { b.checked = e.target.checked; });
  });
  document.getElementById('bulk-accept').addEventListener('click', function () { bulk('accept', '受付'); });
  document.getElementById('bulk-complete').addEventListener('click', function () { bulk('complete', '完了に'); });

  procedures();
  load(false);
})();
