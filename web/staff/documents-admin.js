// 交付文書: bulk issue from a zip (clerks and administrators), and the issuer's name,
// the seal and the templates (administrators). The server checks every input and
// says what is wrong; this page shows it.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var templates = [];

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function done(res, text) {
    if (res.status === 401) { location.href = '/index.html'; return false; }
    if (!res.ok) { Staff.showError(err, Staff.message(res)); return false; }
    err.hidden = true;
    notice.textContent = text;
    notice.hidden = false;
    return true;
  }
  var upload = Staff.upload;

  function loadSettings() {
    Staff.api('GET', '/documents/settings').then(function (res) {
      if (res.status === 401) { location.href = '/index.html'; return; }
      if (!res.ok) { return; }
      // What the administrator typed while this was on its way wins over the stored name.
      var issuer = document.getElementById('issuer');
      if (!issuer.dataset.edited) { issuer.value = res.body.issuer; }
      document.getElementById('has-seal').textContent = res.body.has_seal ? '登録済み' : '未登録';
      document.getElementById('signing').textContent = res.body.signing_available
        ? '文書署名用の証明書が設定されています。'
        : '文書署名用の証明書が設定されていないため、発行できません。システム管理者にご連絡ください。';
    });
  }
  function edit(t) {
    document.getElementById('template-id').value = t ? t.id : '';
    document.getElementById('template-name').value = t ? t.name : '';
    document.getElementById('template-title').value = t ? t.title : '';
    document.getElementById('template-body').value = t ? t.body : '';
  }
  function loadTemplates() {
    Staff.api('GET', '/documents/templates').then(function (res) {
      if (!res.ok) { return; }
      templates = res.body.templates;
      document.getElementById('builtin').textContent =
        res.body.builtin_fields.map(function (f) { return '{{' + f + '}}'; }).join('、');
      var ul = document.getElementById('templates');
      ul.textContent = '';
      templates.forEach(function (t) {
        var li = el('li');
        var b = el('button', t.name + '（' + t.title + '）を編集');
        b.type = 'button';
        b.addEventListener('click', function () { edit(t); document.getElementById('template-name').focus(); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      if (!templates.length) { ul.appendChild(el('li', 'ひな形はまだありません。')); }
    });
  }

  document.getElementById('bulk').addEventListener('submit', function (e) {
    e.preventDefault();
    var file = document.getElementById('bulk-file').files[0];
    var title = document.getElementById('bulk-title').value.trim();
    if (!title) { Staff.showError(err, '表題を入力してください。'); return; }
    if (!file) { Staff.showError(err, 'zip ファイルを選んでください。'); return; }
    var form = new FormData();
    form.append('title', title);
    form.append('file', file, file.name);
    upload('/documents/bulk', form).then(function (res) {
      if (!done(res, res.body.issued + ' 件を発行しました（発行できなかったもの ' + res.body.failed + ' 件）。')) { return; }
      var table = document.getElementById('bulk-results');
      var body = table.querySelector('tbody');
      body.textContent = '';
      res.body.results.forEach(function (r) {
        var tr = el('tr');
        tr.appendChild(el('td', r.file));
        tr.appendChild(el('td', r.receipt_no || '—'));
        tr.appendChild(el('td', r.ok ? '発行しました（' + r.n + ' 件目の文書）' : r.message));
        body.appendChild(tr);
      });
      table.hidden = false;
    });
  });

  document.getElementById('issuer').addEventListener('input', function (e) { e.target.dataset.edited = '1'; });
  document.getElementById('settings').addEventListener('submit', function (e) {
    e.preventDefault();
    var issuer = document.getElementById('issuer');
    Staff.api('PUT', '/documents/settings', { issuer: issuer.value.trim() })
      .then(function (res) {
        if (done(res, '発行者名を保存しました。')) { delete issuer.dataset.edited; loadSettings(); }
      });
  });

  document.getElementById('seal').addEventListener('submit', function (e) {
    e.preventDefault();
    var file = document.getElementById('seal-file').files[0];
    if (!file) { Staff.showError(err, '公印の PNG ファイルを選んでください。'); return; }
    var form = new FormData();
    form.append('file', file, file.name);
    upload('/documents/seal', form).then(function (res) {
      if (done(res, '公印の画像を登録しました。')) { loadSettings(); }
    });
  });

  document.getElementById('template').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = document.getElementById('template-id').value;
    var body = {
      name: document.getElementById('template-name').value.trim(),
      title: document.getElementById('template-title').value.trim(),
      body: document.getElementById('template-body').value
    };
    Staff.api(id ? 'PUT' : 'POST', '/documents/templates' + (id ? '/' + id : ''), body).then(function (res) {
      if (done(res, 'ひな形「' + body.name + '」を保存しました。')) { edit(res.body); loadTemplates(); }
    });
  });
  document.getElementById('template-new').addEventListener('click', function () { edit(null); });

  loadSettings();
  loadTemplates();
})();
