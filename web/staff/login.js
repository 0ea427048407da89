// The login form: on success, to the home page (which asks for a new password first
// when one is due).
(function () {
  'use strict';
  var form = document.getElementById('login');
  var err = document.getElementById('error');
  var tenantInput = document.getElementById('tenant');
  tenantInput.value = Staff.tenant();
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    err.hidden = true;
    var tenant = tenantInput.value.trim();
    var login = document.getElementById('login-id').value.trim();
    var password = document.getElementById('password').value;
    if (!tenant || !login || !password) {
      Staff.showError(err, '自治体コード、ログイン ID、パスワードを入力してください。');
      return;
    }
    sessionStorage.setItem('tenant', tenant);
    Staff.api('POST', '/login', { login: login, password: password }).then(function (res) {
      if (res.ok) { location.href = '/home.html'; return; }
      Staff.showError(err, Staff.message(res));
    }).catch(function () {
      Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
    });
  });
})();
