// The procedures officed holds, every version: edit a draft, copy, download the
// definition file, import one, and publish after an explicit confirmation (a
// published version can never change). The server decides who may do what; the
// buttons only appear for administrators.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var rows = document.getElementById('rows');
  var confirmBox = document.getElementById('confirm');
  var pending = null;
  var isAdmin = false;

  function toLogin() { location.href = '/index.html'; }
  function say(text) {
    notice.textContent = text;
    notice.hidden = false;
    notice.focus();
  }
  function path(p) {
    return '/procedures/' + encodeURIComponent(p.id) + '/versions/' + p.version;
  }

  function button(text, label, fn) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.addEventListener('click', fn);
    return b;
  }

  function render(list) {
    rows.textContent = '';
    list.forEach(function (p) {
      var tr = document.createElement('tr');
      [p.id, String(p.version), p.title, p.state === 'draft' ? '下書き' : '公開済み',
        p.department ? p.department.name : ''].forEach(function (t) {
        var td = document.createElement('td');
        td.textContent = t;
        tr.appendChild(td);
      });
      var ops = document.createElement('td');
      var what = p.title + '（' + p.id + ' 第' + p.version + '版）';
      var link = document.createElement('a');
      link.href = '/builder.html?id=' + encodeURIComponent(p.id) + '&v=' + p.version;
      link.textContent = p.state === 'draft' && isAdmin ? '編集' : '内容を見る';
      link.setAttribute('aria-label', link.textContent + '：' + what);
      ops.appendChild(link);
      ops.appendChild(document.createTextNode(' '));
      var exp = document.createElement('a');
      exp.href = '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff' + path(p) + '/export';
      exp.textContent = '定義ファイル';
      exp.setAttribute('aria-label', '定義ファイルをダウンロード：' + what);
      ops.appendChild(exp);
      if (isAdmin) {
        ops.appendChild(button('複製', '複製して新しい版を作る：' + what, function () { copy(p); }));
        if (p.state === 'draft') {
          ops.appendChild(button('公開', '公開する：' + what, function () { askPublish(p, what); }));
          ops.appendChild(button('削除', '下書きを削除する：' + what, function () { askDelete(p, what); }));
        }
      }
      tr.appendChild(ops);
      rows.appendChild(tr);
    });
  }

  function load() {
    return Staff.api('GET', '/procedures').then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      render(res.body.procedures);
    });
  }

  function copy(p) {
    err.hidden = true;
    Staff.api('POST', path(p) + '/copy', {}).then(function (res) {
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      load().then(function () { say(p.id + ' の第' + res.body.version + '版（下書き）を作りました。'); });
    });
  }

  // One confirmation box for both irreversible actions: publishing and deleting.
  function ask(p, heading, text, yes, run) {
    pending = { p: p, run: run };
    document.getElementById('confirm-heading').textContent = heading;
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-yes').textContent = yes;
    confirmBox.hidden = false;
    document.getElementById('confirm-yes').focus();
  }

  function askPublish(p, what) {
    ask(p, '公開の確認', what +
      ' を公開します。公開すると住民の方が申請できるようになり、この版は変更できなくなります。' +
      'テスト版を公開している場合は、住民側から取り下げます。よろしいですか。',
      '公開する', function () {
        Staff.api('POST', path(p) + '/publish').then(function (res) {
          if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
          load().then(function () { say(res.body.message || '公開しました。'); });
        });
      });
  }

  function askDelete(p, what) {
    ask(p, '削除の確認', what + ' の下書きを削除します。テスト版とそのテスト申請も取り下げ・削除します。' +
      '元に戻すことはできません。よろしいですか。',
      '削除する', function () {
        Staff.api('DELETE', path(p)).then(function (res) {
          if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
          load().then(function () { say(what + ' の下書きを削除しました。'); });
        });
      });
  }

  document.getElementById('confirm-no').addEventListener('click', function () {
    confirmBox.hidden = true;
    pending = null;
  });
  document.getElementById('confirm-yes').addEventListener('click', function () {
    var job = pending;
    confirmBox.hidden = true;
    pending = null;
    if (!job) { return; }
    err.hidden = true;
    job.run();
  });

  document.getElementById('import-form').addEventListener('submit', function (e) {
    e.preventDefault();
    err.hidden = true;
    var file = document.getElementById('import-file').files[0];
    var dept = document.getElementById('import-dept').value;
    if (!file) { Staff.showError(err, '取り込む定義ファイルを選んでください。'); return; }
    file.text().then(function (text) {
      var doc;
      try { doc = JSON.parse(text); } catch (x) {
        Staff.showError(err, '定義ファイルを読み取れません。関所から書き出した JSON ファイルを選んでください。');
        return;
      }
      if (!doc || typeof doc !== 'object') { doc = {}; }
      doc.department = dept;
      Staff.api('POST', '/procedures/import', doc).then(function (res) {
        if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
        document.getElementById('import-form').reset();
        load().then(function () { say(res.body.id + ' の第' + res.body.version + '版を下書きとして取り込みました。'); });
      });
    });
  });

  Staff.api('GET', '/me').then(function (res) {
    if (res.status === 401) { toLogin(); return null; }
    isAdmin = res.ok && res.body.staff.role === 'admin';
    if (!isAdmin) { return load(); }
    document.getElementById('admin-tools').hidden = false;
    return Staff.api('GET', '/departments').then(function (d) {
      var sel = document.getElementById('import-dept');
      (d.body.departments || []).forEach(function (x) {
        var o = document.createElement('option');
        o.value = x.name;
        o.textContent = x.name;
        sel.appendChild(o);
      });
      return load();
    });
  }).catch(function () {
    Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
  });
})();
