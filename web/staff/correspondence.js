// 申請者とのやりとり: the messages staff sent (問合せ, 補正のお願い) and the applicant's
// replies with their attachments, which are sanitized files served from the reply's
// stored bundle like the application's own. Rendered from the detail application.js
// loads (the "application:loaded" event); kept in its own file and section so the
// detail page's other sections are untouched by it.
(function () {
  'use strict';
  var err = document.getElementById('error');
  var notice = document.getElementById('notice');
  var receipt = new URLSearchParams(location.search).get('r') || '';
  var base = '/applications/' + encodeURIComponent(receipt);

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function when(at) { return (at || '').replace('T', ' ').slice(0, 16); }

  function fileItem(r, f) {
    var url = '/api/v1/' + encodeURIComponent(Staff.tenant()) + '/staff' + base + '/replies/' +
      r.reply_no + '/files/' + f.n;
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
      frame.title = '回答の添付ファイル: ' + f.display_name;
      frame.className = 'pdf';
      fig.appendChild(frame);
    } else if (f.type === 'png' || f.type === 'jpg' || f.type === 'jpeg') {
      var img = el('img');
      img.src = url;
      img.alt = '回答の添付ファイル: ' + f.display_name;
      img.className = 'attachment';
      fig.appendChild(img);
    }
    fig.appendChild(cap);
    return fig;
  }

  function render(a) {
    var items = [];
    (a.messages || []).forEach(function (m) { items.push({ at: m.at, m: m }); });
    (a.replies || []).forEach(function (r) { items.push({ at: r.at, r: r }); });
    items.sort(function (x, y) { return x.at < y.at ? -1 : x.at > y.at ? 1 : 0; });
    var list = document.getElementById('correspondence');
    list.textContent = '';
    items.forEach(function (it) {
      var li = el('li');
      var head = el('p');
      var body = el('p');
      body.className = 'message-body';
      if (it.m) {
        head.textContent = when(it.m.at) + ' ' + (it.m.kind === 'correction' ? '補正のお願い' : 'お問い合わせ') +
          '（' + it.m.author + '）' + (it.m.reply_invited ? '' : ' 回答不要');
        body.textContent = it.m.body;
        li.appendChild(head);
        li.appendChild(body);
      } else {
        head.textContent = when(it.r.at) + ' 申請者からの回答（第' + it.r.reply_no + '回）' +
          (it.r.from_status !== it.r.to_status ? ' 状態を「' + it.r.to_label + '」に戻しました' : '');
        body.textContent = it.r.body;
        li.appendChild(head);
        li.appendChild(body);
        it.r.files.forEach(function (f) { li.appendChild(fileItem(it.r, f)); });
      }
      list.appendChild(li);
    });
    if (!items.length) { list.appendChild(el('li', 'まだやりとりはありません。')); }
    document.getElementById('send-message').hidden = !a.can_message;
    document.getElementById('correspondence-section').hidden = false;
  }

  document.addEventListener('application:loaded', function (e) { render(e.detail); });

  document.getElementById('send-message').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = document.getElementById('inquiry-body').value.trim();
    if (!body) {
      Staff.showError(err, '申請者へのメッセージを入力してください。');
      document.getElementById('inquiry-body').focus();
      return;
    }
    Staff.api('POST', base + '/messages', {
      body: body, reply_invited: document.getElementById('inquiry-reply').checked
    }).then(function (res) {
      if (res.status === 401) { location.href = '/index.html'; return; }
      if (!res.ok) { Staff.showError(err, Staff.message(res)); return; }
      err.hidden = true;
      notice.textContent = '申請者にメッセージを送りました。';
      notice.hidden = false;
      document.getElementById('inquiry-body').value = '';
      render(res.body);
    });
  });
})();
