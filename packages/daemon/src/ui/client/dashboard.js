// The Sluice dashboard (docs/dashboard.md): the rollouts list at /ui and a rollout page at /ui/rollouts/ID with the
// report's charts (report.js), kept live from the rollout's event stream, and the operator's commands. Plain ES2020.
// The token is typed once and kept in sessionStorage (this tab only, gone when it closes); it goes only into the
// Authorization header of requests to this daemon — never into a URL, the page, or a log line.
(function () {
  'use strict';

  var TOKEN_KEY = 'sluice.token';
  var LIST_REFRESH_MS = 5000;
  var STATUS_REFRESH_MS_MIN = 1000;
  var REPORT_REFRESH_MS_MIN = 3000;
  var STREAM_RETRY_MS = [1000, 2000, 5000, 10000, 30000];
  var SSE_LINE_BYTES_MAX = 4 * 1024 * 1024;
  var COMMANDS = [
    { path: 'promote', label: 'Promote', help: 'go to the next stage now' },
    { path: 'promote-full', label: 'Promote to full', help: 'go straight to the last stage' },
    { path: 'pause', label: 'Pause', help: 'no stage advances until resume' },
    { path: 'resume', label: 'Resume', help: 'resume a paused or held rollout' },
    { path: 'approve', label: 'Approve', help: 'approve a stage that waits for approval' },
    { path: 'abort', label: 'Abort', help: 'stop the rollout where it is', confirm: true },
    { path: 'rollback', label: 'Roll back', help: 'send all traffic back to the baseline', confirm: true },
  ];
  var PHASES = ['pending', 'progressing', 'awaitingApproval', 'paused', 'holding', 'rollingBack', 'rolledBack', 'completing', 'completed', 'aborted'];

  var root = document.getElementById('sluice-dashboard');

  // Elements are built by report.js's helper: strings become text nodes, never HTML.
  var h = window.SluiceReport.h;
  /** Appends nodes and strings (as text) to `el`, skipping the absent ones. */
  function append(el, children) {
    children.forEach(function (child) { if (child !== null && child !== undefined && child !== false) el.append(child); });
  }
  function age(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–';
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd' + Math.floor((s % 86400) / 3600) + 'h';
  }

  // ---- Token and API ----------------------------------------------------------------------------------------------

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }
  function setToken(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives until the page reloads */ memoryToken = value; }
  }
  var memoryToken = '';
  function headers(extra) {
    var result = extra || {};
    var t = token() || memoryToken;
    if (t) result.authorization = 'Bearer ' + t;
    return result;
  }

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  function api(path, options) {
    options = options || {};
    return fetch(path, {
      method: options.method || 'GET',
      headers: headers(options.body ? { 'content-type': 'application/json' } : {}),
      body: options.body ? JSON.stringify(options.body) : undefined,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (res.status === 401) showTokenBar('The daemon refused the token (401): type the token from its --token-file.');
        if (!res.ok) {
          var error = body && body.error ? body.error : { code: 'HTTP_' + res.status, message: text.slice(0, 300) };
          throw new ApiError(res.status, error.code, error.message);
        }
        return body;
      });
    });
  }

  // ---- Layout -----------------------------------------------------------------------------------------------------

  var tokenBar = h('form', { class: 'token-bar', id: 'token-form', autocomplete: 'off' });
  var tokenMessage = h('span', { class: 'token-message', role: 'status' });
  var tokenInput = h('input', { type: 'password', id: 'token-input', name: 'token', 'aria-label': 'Daemon token', placeholder: 'daemon token', autocomplete: 'off', spellcheck: 'false' });
  var forget = h('button', { type: 'button', id: 'token-forget', class: 'secondary' }, 'Forget token');
  append(tokenBar, [h('strong', null, 'Sluice'), h('a', { href: '/ui' }, 'Rollouts'), tokenMessage, tokenInput, h('button', { type: 'submit', id: 'token-save' }, 'Use token'), forget]);
  var main = h('main', { id: 'dashboard-main' });
  root.textContent = '';
  root.appendChild(tokenBar);
  root.appendChild(main);

  function showTokenBar(message) {
    tokenMessage.textContent = message;
  }
  function refreshTokenState() {
    var has = !!(token() || memoryToken);
    forget.hidden = !has;
    tokenInput.hidden = has;
    tokenBar.querySelector('#token-save').hidden = has;
    if (has && !/refused/.test(tokenMessage.textContent)) tokenMessage.textContent = 'token set for this tab';
    if (!has) tokenMessage.textContent = 'Reads may work without a token (--open-reads); commands need it.';
  }
  tokenBar.addEventListener('submit', function (event) {
    event.preventDefault();
    var value = tokenInput.value.trim();
    tokenInput.value = '';
    if (!value) return;
    setToken(value);
    tokenMessage.textContent = '';
    refreshTokenState();
    route();
  });
  forget.addEventListener('click', function () {
    setToken('');
    memoryToken = '';
    refreshTokenState();
  });
  refreshTokenState();

  // ---- Rollouts list ----------------------------------------------------------------------------------------------

  var listTimer = null;
  function listView() {
    var params = new URLSearchParams(location.search);
    var phaseSelect = h('select', { id: 'filter-phase', 'aria-label': 'Filter by phase' }, h('option', { value: '' }, 'any phase'), PHASES.map(function (p) { return h('option', { value: p }, p); }));
    phaseSelect.value = params.get('phase') || '';
    var serviceInput = h('input', { id: 'filter-service', type: 'search', 'aria-label': 'Filter by service', placeholder: 'service' });
    serviceInput.value = params.get('service') || '';
    var status = h('p', { class: 'list-status', role: 'status', id: 'list-status' });
    var tableBody = h('tbody', { id: 'rollouts-body' });
    var table = h('table', { class: 'rollouts-table', id: 'rollouts' }, h('thead', null, h('tr', null, ['rollout', 'service', 'phase', 'stage', 'weight', 'last verdicts', 'age (in stage)'].map(function (t) { return h('th', { scope: 'col' }, t); }))), tableBody);
    main.textContent = '';
    append(main, [h('h1', null, 'Rollouts'), h('div', { class: 'filters' }, phaseSelect, serviceInput), status, h('div', { class: 'table-scroll' }, table)]);
    var rollouts = [];
    var draw = function () {
      var phase = phaseSelect.value;
      var service = serviceInput.value.trim().toLowerCase();
      var shown = rollouts.filter(function (r) { return (!phase || r.state.phase === phase) && (!service || String(r.service).toLowerCase().indexOf(service) >= 0); });
      tableBody.textContent = '';
      shown.forEach(function (r) { tableBody.appendChild(rolloutRow(r)); });
      status.textContent = shown.length + ' of ' + rollouts.length + ' rollout(s)' + (phase || service ? ' match the filter' : '');
    };
    var keepFilterInUrl = function () {
      var next = new URLSearchParams();
      if (phaseSelect.value) next.set('phase', phaseSelect.value);
      if (serviceInput.value.trim()) next.set('service', serviceInput.value.trim());
      history.replaceState(null, '', '/ui' + (next.toString() ? '?' + next.toString() : ''));
      draw();
    };
    phaseSelect.addEventListener('change', keepFilterInUrl);
    serviceInput.addEventListener('input', keepFilterInUrl);
    var load = function () {
      api('/v1/rollouts').then(function (body) {
        rollouts = body.rollouts || [];
        draw();
      }, function (error) {
        status.textContent = 'Cannot list rollouts: ' + error.message;
      });
    };
    load();
    listTimer = setInterval(load, LIST_REFRESH_MS);
  }

  function rolloutRow(r) {
    var s = r.state;
    var verdicts = s.lastVerdicts || {};
    var desired = s.desiredWeightPercent;
    var applied = s.appliedWeightPercent;
    var bar = h('div', { class: 'weight-bar', role: 'img', 'aria-label': 'desired ' + desired + '%, verified ' + (applied === null ? 'none' : applied + '%') });
    var fill = h('div', { class: 'weight-fill' });
    var mark = h('div', { class: 'weight-desired' });
    fill.style.width = (applied || 0) + '%';
    mark.style.left = desired + '%';
    append(bar, [fill, mark]);
    return h('tr', { 'data-rollout': r.id, 'data-phase': s.phase },
      h('td', null, h('a', { href: '/ui/rollouts/' + encodeURIComponent(r.id) }, r.id)),
      h('td', null, r.service),
      h('td', null, h('span', { class: 'phase phase-' + s.phase }, s.phase)),
      h('td', null, s.stageName || '–'),
      h('td', null, bar, h('span', { class: 'weight-text' }, (applied === null ? '–' : applied) + '% / ' + desired + '%')),
      h('td', null, Object.keys(verdicts).map(function (g) { return h('span', { class: 'verdict verdict-' + verdicts[g].verdict, title: verdicts[g].evidence.summary }, g); })),
      h('td', null, s.terminal ? 'ended ' + age(Date.now() - s.endedAt) + ' ago'
        : age(s.createdAt == null ? null : Date.now() - s.createdAt) + ' (' + age(s.stageEnteredAt === null ? null : Date.now() - s.stageEnteredAt) + ')'));
  }

  // ---- One rollout ------------------------------------------------------------------------------------------------

  var current = null;

  function rolloutView(id) {
    var statusBox = h('section', { class: 'rollout-status', id: 'rollout-status', 'aria-live': 'polite' });
    var commandBox = h('section', { class: 'commands dashboard-only', id: 'commands', 'aria-label': 'Operator commands' });
    var message = h('p', { class: 'command-result', id: 'command-result', role: 'status' });
    var reportBox = h('div', { id: 'sluice-report', class: 'live-report' }, h('p', null, 'Loading the report…'));
    main.textContent = '';
    append(main, [h('p', { class: 'breadcrumb' }, h('a', { href: '/ui' }, '← all rollouts')), statusBox, commandBox, message, reportBox]);
    var state = {
      id: id,
      nextPosition: 0,
      handle: null,
      stream: null,
      closed: false,
      statusAt: 0,
      statusTimer: null,
      reportAt: 0,
      reportTimer: null,
      retries: 0,
      lastReportPosition: -1,
    };
    current = state;
    COMMANDS.forEach(function (c) {
      var button = h('button', { type: 'button', id: 'command-' + c.path, 'data-command': c.path, title: c.help, class: c.confirm ? 'danger' : null }, c.label);
      button.addEventListener('click', function () { runCommand(state, c, message); });
      commandBox.appendChild(button);
    });
    var loadStatus = function () {
      state.statusAt = Date.now();
      return api('/v1/rollouts/' + encodeURIComponent(id)).then(function (body) {
        drawStatus(statusBox, body.rollout);
        return body.rollout;
      });
    };
    var loadReport = function () {
      state.reportAt = Date.now();
      return api('/v1/rollouts/' + encodeURIComponent(id) + '/report').then(function (body) {
        if (state.closed) return;
        state.lastReportPosition = body.asOfPosition;
        if (state.handle) state.handle.destroy();
        var scrollY = window.scrollY;
        state.handle = window.SluiceReport.render(reportBox, body.report);
        window.scrollTo(0, scrollY);
        reportBox.setAttribute('data-as-of-position', String(body.asOfPosition));
        if (body.stale) scheduleReport(state, loadReport, body.retryAfterMs);
      });
    };
    state.loadStatus = loadStatus;
    state.loadReport = loadReport;
    loadStatus().then(function (rollout) {
      state.nextPosition = rollout.nextPosition;
      openStream(state);
      return loadReport();
    }).catch(function (error) {
      statusBox.textContent = 'Cannot show rollout ' + id + ': ' + error.message;
    });
  }

  function drawStatus(box, r) {
    var s = r.state;
    box.textContent = '';
    append(box, [
      h('h1', null, r.service + ': ' + r.baseline + ' → ' + r.candidate),
      h('p', null, 'Rollout ', h('code', null, r.id), ' · ',
        h('span', { class: 'phase phase-' + s.phase, id: 'phase', 'data-phase': s.phase }, s.phase),
        ' · stage ', h('strong', { id: 'stage' }, s.stageName || '–'),
        ' · weight ', h('strong', { id: 'weight' }, (s.appliedWeightPercent === null ? '–' : s.appliedWeightPercent) + '% verified / ' + s.desiredWeightPercent + '% desired'),
        ' · ', h('span', { id: 'position' }, r.nextPosition + ' events')),
      s.rollback ? h('p', { class: 'rollback-reason' }, 'Rollback (' + s.rollback.reason + '): ' + s.rollback.evidence.summary) : null,
      s.holdReason ? h('p', { class: 'hold-reason' }, 'Holding: ' + s.holdReason.evidence.summary) : null,
    ]);
  }

  function scheduleReport(state, load, delayMs) {
    if (state.reportTimer || state.closed) return;
    state.reportTimer = setTimeout(function () {
      state.reportTimer = null;
      load().catch(function () { /* the next event schedules another try */ });
    }, Math.max(0, delayMs));
  }
  function scheduleStatus(state) {
    if (state.statusTimer || state.closed) return;
    state.statusTimer = setTimeout(function () {
      state.statusTimer = null;
      state.loadStatus().catch(function () {});
    }, Math.max(0, state.statusAt + STATUS_REFRESH_MS_MIN - Date.now()));
  }

  /**
   * Follows GET /v1/rollouts/:id/events as Server-Sent Events, read with fetch so the token travels in a header
   * (EventSource cannot send one). Every event refreshes the status soon and the report at most every few seconds;
   * a dropped stream is reopened from the next position, with backoff.
   */
  function openStream(state) {
    if (state.closed) return;
    var controller = new AbortController();
    state.stream = controller;
    fetch('/v1/rollouts/' + encodeURIComponent(state.id) + '/events?from=' + state.nextPosition, {
      headers: headers({ accept: 'text/event-stream' }),
      cache: 'no-store',
      credentials: 'omit',
      signal: controller.signal,
    }).then(function (res) {
      if (res.status === 401) showTokenBar('The daemon refused the token (401): type the token from its --token-file.');
      if (!res.ok || !res.body) throw new Error('event stream answered ' + res.status);
      state.retries = 0;
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      var pump = function () {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error('event stream ended');
          buffer += decoder.decode(chunk.value, { stream: true });
          if (buffer.length > SSE_LINE_BYTES_MAX) throw new Error('event too large');
          var cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            var block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            onSseBlock(state, block);
          }
          return pump();
        });
      };
      return pump();
    }).catch(function () {
      if (state.closed) return;
      var delay = STREAM_RETRY_MS[Math.min(state.retries, STREAM_RETRY_MS.length - 1)];
      state.retries++;
      setTimeout(function () { openStream(state); }, delay);
    });
  }

  function onSseBlock(state, block) {
    var data = '';
    var id = null;
    block.split('\n').forEach(function (line) {
      if (line.indexOf('data:') === 0) data += line.slice(5).trim();
      else if (line.indexOf('id:') === 0) id = Number(line.slice(3).trim());
    });
    if (!data || id === null) return;
    var event;
    try { event = JSON.parse(data); } catch (e) { return; }
    state.nextPosition = Math.max(state.nextPosition, id + 1);
    scheduleStatus(state);
    // Samples and verdicts arrive every window; decisions a person waits for refresh the charts sooner.
    var decisive = event.type !== 'samples.window' && event.type !== 'gate.evaluated' && event.type !== 'tick';
    scheduleReport(state, state.loadReport, decisive ? 0 : Math.max(0, state.reportAt + REPORT_REFRESH_MS_MIN - Date.now()));
  }

  // ---- Commands ---------------------------------------------------------------------------------------------------

  function runCommand(state, command, message) {
    if (!(token() || memoryToken)) {
      message.textContent = command.label + ' needs the daemon token: type it in the bar above first.';
      tokenInput.hidden = false;
      tokenInput.focus();
      return;
    }
    var send = function (reason) {
      message.textContent = command.label + '…';
      api('/v1/rollouts/' + encodeURIComponent(state.id) + '/commands/' + command.path, { method: 'POST', body: reason ? { reason: reason, actor: 'dashboard' } : { actor: 'dashboard' } })
        .then(function (body) {
          message.textContent = command.label + ' accepted: the rollout is ' + body.rollout.state.phase + '.';
          drawStatus(document.getElementById('rollout-status'), body.rollout);
        }, function (error) {
          message.textContent = command.label + ' refused (' + error.status + ' ' + error.code + '): ' + error.message;
        });
    };
    if (!command.confirm) return send(null);
    confirmWithReason(command, send);
  }

  /** Abort and rollback ask for confirmation and a reason, which goes into the log with the command. */
  function confirmWithReason(command, send) {
    var reason = h('textarea', { id: 'confirm-reason', required: true, maxlength: 1024, rows: 3, 'aria-label': 'Reason' });
    var confirm = h('button', { type: 'submit', id: 'confirm-ok', class: 'danger' }, command.label);
    var cancel = h('button', { type: 'button', id: 'confirm-cancel', class: 'secondary' }, 'Cancel');
    var form = h('form', { method: 'dialog' }, h('h2', { id: 'confirm-title' }, command.label + ' this rollout?'), h('p', null, command.help.charAt(0).toUpperCase() + command.help.slice(1) + '. The reason is kept in the log with your command.'), h('label', { for: 'confirm-reason' }, 'Reason'), reason, h('p', { class: 'dialog-buttons' }, cancel, confirm));
    var dialog = h('dialog', { id: 'confirm-dialog', 'aria-labelledby': 'confirm-title' }, form);
    document.body.appendChild(dialog);
    cancel.addEventListener('click', function () { dialog.close(); });
    dialog.addEventListener('close', function () { dialog.remove(); });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var text = reason.value.trim();
      if (!text) {
        reason.setCustomValidity('Say why: the reason goes into the log.');
        reason.reportValidity();
        return;
      }
      dialog.close();
      send(text);
    });
    reason.addEventListener('input', function () { reason.setCustomValidity(''); });
    dialog.showModal();
    reason.focus();
  }

  // ---- Routing ----------------------------------------------------------------------------------------------------

  function route() {
    if (listTimer) clearInterval(listTimer);
    listTimer = null;
    if (current) {
      current.closed = true;
      if (current.stream) current.stream.abort();
      if (current.handle) current.handle.destroy();
      current = null;
    }
    var match = /^\/ui\/rollouts\/([^/]+)$/.exec(location.pathname);
    if (match) rolloutView(decodeURIComponent(match[1]));
    else listView();
  }
  route();
})();
