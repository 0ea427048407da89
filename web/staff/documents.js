// 交付文書 on the application page: the documents issued so far (each a download of
// the signed PDF), and issuing one from a template or from an uploaded PDF. Kept
// apart from application.js; the server decides who may issue (auditors may not).
(function () {
  'use strict';
  var receipt = new URLSearchParams(location.search).get('r') || '';
  if (!receipt) { return; }
  var base = '/applications/' + encodeURIComponent(receipt) + '/documents';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function apiUrl(path) {
    return '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff' + path;
  }
  function done(res, text) {
    if (res.status === 401) { location.href = '/index.html'; return false; }
    if (!res.ok) { Staff.showError(err, Staff.message(res)); return false; }
    err.hidden = true;
    notice.textContent = text;
    notice.hidden = false;
    return true;
  }

  function list() {
    Staff.api('GET', base).then(function (res) {
      if (!res.ok) { return; }
      var ul = document.getElementById('documents');
      ul.textContent = '';
      res.body.documents.forEach(function (d) {
        var li = el('li');
        var a = el('a', d.n + '. ' + d.title);
        a.href = apiUrl(base + '/' + d.n);
        a.setAttribute('download', d.file_name);
        li.appendChild(a);
        li.appendChild(document.createTextNode('（' + d.issued_at.replace('T', ' ').slice(0, 16) +
          ' ' + d.issued_by + '、' + (d.source === 'template' ? 'ひな形' : 'PDF') +
          (d.sent ? '、送信済み' : '、送信待ち') + '）'));
        ul.appendChild(li);
      });
      if (!res.body.documents.length) { ul.appendChild(el('li', 'まだ交付していません。')); }
      document.getElementById('documents-section').hidden = false;
    });
    Staff.api('GET', '/documents/templates').then(function (res) {
      if (!res.ok) { return; }
      var sel = document.getElementById('doc-template');
      sel.textContent = '';
      res.body.templates.forEach(function (t) {
        var o = el('option', t.name + '（' + t.title + '）');
        o.value = t.id;
        sel.appendChild(o);
      });
      document.getElementById('issue-template').hidden = res.body.templates.length === 0;
    });
  }

  document.getElementById('issue-template').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = parseInt(document.getElementById('doc-template').value, 10);
    Staff.api('POST', base, { template_id: id }).then(function (res) {
      if (done(res, '「' + (res.body.title || '') + '」を発行しました。署名済みの PDF を申請者に送ります。')) { list(); }
    });
  });

  document.getElementById('issue-upload').addEventListener('submit', function (e) {
    e.preventDefault();
    var file = document.getElementById('doc-file').files[0];
    var title = document.getElementById('doc-title').value.trim();
    if (!title) { Staff.showError(err, '表題を入力してください。'); return; }
    if (!file) { Staff.showError(err, '交付する PDF ファイルを選んでください。'); return; }
    var form = new FormData();
    form.append('title', title);
    form.append('file', file, file.name);
    Staff.upload(base + '/upload', form).then(function (res) {
      if (done(res, '「' + title + '」に署名して発行しました。')) {
        document.getElementById('issue-upload').reset();
        list();
      }
    });
  });

  list();
})();
