// Shipwatch dashboard: charts (Chart.js), live flags and import progress
// (server-sent events), and the upload's progress bar. Every page works
// without it; it only adds what a server-rendered page cannot.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  var announcer = document.getElementById('announcer');
  function announce(text) { if (announcer) { announcer.textContent = text; } }

  // Charts: one line per metric's daily rate, with the target as a
  // dashed line. The data is JSON in a non-executed script element.
  function charts() {
    if (!window.Chart) { return; }
    document.querySelectorAll('script.chart-data').forEach(function (el) {
      var data = JSON.parse(el.textContent);
      var canvas = document.getElementById(el.dataset.canvas);
      if (!canvas) { return; }
      var labels = data.points.map(function (p) { return p.date; });
      var sets = [{
        label: data.name,
        data: data.points.map(function (p) { return p.rate === null ? null : Math.round(p.rate * 1000) / 10; }),
        borderColor: '#0b4f9c', backgroundColor: '#0b4f9c', spanGaps: true, tension: 0.2, pointRadius: 2
      }];
      if (typeof data.target === 'number') {
        sets.push({
          label: 'Target', data: labels.map(function () { return data.target * 100; }),
          borderColor: '#8a1020', borderDash: [6, 4], pointRadius: 0, fill: false
        });
      }
      new window.Chart(canvas, {
        type: 'line',
        data: { labels: labels, datasets: sets },
        options: {
          animation: false, maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + '%'; } } } },
          plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + (c.raw === null ? 'no shipments' : c.raw + '%'); } } } }
        }
      });
    });
  }

  // Live flags: each flag raised arrives as an event and is put at the
  // top of the list, with its forms; a flag resolved anywhere (a check,
  // the sweep, the API, another tab) leaves a list of open flags, or is
  // shown resolved in a list of all; one marked seen loses its "Mark as
  // seen" button. Each change is announced in the live region.
  function liveFlags() {
    var status = document.getElementById('live-status');
    var list = document.getElementById('flags');
    var tpl = document.getElementById('flag-template');
    if (!status || !list || !tpl || !window.EventSource) { return; }
    var state = list.dataset.state || 'open';
    var kinds = (list.dataset.kinds || '').split(' ');
    var shown = function (f) { return kinds.indexOf(f.kind) >= 0; };
    var add = function (id, by) {
      var el = document.getElementById(id);
      if (el) { el.textContent = String(Number(el.textContent) + by); }
    };
    // A shipment flag is about an order; an account flag (PROJECTED_MISS)
    // about a standard of the account, its subject.
    var about = function (f) { return f.subject ? f.subjectLabel : 'order ' + f.orderId; };
    var onOrder = function (f) { return f.kindLabel + ' on ' + about(f); };
    var es = new EventSource(status.dataset.live);
    es.addEventListener('ready', function () {
      status.textContent = state === 'resolved' ? 'Live: the open counts follow; reload to list flags resolved since.'
        : 'Live: new flags appear here as they are raised, and resolved ones ' + (state === 'open' ? 'leave.' : 'are marked.');
      status.dataset.state = 'live';
    });
    es.addEventListener('ended', function () {
      status.textContent = 'Live updates stopped: sign in again.';
      es.close();
    });
    es.addEventListener('flag', function (ev) {
      var f = JSON.parse(ev.data);
      add('open-' + f.kind, 1);
      if (state === 'resolved' || !shown(f) || document.getElementById('flag-' + f.id)) { return; }
      var node = tpl.content.firstElementChild.cloneNode(true);
      node.id = 'flag-' + f.id;
      var sev = node.querySelector('.sev');
      sev.textContent = f.severity.charAt(0) + f.severity.slice(1).toLowerCase();
      sev.className = 'sev sev-' + f.severity.toLowerCase();
      node.querySelector('.kind').textContent = f.kindLabel;
      var order = node.querySelector('.order');
      order.textContent = about(f);
      if (f.subject) {
        order.className = 'subject';
        order.href = f.subjectUrl;
      } else {
        order.href = '/app/shipments/' + encodeURIComponent(f.shipmentId);
      }
      node.querySelector('.message').textContent = f.message;
      node.querySelector('.when').textContent = 'Raised ' + f.raisedAt;
      var back = list.dataset.back || '/app/flags';
      node.querySelector('form.ack').action = '/app/flags/' + encodeURIComponent(f.id) + '/acknowledge';
      var resolve = node.querySelector('form.resolve');
      resolve.action = '/app/flags/' + encodeURIComponent(f.id) + '/resolve';
      var input = resolve.querySelector('input[name="note"]');
      input.id = 'note-' + f.id;
      resolve.querySelector('label').htmlFor = input.id;
      node.querySelectorAll('input[name="csrf"]').forEach(function (i) { i.value = csrf; });
      node.querySelectorAll('input[name="back"]').forEach(function (i) { i.value = back; });
      var empty = list.querySelector('.empty');
      if (empty) { empty.remove(); }
      list.insertBefore(node, list.firstChild);
      add('flag-total', 1);
      announce('New flag: ' + onOrder(f));
    });
    es.addEventListener('acknowledged', function (ev) {
      var f = JSON.parse(ev.data);
      var row = document.getElementById('flag-' + f.id);
      var ack = row && row.querySelector('form.ack');
      if (!ack) { return; }
      keepFocus(row, ack);
      ack.remove();
      row.querySelector('.when').append(' · seen ' + f.acknowledgedAt);
      announce('Flag marked as seen: ' + onOrder(f));
    });
    es.addEventListener('resolved', function (ev) {
      var f = JSON.parse(ev.data);
      add('open-' + f.kind, -1);
      if (state === 'resolved' || !shown(f)) { return; }
      var row = document.getElementById('flag-' + f.id);
      if (state === 'open') { add('flag-total', -1); }
      if (!row || row.classList.contains('resolved')) { return; }
      var how = f.resolution === 'MANUAL' ? 'by hand' : 'automatically';
      if (state === 'open') {
        keepFocus(row, row);
        row.remove();
        if (!list.querySelector('li')) {
          var empty = document.createElement('li');
          empty.className = 'empty';
          empty.textContent = 'No flags here.';
          list.appendChild(empty);
        }
      } else {
        var actions = row.querySelector('.actions');
        if (actions) { keepFocus(row, actions); actions.remove(); }
        row.classList.add('resolved');
        row.querySelector('.when').append(' · resolved ' + f.resolvedAt + (f.resolutionNote ? ': “' + f.resolutionNote + '”' : ''));
      }
      announce('Flag resolved ' + how + ': ' + onOrder(f));
    });
    es.onerror = function () { status.textContent = 'Live updates interrupted; reconnecting…'; };
  }

  // keepFocus moves the keyboard focus out of an element about to be
  // removed from a flag's row (or the row itself) to the next flag's
  // order link, or the list's count: focus is never lost to the page's top.
  function keepFocus(row, leaving) {
    if (!leaving.contains(document.activeElement)) { return; }
    var target = null;
    if (leaving !== row) {
      target = row.querySelector('a');
    } else {
      var next = row.nextElementSibling || row.previousElementSibling;
      target = next && next.querySelector('a');
    }
    if (!target) {
      target = document.getElementById('flag-total').parentNode;
      target.tabIndex = -1;
    }
    target.focus();
  }

  // Import progress: the stream pushes the import as it loads.
  function importProgress() {
    var box = document.getElementById('import');
    if (!box || box.dataset.done === 'true' || !window.EventSource) { return; }
    var bar = document.getElementById('import-progress');
    var es = new EventSource(box.dataset.progress);
    es.addEventListener('progress', function (ev) {
      var p = JSON.parse(ev.data);
      box.dataset.events = String(Number(box.dataset.events || 0) + 1);
      bar.value = p.percent;
      bar.textContent = p.percent + '%';
      document.getElementById('progress-text').textContent = p.percent + '%';
      document.getElementById('st-status').textContent = p.status.charAt(0) + p.status.slice(1).toLowerCase();
      document.getElementById('st-processed').textContent = p.rowsProcessed;
      if (p.rowsTotal !== null) { document.getElementById('st-total').textContent = p.rowsTotal; }
      document.getElementById('st-created').textContent = p.created;
      document.getElementById('st-updated').textContent = p.updated;
      document.getElementById('st-rejected').textContent = p.rejected;
      if (p.done) {
        es.close();
        box.dataset.done = 'true';
        document.getElementById('reload-note').hidden = false;
        announce('Import ' + p.status.toLowerCase() + ': ' + p.rejected + ' rows rejected.');
      }
    });
    es.onerror = function () { if (box.dataset.done === 'true') { es.close(); } };
  }

  // Upload: send the file with a progress bar, then follow the import.
  function upload() {
    var form = document.getElementById('upload');
    if (!form || !window.XMLHttpRequest) { return; }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var block = form.querySelector('.progress-block');
      var bar = document.getElementById('upload-progress');
      var err = document.getElementById('upload-error');
      err.hidden = true;
      block.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); bar.textContent = bar.value + '%'; }
      };
      xhr.onload = function () {
        var a = {};
        try { a = JSON.parse(xhr.responseText); } catch (e) { a = { error: 'The server answered ' + xhr.status + '.' }; }
        if (xhr.status === 200 && a.url) { bar.value = 100; window.location.assign(a.url); return; }
        block.hidden = true;
        err.textContent = a.error || ('The upload failed (' + xhr.status + ').');
        err.hidden = false;
      };
      xhr.onerror = function () { block.hidden = true; err.textContent = 'The upload was interrupted.'; err.hidden = false; };
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    charts();
    liveFlags();
    importProgress();
    upload();
  });
})();
