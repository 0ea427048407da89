// First password of an imported account, with its one-time setup code.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var tenantInput = document.getElementById('tenant');
  tenantInput.value = Staff.tenant();
  document.getElementById('setup').addEventListener('submit', function (e) {
    e.preventDefault();
    err.hidden = true;
    var next = document.getElementById('next').value;
    if (next !== document.getElementById('again').value) {
      Staff.showError(err, '確認のために入力したパスワードが一致しません。');
      return;
    }
    sessionStorage.setItem('tenant', tenantInput.value.trim());
    Staff.api('POST', '/setup', {
      login: document.getElementById('login-id').value.trim(),
      setup_code: document.getElementById('code').value.trim(),
      new_password: next
    }).then(function (res) {
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      document.getElementById('setup').hidden = true;
      var done = document.getElementById('done');
      done.textContent = res.body.message;
      done.hidden = false;
    }).catch(function () {
      Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
    });
  });
})();
