// The audit log's search: the server decides who may read it (監査者・管理者) and
// records each search; pages go back in time by the last record number shown.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var form = document.getElementById('filters');
  var rows = document.getElementById('rows');
  var more = document.getElementById('more');
  var names = ['since', 'until', 'actor', 'action', 'target'];
  var before = null;

  function params() {
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
  }

  function links() {
    var base = '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff/audit.csv?';
    var p = params();
    document.getElementById('csv-utf8').href = base + p.toString();
    p.set('encoding', 'cp932');
    document.getElementById('csv-sjis').href = base + p.toString();
  }

  function load(append) {
    var p = params();
    err.hidden = true;
    if (append && before) { p.set('before', before); }
    Staff.api('GET', '/audit?' + p.toString()).then(function (res) {
      if (res.status === 401) { location.href = '/index.html'; return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      if (!append) { rows.textContent = ''; }
      res.body.entries.forEach(function (e) {
        var tr = document.createElement('tr');
        cell(tr, String(e.seq));
        cell(tr, e.at.replace('T', ' ').slice(0, 19));
        cell(tr, e.actor);
        cell(tr, e.action);
        cell(tr, e.target);
        cell(tr, e.remote);
        cell(tr, e.detail ? JSON.stringify(e.detail) : '');
        rows.appendChild(tr);
      });
      before = res.body.next_before;
      more.hidden = !before;
    }).catch(function () { Staff.showError(err); });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    links();
    load(false);
  });
  more.addEventListener('click', function () { load(true); });
  links();
  load(false);
})();
