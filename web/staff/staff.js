// Shared by the staff pages: the tenant, JSON calls with the CSRF token, errors.
// The session cookie is HttpOnly: scripts never see it, only the CSRF token the
// API hands out after login (kept in sessionStorage, gone when the tab closes).
var Staff = (function () {
  'use strict';
  function tenant() {
    var q = new URLSearchParams(location.search).get('t');
    if (q) { sessionStorage.setItem('tenant', q); }
    return sessionStorage.getItem('tenant') || '';
  }
  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    var csrf = sessionStorage.getItem('csrf');
    if (method !== 'GET' && csrf) { headers['X-CSRF-Token'] = csrf; }
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
    return fetch('/api/v1/' + encodeURIComponent(tenant()) + '/staff' + path, {
      method: method, headers: headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (j && j.csrf_token) { sessionStorage.setItem('csrf', j.csrf_token); }
        return { ok: r.ok, status: r.status, body: j };
      });
    });
  }
  // A multipart upload (a FormData) with the CSRF token; the reply as api() gives it.
  function upload(path, form) {
    return fetch('/api/v1/' + encodeURIComponent(tenant()) + '/staff' + path, {
      method: 'POST', body: form, credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('csrf') || '' }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return { ok: r.ok, status: r.status, body: j };
      });
    }, function () {
      return { ok: false, status: 0, body: { error: { message: 'サーバーに接続できません。しばらくしてから再度お試しください。' } } };
    });
  }
  function showError(el, message) {
    el.textContent = message || 'エラーが発生しました。もう一度お試しください。';
    el.hidden = false;
    el.focus();
  }
  function message(res) {
    return res.body && res.body.error ? res.body.error.message : '';
  }
  return { tenant: tenant, api: api, upload: upload, showError: showError, message: message };
})();
