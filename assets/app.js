/* Progressive enhancement only: every page works without this file (issue 9). */
(function () {
  'use strict';
  document.documentElement.className += ' js';
  // Copy buttons: shown only when this script runs (they carry the `hidden` attribute).
  document.querySelectorAll('[data-copy]').forEach(function (btn) {
    var target = document.getElementById(btn.getAttribute('data-copy'));
    var status = document.getElementById(btn.getAttribute('data-copy') + '-status');
    if (!target) return;
    btn.hidden = false;
    btn.addEventListener('click', function () {
      var text = target.textContent.trim();
      var done = function () { if (status) status.textContent = '已复制：' + text; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else { fallback(text); done(); }
    });
  });
  function fallback(text) {
    var ta = document.createElement('textarea');
    ta.value = text; ta.setAttribute('readonly', ''); ta.className = 'visually-hidden';
    document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } catch (e) { /* the code stays on screen */ }
    document.body.removeChild(ta);
  }
  // A checkbox that makes other fields unnecessary hides them (anonymous: no contact details).
  document.querySelectorAll('[data-hides]').forEach(function (box) {
    var el = document.getElementById(box.getAttribute('data-hides'));
    if (!el) return;
    var sync = function () { el.hidden = box.checked; };
    box.addEventListener('change', sync); sync();
  });
  // One tap sends a form once: a second tap on a slow connection would send it again.
  document.querySelectorAll('form').forEach(function (form) {
    form.addEventListener('submit', function () {
      var btns = form.querySelectorAll('button[type=submit]');
      setTimeout(function () { btns.forEach(function (b) { b.disabled = true; }); }, 0);
    });
  });
  // Files over the bounds are named before the upload (a slow phone connection would send them to be refused).
  document.querySelectorAll('input[type=file][data-max-bytes]').forEach(function (input) {
    var max = +input.getAttribute('data-max-bytes'), most = +input.getAttribute('data-max-files');
    var msg = document.createElement('p');
    msg.className = 'error-message'; msg.id = input.id + '-check'; msg.setAttribute('aria-live', 'polite');
    input.parentNode.insertBefore(msg, input);
    input.addEventListener('change', function () {
      var big = [].filter.call(input.files, function (f) { return f.size > max; }).map(function (f) { return '“' + f.name + '”'; });
      msg.textContent = big.length ? big.join('、') + '太大：每个文件不能超过' + Math.floor(max / 1048576) + 'MB，请重新选择。'
        : input.files.length > most ? '一次最多上传' + most + '个文件，请少选几个。' : '';
      if (msg.textContent) input.value = '';
    });
  });
  // Error summary: move focus to it (autofocus does this too where supported).
  var summary = document.querySelector('.error-summary');
  if (summary) summary.focus();
})();
// Back to a page from the browser cache: its buttons work again.
window.addEventListener('pageshow', function () {
  document.querySelectorAll('button[type=submit][disabled]').forEach(function (b) { b.disabled = false; });
});
