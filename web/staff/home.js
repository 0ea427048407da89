// After login: who is signed in, when they last signed in, and the password change
// that the server requires first (initial password, or an administrator's password
// past its six months).
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var pwSection = document.getElementById('password-section');
  var meSection = document.getElementById('me');

  function toLogin() { location.href = '/index.html'; }

  function show(me) {
    var s = me.staff;
    document.getElementById('name').textContent = s.display_name + '（' + s.login + '）';
    document.getElementById('role').textContent = s.role_label;
    document.getElementById('departments').textContent =
      s.departments.length ? s.departments.map(function (d) { return d.name; }).join('、') : 'なし';
    document.getElementById('last-login').textContent =
      me.last_login_text || '今回が初めてのログインです。';
    // Only administrators may manage staff: others are not offered the page.
    document.getElementById('staff-admin-link').hidden = s.role !== 'admin';
    var pw = me.password;
    if (pw.change_required) {
      document.getElementById('password-why').textContent = pw.reason === 'expired'
        ? '管理者のパスワードは 6 か月ごとに変更が必要です。有効期限が過ぎたため、変更してください。'
        : '初期パスワードのままです。ご自身だけが知っているパスワードに変更してください。';
      meSection.hidden = true;
      pwSection.hidden = false;
      document.getElementById('current').focus();
      return;
    }
    if (pw.reminder) {
      notice.textContent = 'パスワードの有効期限（' + pw.expires_at.slice(0, 10) +
        '）が近づいています。早めに変更してください。';
      notice.hidden = false;
    }
    meSection.hidden = false;
  }

  function load() {
    Staff.api('GET', '/me').then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      show(res.body);
    }).catch(function () {
      Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
    });
  }

  document.getElementById('show-password').addEventListener('click', function () {
    document.getElementById('password-why').textContent = '';
    pwSection.hidden = false;
    document.getElementById('current').focus();
  });

  document.getElementById('logout').addEventListener('click', function () {
    Staff.api('POST', '/logout').then(function () {
      sessionStorage.removeItem('csrf');
      toLogin();
    });
  });

  document.getElementById('password-form').addEventListener('submit', function (e) {
    e.preventDefault();
    err.hidden = true;
    var next = document.getElementById('next').value;
    if (next !== document.getElementById('again').value) {
      Staff.showError(err, '確認のために入力したパスワードが一致しません。');
      return;
    }
    Staff.api('POST', '/password', {
      current_password: document.getElementById('current').value, new_password: next
    }).then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      document.getElementById('password-form').reset();
      pwSection.hidden = true;
      notice.textContent = 'パスワードを変更しました。';
      notice.hidden = false;
      show(res.body);
    });
  });

  load();
})();
