// Exports: the columns offered are the server's whitelist for the procedure; the
// links carry the filters and columns, and the browser downloads with its session.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var form = document.getElementById('filters');
  var box = document.getElementById('columns');
  var names = ['procedure', 'status', 'since', 'until'];

  function filters() {
    var p = new URLSearchParams();
    names.forEach(function (n) {
      var v = form.elements[n].value.trim();
      if (v) { p.set(n, v); }
    });
    return p;
  }

  function links() {
    var base = '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff/exports/';
    var p = filters(), cols = [];
    box.querySelectorAll('input[type=checkbox]:checked').forEach(function (c) { cols.push(c.value); });
    var z = filters();
    if (cols.length) { p.set('columns', cols.join(',')); }
    p.set('encoding', form.querySelector('input[name=encoding]:checked').value);
    document.getElementById('csv').href = base + 'applications.csv?' + p.toString();
    document.getElementById('zip').href = base + 'attachments.zip?' + z.toString();
  }

  function loadColumns() {
    var p = new URLSearchParams();
    if (form.elements.procedure.value.trim()) { p.set('procedure', form.elements.procedure.value.trim()); }
    err.hidden = true;
    Staff.api('GET', '/exports/columns?' + p.toString()).then(function (res) {
      if (res.status === 401) { location.href = '/index.html'; return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      box.textContent = '';
      res.body.columns.forEach(function (c, i) {
        var para = document.createElement('p');
        var input = document.createElement('input');
        var label = document.createElement('label');
        input.type = 'checkbox';
        input.id = 'col-' + i;
        input.value = c.name;
        input.checked = c['default'];
        label.htmlFor = input.id;
        label.textContent = c.label + '（' + c.name + '）';
        para.appendChild(input);
        para.appendChild(document.createTextNode(' '));
        para.appendChild(label);
        box.appendChild(para);
      });
      links();
    }).catch(function () { Staff.showError(err); });
  }

  document.getElementById('load-columns').addEventListener('click', loadColumns);
  form.addEventListener('change', links);
  form.addEventListener('input', links);
  loadColumns();
})();
