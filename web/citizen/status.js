// Show whether the zone's application server answers. The API is the same origin.
(function () {
  'use strict';
  var el = document.getElementById('status');
  fetch('/api/healthz', { headers: { 'Accept': 'application/json' } })
    .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
    .then(function (res) {
      el.textContent = res.ok ? '正常に稼働しています。' : '一部の機能が利用できません。管理者にお問い合わせください。';
      el.className = res.ok ? 'ok' : 'ng';
    })
    .catch(function () {
      el.textContent = 'サーバーに接続できません。しばらくしてから再度お試しください。';
      el.className = 'ng';
    });
})();
