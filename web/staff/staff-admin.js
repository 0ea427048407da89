// 職員と部署の管理: departments, accounts (role and departments), the CSV import and
// export, for the tenant's administrators. The server enforces the role on every call;
// this page only spares other staff a page of refusals. Passwords and setup codes the
// server returns are shown once, as given, and kept nowhere.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var ROLES = { admin: '管理者', clerk: '業務担当者', auditor: '監査者' };
  var STATUS = { active: '利用中', setup_pending: '設定コードでのパスワード設定待ち', disabled: '無効' };
  var departments = [];
  var editing = null;

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function toLogin() { location.href = '/index.html'; }
  function say(text) {
    err.hidden = true;
    notice.textContent = text;
    notice.hidden = false;
  }
  // The field a server message is about, by the words it starts with (the API gives
  // one message per reply).
  var FIELD_OF = [
    [/^ログイン ID|^このログイン ID/, 'acct-login'], [/^氏名/, 'acct-name'], [/^権限/, 'acct-role'],
    [/^メールアドレス/, 'acct-email'], [/部署/, 'acct-depts']
  ];
  function clearFieldErrors(form) {
    form.querySelectorAll('.field-error').forEach(function (s) { s.hidden = true; s.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (f) { f.removeAttribute('aria-invalid'); });
  }
  // The message in the summary at the top and beside the field, whose box is marked.
  function fieldError(id, message) {
    var span = document.getElementById(id + '-error');
    span.textContent = message;
    span.hidden = false;
    document.getElementById(id).setAttribute('aria-invalid', 'true');
    err.textContent = '';
    var a = el('a', message);
    a.href = '#' + id;
    a.addEventListener('click', function (e) {
      e.preventDefault();
      var f = document.getElementById(id);
      (f.tagName === 'FIELDSET' ? f.querySelector('input') || f : f).focus();
    });
    err.appendChild(el('span', '入力内容を確認してください: '));
    err.appendChild(a);
    err.hidden = false;
    notice.hidden = true;
    err.focus();
  }
  function failed(res) {
    if (res.status === 401) { toLogin(); return true; }
    if (!res.ok) { Staff.showError(err, Staff.message(res)); return true; }
    return false;
  }
  function lastLogin(at) {
    return at ? at.slice(0, 16).replace('T', ' ') : 'まだログインしていません';
  }

  // A checkbox per department inside fieldset, those named in chosen ticked.
  function fillChecks(fieldset, prefix, chosen) {
    fieldset.querySelectorAll('.choice, p').forEach(function (n) { n.remove(); });
    if (!departments.length) {
      fieldset.appendChild(el('p', '部署がまだありません。先に部署を追加してください。'));
      return;
    }
    departments.forEach(function (d, i) {
      var label = el('label');
      var box = el('input');
      box.type = 'checkbox';
      box.id = prefix + '-' + i;
      box.value = d.name;
      box.checked = chosen.indexOf(d.name) >= 0;
      label.htmlFor = box.id;
      label.textContent = d.name;
      var span = el('span');
      span.className = 'choice';
      span.appendChild(box);
      span.appendChild(document.createTextNode(' '));
      span.appendChild(label);
      fieldset.appendChild(span);
    });
  }
  function checked(fieldset) {
    return Array.prototype.map.call(fieldset.querySelectorAll('input:checked'), function (b) { return b.value; });
  }

  function loadDepartments() {
    return Staff.api('GET', '/departments').then(function (res) {
      if (failed(res)) { return; }
      departments = res.body.departments;
      var body = document.getElementById('dept-rows');
      body.textContent = '';
      departments.forEach(function (d) {
        var tr = el('tr');
        tr.appendChild(el('td', d.name));
        tr.appendChild(el('td', d.members + ' 人'));
        body.appendChild(tr);
      });
      if (!departments.length) {
        var tr = el('tr');
        var td = el('td', '部署はまだありません。');
        td.colSpan = 2;
        tr.appendChild(td);
        body.appendChild(tr);
      }
      fillChecks(document.getElementById('acct-depts'), 'acct-dept', checked(document.getElementById('acct-depts')));
    });
  }

  function startEdit(a) {
    editing = a;
    document.getElementById('edit-heading').textContent =
      a.display_name + '（' + a.login + '）の権限と所属を変更する';
    document.getElementById('edit-role').value = a.role;
    fillChecks(document.getElementById('edit-depts'), 'edit-dept', a.departments);
    document.getElementById('edit').hidden = false;
    document.getElementById('edit-heading').focus();
  }

  function loadAccounts() {
    return Staff.api('GET', '/accounts').then(function (res) {
      if (failed(res)) { return; }
      var body = document.getElementById('staff-rows');
      body.textContent = '';
      res.body.accounts.forEach(function (a) {
        var tr = el('tr');
        tr.appendChild(el('td', a.login));
        tr.appendChild(el('td', a.display_name));
        tr.appendChild(el('td', ROLES[a.role] || a.role));
        tr.appendChild(el('td', a.departments.length ? a.departments.join('、') : 'なし'));
        tr.appendChild(el('td', lastLogin(a.last_login_at)));
        tr.appendChild(el('td', STATUS[a.status] || a.status));
        var td = el('td');
        var b = el('button', a.login + ' を変更');
        b.type = 'button';
        b.className = 'small secondary';
        b.dataset.login = a.login;
        b.addEventListener('click', function () { startEdit(a); });
        td.appendChild(b);
        tr.appendChild(td);
        body.appendChild(tr);
      });
      document.getElementById('staff-count').textContent = res.body.total > res.body.accounts.length
        ? '全 ' + res.body.total + ' 人のうち、ログイン ID 順に ' + res.body.accounts.length + ' 人を表示しています。'
        : '全 ' + res.body.total + ' 人です。';
    });
  }

  document.getElementById('dept-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    var name = document.getElementById('dept-name').value.trim();
    clearFieldErrors(form);
    if (!name) { fieldError('dept-name', '部署名を入力してください。'); return; }
    Staff.api('POST', '/departments', { name: name }).then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) { fieldError('dept-name', Staff.message(res)); return; }
      form.reset();
      say('部署「' + res.body.name + '」を追加しました。');
      loadDepartments();
    });
  });

  document.getElementById('account-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    var body = {
      login: document.getElementById('acct-login').value.trim(),
      display_name: document.getElementById('acct-name').value.trim(),
      role: document.getElementById('acct-role').value,
      email: document.getElementById('acct-email').value.trim(),
      departments: checked(document.getElementById('acct-depts'))
    };
    clearFieldErrors(form);
    document.getElementById('created').hidden = true;
    if (!body.login) { fieldError('acct-login', 'ログイン ID を入力してください。'); return; }
    if (!body.display_name) { fieldError('acct-name', '氏名を入力してください。'); return; }
    Staff.api('POST', '/accounts', body).then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) {
        var msg = Staff.message(res);
        var field = FIELD_OF.filter(function (f) { return f[0].test(msg); })[0];
        if (field && res.status < 500) { fieldError(field[1], msg); } else { Staff.showError(err, msg); }
        return;
      }
      form.reset();
      err.hidden = true;
      notice.hidden = true;
      document.getElementById('created-login').textContent = res.body.login;
      document.getElementById('created-password').textContent = res.body.initial_password;
      document.getElementById('created-message').textContent = res.body.message;
      document.getElementById('created').hidden = false;
      loadAccounts();
      loadDepartments();
    });
  });

  document.getElementById('edit-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var a = editing;
    var role = document.getElementById('edit-role').value;
    var depts = checked(document.getElementById('edit-depts'));
    var path = '/accounts/' + encodeURIComponent(a.login);
    // Role first: a refused role change (the last administrator) leaves the
    // departments as they were too.
    var step = role === a.role ? Promise.resolve({ ok: true })
      : Staff.api('PUT', path + '/role', { role: role });
    step.then(function (res) {
      if (failed(res)) { return null; }
      return Staff.api('PUT', path + '/departments', { departments: depts });
    }).then(function (res) {
      if (!res || failed(res)) { return; }
      document.getElementById('edit').hidden = true;
      editing = null;
      say(a.login + ' の権限を「' + ROLES[role] + '」、所属を「' +
          (depts.length ? depts.join('、') : 'なし') + '」にしました。');
      loadAccounts().then(function () { backTo(a.login); });
      loadDepartments();
    });
  });
  // Keyboard users continue from the row they were changing, not from the top.
  function backTo(login) {
    var b = Array.prototype.filter.call(document.querySelectorAll('#staff-rows button'),
      function (x) { return x.dataset.login === login; })[0];
    if (b) { b.focus(); }
  }
  document.getElementById('edit-cancel').addEventListener('click', function () {
    document.getElementById('edit').hidden = true;
    if (editing) { backTo(editing.login); }
    editing = null;
  });

  function importTable(caption, heads, rows) {
    document.getElementById('import-caption').textContent = caption;
    var head = document.getElementById('import-head');
    var tr = el('tr');
    heads.forEach(function (h) { var th = el('th', h); th.scope = 'col'; tr.appendChild(th); });
    head.textContent = '';
    head.appendChild(tr);
    var body = document.getElementById('import-rows');
    body.textContent = '';
    rows.forEach(function (cells) {
      var r = el('tr');
      cells.forEach(function (c) { r.appendChild(el('td', c)); });
      body.appendChild(r);
    });
    document.getElementById('import-result').hidden = false;
  }

  document.getElementById('import-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var file = document.getElementById('import-file').files[0];
    document.getElementById('import-result').hidden = true;
    if (!file) { Staff.showError(err, 'CSV ファイルを選んでください。'); return; }
    var form = new FormData();
    form.append('file', file, file.name);
    Staff.upload('/import', form).then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      var b = res.body;
      if (res.status === 422 && b.errors) {
        Staff.showError(err, Staff.message(res));
        document.getElementById('import-summary').textContent = b.error_count > b.errors.length
          ? '誤りは ' + b.error_count + ' 件あります。最初の ' + b.errors.length + ' 件を表示しています。'
          : '誤りは ' + b.error_count + ' 件です。';
        importTable('取り込めなかった理由', ['行', '列', '理由'], b.errors.map(function (x) {
          return [x.row + ' 行目', x.column, x.reason];
        }));
        return;
      }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      e.target.reset();
      say(b.rows + ' 行を取り込み、職員アカウントを ' + b.created + ' 件、部署を ' +
          b.departments_created + ' 件作成しました（文字コード: ' + b.encoding + '）。' + b.message);
      document.getElementById('import-summary').textContent =
        '次の設定コードは今回だけ表示されます。職員は、ログイン画面の「設定コードでパスワードを設定」から使います。';
      importTable('作成したアカウントと設定コード', ['ログイン ID', '氏名', '設定コード', '有効期限'],
        b.accounts.map(function (x) {
          return [x.login, x.display_name, x.setup_code, x.setup_expires_at.slice(0, 16).replace('T', ' ')];
        }));
      loadAccounts();
      loadDepartments();
    });
  });

  Staff.api('GET', '/me').then(function (res) {
    if (failed(res)) { return; }
    if (res.body.password.change_required) { location.href = '/home.html'; return; }
    if (res.body.staff.role !== 'admin') {
      document.getElementById('refused').hidden = false;
      return;
    }
    document.getElementById('export-link').href =
      '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff/export';
    document.getElementById('admin').hidden = false;
    loadDepartments();
    loadAccounts();
  }).catch(function () {
    Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
  });
})();
