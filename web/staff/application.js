// One application: its answers as the applicant saw them, the sanitized attachments
// shown inline (PDF in a frame, images as images), the status buttons the server
// allows now, memo and assignment. Every change goes through the API, which
// decides; this page only shows what it was told.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var receipt = new URLSearchParams(location.search).get('r') || '';
  var base = '/applications/' + encodeURIComponent(receipt);

  function toLogin() { location.href = '/index.html'; }
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function setText(id, text) { document.getElementById(id).textContent = text; }
  function show(id) { document.getElementById(id).hidden = false; }

  function answers(list) {
    var dl = el('dl');
    list.forEach(function (row) {
      if (row.heading) { dl.appendChild(el('dt', row.heading)).className = 'heading'; return; }
      dl.appendChild(el('dt', row.label));
      var dd = el('dd');
      if (row.items) {
        row.items.forEach(function (item, i) {
          var box = el('div');
          box.className = 'group-item';
          box.appendChild(el('p', row.label + ' ' + (i + 1)));
          box.appendChild(answers(item));
          dd.appendChild(box);
        });
      } else if (row.files) {
        dd.textContent = row.files.map(function (f) { return f.display_name; }).join('、') || '（なし）';
      } else {
        dd.textContent = row.value === '' ? '（未入力）' : row.value;
      }
      dl.appendChild(dd);
    });
    return dl;
  }

  // Members of a zip the applicant sent arrive each as a sanitized file of its own;
  // they are shown together under the zip's name, each by its path in the zip.
  function files(list) {
    var box = document.getElementById('files');
    var group = null, groupName = null;
    box.textContent = '';
    list.forEach(function (f) {
      var into = box;
      if (f.archive) {
        if (group === null || groupName !== f.archive.display_name) {
          group = el('section');
          group.className = 'archive';
          group.appendChild(el('h3', f.archive.display_name + '（zip ファイルの中身）'));
          box.appendChild(group);
          groupName = f.archive.display_name;
        }
        into = group;
      } else {
        group = null;
        groupName = null;
      }
      var url = '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff' + base + '/files/' + f.n;
      var fig = el('figure');
      var cap = el('figcaption');
      // A CSV is served as a download (for a spreadsheet), everything else inline.
      var link = el('a', f.display_name + (f.type === 'csv' ? '（ダウンロード）' : '（新しいタブで開く）'));
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      cap.appendChild(link);
      if (f.type === 'pdf') {
        var frame = el('iframe');
        frame.src = url;
        frame.title = '添付ファイル: ' + f.display_name;
        frame.className = 'pdf';
        fig.appendChild(frame);
      } else if (f.type === 'png' || f.type === 'jpg' || f.type === 'jpeg') {
        var img = el('img');
        img.src = url;
        img.alt = '添付ファイル: ' + f.display_name;
        img.className = 'attachment';
        fig.appendChild(img);
      }
      fig.appendChild(cap);
      into.appendChild(fig);
    });
    document.getElementById('files-section').hidden = list.length === 0;
  }

  // 手数料, as the applicant was shown it (lib/fee.c adds it up for both zones).
  function fee(f) {
    var yen = function (n) { return Number(n).toLocaleString('ja-JP') + '円'; };
    var rows = document.getElementById('fee-rows');
    rows.textContent = '';
    if (!f) { return; }
    f.items.forEach(function (i) {
      var tr = document.createElement('tr');
      [i.label, String(i.quantity), yen(i.subtotal)].forEach(function (t) { tr.appendChild(el('td', t)); });
      rows.appendChild(tr);
    });
    setText('fee-total', yen(f.total));
    show('fee-section');
  }

  function render(a) {
    setText('receipt', a.receipt_no);
    setText('procedure', a.procedure.title + '（' + a.procedure.id + ' 第' + a.procedure.version + '版）' +
      (a.test ? '：テスト申請（下書きのテスト版への申請。申請一覧・統計・出力には含まれません）' : ''));
    setText('status', a.status_label);
    setText('received', a.received_at.replace('T', ' ').slice(0, 19));
    setText('department', a.department ? a.department.name : '（未設定）');
    setText('assignee', a.assignee ? a.assignee.display_name + '（' + a.assignee.login + '）' : '未割り当て');
    show('summary');
    var ans = document.getElementById('answers');
    ans.textContent = '';
    ans.appendChild(answers(a.answers));
    show('answers-section');
    fee(a.fee);
    files(a.attachments);
    var hist = document.getElementById('history');
    hist.textContent = '';
    a.history.forEach(function (h) {
      hist.appendChild(el('li', h.at.replace('T', ' ').slice(0, 16) + ' ' + h.label +
        (h.actor !== '-' ? '（' + h.actor + '）' : '') + (h.message ? ': ' + h.message : '')));
    });
    show('history-section');
    var com = document.getElementById('comments');
    com.textContent = '';
    a.comments.forEach(function (c) {
      com.appendChild(el('li', c.at.replace('T', ' ').slice(0, 16) + ' ' + c.author + ': ' + c.body));
    });
    show('memo-section');
    var buttons = document.getElementById('buttons');
    buttons.textContent = '';
    a.transitions.forEach(function (t) {
      var b = el('button', t.action);
      b.type = 'button';
      b.dataset.to = t.status;
      b.dataset.needsMessage = t.message_required ? '1' : '';
      buttons.appendChild(b);
    });
    if (!a.transitions.length) { buttons.textContent = 'この申請の状態は変更できません。'; }
    document.getElementById('actions').hidden = false;
    // Other sections (correspondence.js) render from the same detail.
    document.dispatchEvent(new CustomEvent('application:loaded', { detail: a }));
  }

  function reply(res, done) {
    if (res.status === 401) { toLogin(); return; }
    if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
    err.hidden = true;
    notice.textContent = done;
    notice.hidden = false;
  }

  function load() {
    Staff.api('GET', base).then(function (res) {
      if (res.status === 401) { toLogin(); return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      render(res.body);
    }).catch(function () {
      Staff.showError(err, 'サーバーに接続できません。しばらくしてから再度お試しください。');
    });
  }

  document.getElementById('buttons').addEventListener('click', function (e) {
    var b = e.target.closest('button');
    if (!b) { return; }
    var message = document.getElementById('message').value.trim();
    if (b.dataset.needsMessage && !message) {
      Staff.showError(err, '申請者へのメッセージを入力してください。');
      document.getElementById('message').focus();
      return;
    }
    Staff.api('POST', base + '/transitions', { to: b.dataset.to, message: message || undefined })
      .then(function (res) {
        reply(res, '状態を「' + (res.body.status_label || '') + '」に変更しました。');
        if (res.ok) { document.getElementById('message').value = ''; render(res.body); }
      });
  });

  document.getElementById('assign').addEventListener('submit', function (e) {
    e.preventDefault();
    var login = document.getElementById('assignee-login').value.trim();
    Staff.api('PUT', base + '/assignee', { login: login || null }).then(function (res) {
      reply(res, '担当者を設定しました。');
      if (res.ok) { load(); }
    });
  });

  document.getElementById('memo').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = document.getElementById('memo-body').value.trim();
    if (!body) { Staff.showError(err, 'メモを入力してください。'); return; }
    Staff.api('POST', base + '/comments', { body: body }).then(function (res) {
      reply(res, 'メモを追加しました。');
      if (res.ok) { document.getElementById('memo-body').value = ''; load(); }
    });
  });

  if (!receipt) { Staff.showError(err, '到達番号が指定されていません。'); return; }
  load();
})();
