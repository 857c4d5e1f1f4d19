// The page script of a Sluice report: draws the header, timeline, window and gate charts and tables from the report
// data (packages/daemon/src/report/reportTypes.ts). The same file runs inline in the self-contained HTML of
// `sluice report` and as /ui/assets/report.js in the dashboard, which calls SluiceReport.render again on every update.
// Plain ES2020 for any current browser; charts are uPlot (global `uPlot`, inlined beside this script). No network,
// no inline event handlers, no innerHTML: every text from the log is set with textContent.
(function () {
  'use strict';

  var REPORT_FORMAT = 1;
  var COLORS = {
    canary: '#d9480f',
    canaryBand: 'rgba(217,72,15,0.15)',
    baseline: '#1864ab',
    bound: '#c92a2a',
    desired: '#5f3dc4',
    verified: '#2b8a3e',
    whatIf: '#868e96',
    pass: '#2f9e44',
    fail: '#e03131',
    inconclusive: '#adb5bd',
  };
  var VERDICT_NAMES = { p: 'pass', f: 'fail', i: 'inconclusive' };
  var STAGE_FILLS = ['rgba(95,61,196,0.06)', 'rgba(24,100,171,0.06)', 'rgba(43,138,62,0.06)', 'rgba(230,119,0,0.06)'];
  var ROLLBACK_FILL = 'rgba(224,49,49,0.08)';
  var CHART_HEIGHT = 220;
  var VERDICT_STRIP_PX = 8;
  var E_VALUE_SHOWN_MIN = 1e-4;

  // ---- DOM helpers ------------------------------------------------------------------------------------------------

  /** h('p', {class: 'x'}, 'text', child): an element; strings become text nodes (never parsed as HTML). */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var key in attrs) {
        if (attrs[key] === undefined || attrs[key] === null || attrs[key] === false) continue;
        el.setAttribute(key, attrs[key] === true ? '' : String(attrs[key]));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }

  function iso(at) {
    return new Date(at).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return Number((ms / 1000).toFixed(2)) + ' s';
    var s = Math.round(ms / 1000);
    var hours = Math.floor(s / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    return (hours > 0 ? hours + 'h' : '') + (minutes > 0 || hours > 0 ? minutes + 'm' : '') + (s % 60) + 's';
  }
  function num(value, unit) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    var text = Math.abs(value) >= 1000 || value === Math.round(value) ? String(Math.round(value * 100) / 100) : String(Number(value.toPrecision(4)));
    return unit ? text + unit : text;
  }
  function percent(events, count) {
    return count > 0 ? (100 * events) / count : null;
  }
  function wilson(events, count) {
    if (!(count > 0)) return null;
    var z = 1.959963984540054;
    var p = events / count;
    var z2 = z * z;
    var d = 1 + z2 / count;
    var centre = (p + z2 / (2 * count)) / d;
    var half = (z * Math.sqrt((p * (1 - p)) / count + z2 / (4 * count * count))) / d;
    return [Math.max(0, centre - half) * 100, Math.min(1, centre + half) * 100];
  }
  function slug(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  }
  function sec(at) {
    return at / 1000;
  }

  // ---- Charts -----------------------------------------------------------------------------------------------------

  /**
   * A chart with its caption, text alternative and numbers table. `spec`: {id, title, description, x (ms), series:
   * [{label, values, color, dash, points, band: [lowValues, highValues]}], yLabel, log, stages, verdicts, tableColumns}.
   */
  function chartFigure(ctx, spec) {
    var figure = h('figure', { class: 'chart', id: spec.id, 'aria-labelledby': spec.id + '-caption' });
    var caption = h('figcaption', { id: spec.id + '-caption' }, spec.title);
    var description = h('p', { class: 'chart-description', id: spec.id + '-description' }, spec.description);
    var plot = h('div', { class: 'chart-plot', role: 'img', 'aria-label': spec.title + '. ' + spec.description });
    figure.appendChild(caption);
    figure.appendChild(plot);
    figure.appendChild(description);
    figure.appendChild(numbersTable(spec));
    ctx.pending.push(function () { drawChart(ctx, figure, plot, spec); });
    return figure;
  }

  function drawChart(ctx, figure, plot, spec) {
    if (typeof uPlot !== 'function') {
      plot.appendChild(h('p', { class: 'warning' }, 'Charts need the uPlot script, which is missing from this page; the tables below hold the same numbers.'));
      return;
    }
    var xs = spec.x.map(sec);
    var data = [xs];
    var series = [{ label: 'time (UTC)', value: function (u, v) { return v === null ? '–' : iso(v * 1000); } }];
    var bands = [];
    spec.series.forEach(function (s) {
      if (s.band) {
        var lowIndex = data.length;
        data.push(s.band[0]);
        series.push({ label: s.label + ' (95% low)', stroke: 'transparent', points: { show: false } });
        data.push(s.band[1]);
        series.push({ label: s.label + ' (95% high)', stroke: 'transparent', points: { show: false } });
        bands.push({ series: [lowIndex + 1, lowIndex], fill: COLORS.canaryBand });
      }
      data.push(s.values);
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: s.dash,
        spanGaps: false,
        paths: s.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
        points: { show: !!s.points, size: 4, fill: s.color },
      });
    });
    var canary = spec.series[0];
    figure.setAttribute('data-points', String(canary ? canary.values.filter(function (v) { return v !== null && v !== undefined; }).length : 0));
    var width = Math.max(320, (plot.clientWidth || figure.clientWidth || 800) - 4);
    var options = {
      width: width,
      height: spec.height || CHART_HEIGHT,
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { points: { size: 6 } },
      scales: { x: { time: true }, y: spec.log ? { distr: 3, log: 10 } : { range: spec.yRange || undefined } },
      axes: [{}, { label: spec.yLabel, size: 60 }],
      padding: [spec.verdicts ? VERDICT_STRIP_PX + 10 : 10, 12, 0, 0],
      hooks: {
        drawClear: [function (u) { drawStageBands(u, ctx.data.stages); }],
        draw: [function (u) { if (spec.verdicts) drawVerdictStrip(u, spec.verdicts); }],
      },
    };
    var chart = new uPlot(options, data, plot);
    ctx.charts.push(chart);
    if (spec.markers) placeMarkers(ctx, chart, plot, spec.markers);
  }

  function drawStageBands(u, stages) {
    var c = u.ctx;
    var top = u.bbox.top;
    var height = u.bbox.height;
    c.save();
    stages.forEach(function (stage, i) {
      var x0 = u.valToPos(sec(stage.fromAt), 'x', true);
      var x1 = u.valToPos(sec(Math.max(stage.toAt, stage.fromAt)), 'x', true);
      var left = Math.max(u.bbox.left, x0);
      var right = Math.min(u.bbox.left + u.bbox.width, x1);
      if (right <= left) return;
      c.fillStyle = stage.index < 0 ? ROLLBACK_FILL : STAGE_FILLS[i % STAGE_FILLS.length];
      c.fillRect(left, top, right - left, height);
      c.fillStyle = '#495057';
      c.font = 11 * (window.devicePixelRatio || 1) + 'px sans-serif';
      c.fillText(stage.name + (stage.index < 0 ? '' : ' ' + stage.weightPercent + '%'), left + 4, top + 12 * (window.devicePixelRatio || 1));
    });
    c.restore();
  }

  /** The verdict of each evaluation as a colour strip along the bottom of the plot: the verdict sequence at a glance. */
  function drawVerdictStrip(u, verdicts) {
    var c = u.ctx;
    var ratio = window.devicePixelRatio || 1;
    // Above the plot area, in the padding kept for it, so it hides no point.
    var y = u.bbox.top - (VERDICT_STRIP_PX + 3) * ratio;
    c.save();
    for (var i = 0; i < verdicts.at.length; i++) {
      var x0 = u.valToPos(sec(verdicts.at[i]), 'x', true);
      var x1 = i + 1 < verdicts.at.length ? u.valToPos(sec(verdicts.at[i + 1]), 'x', true) : x0 + 2 * ratio;
      c.fillStyle = COLORS[VERDICT_NAMES[verdicts.letters[i]]] || '#000';
      c.fillRect(x0, y, Math.max(1, x1 - x0), VERDICT_STRIP_PX * ratio);
    }
    c.restore();
  }

  /** Focusable markers over the timeline: hovering or focusing one shows its event and evidence. */
  function placeMarkers(ctx, chart, plot, markers) {
    var layer = h('div', { class: 'marker-layer' });
    var tooltip = h('div', { class: 'marker-tooltip', role: 'tooltip', id: 'marker-tooltip', hidden: true });
    chart.over.appendChild(layer);
    plot.appendChild(tooltip);
    var buttons = markers.map(function (marker, i) {
      var button = h('button', {
        type: 'button',
        class: 'marker marker-' + marker.kind,
        'data-kind': marker.kind,
        'data-position': marker.position,
        'aria-label': marker.kind + ' at ' + iso(marker.at) + ': ' + marker.text,
        'aria-describedby': 'marker-tooltip',
        id: 'marker-' + i,
      });
      var show = function () { showTooltip(tooltip, chart, button, marker); };
      button.addEventListener('mouseenter', show);
      button.addEventListener('focus', show);
      button.addEventListener('mouseleave', function () { if (document.activeElement !== button) tooltip.hidden = true; });
      button.addEventListener('blur', function () { tooltip.hidden = true; });
      layer.appendChild(button);
      return button;
    });
    var position = function () {
      markers.forEach(function (marker, i) {
        buttons[i].style.left = chart.valToPos(sec(marker.at), 'x') + 'px';
      });
    };
    position();
    chart.hooks.setSize = (chart.hooks.setSize || []).concat([position]);
    chart.hooks.setScale = (chart.hooks.setScale || []).concat([function (u, key) { if (key === 'x') position(); }]);
  }

  function showTooltip(tooltip, chart, button, marker) {
    tooltip.textContent = '';
    tooltip.appendChild(h('strong', null, iso(marker.at) + ' · ' + marker.kind));
    tooltip.appendChild(h('p', { class: 'marker-text' }, marker.text + (marker.count > 1 ? ' (×' + marker.count + ')' : '')));
    if (marker.evidence) {
      tooltip.appendChild(h('p', { class: 'evidence-summary' }, marker.evidence.summary));
      tooltip.appendChild(evidenceList(marker.evidence));
    }
    tooltip.hidden = false;
    var left = Math.min(parseFloat(button.style.left) || 0, Math.max(0, chart.over.clientWidth - 360));
    tooltip.style.left = left + 'px';
  }

  function evidenceList(evidence) {
    var list = h('dl', { class: 'evidence' });
    Object.keys(evidence).forEach(function (key) {
      if (key === 'summary') return;
      var value = evidence[key];
      if (value === undefined) return;
      list.appendChild(h('dt', null, key));
      list.appendChild(h('dd', null, typeof value === 'object' ? JSON.stringify(value) : String(value)));
    });
    return list;
  }

  /** The chart's numbers as a table, built when the reader opens it (a 6-hour rollout has thousands of rows). */
  function numbersTable(spec) {
    var details = h('details', { class: 'numbers' });
    var summary = h('summary', null, 'Numbers of this chart (' + spec.x.length + ' rows)');
    details.appendChild(summary);
    var built = false;
    details.addEventListener('toggle', function () {
      if (!details.open || built) return;
      built = true;
      var columns = spec.table || spec.series.map(function (s) { return { label: s.label, values: s.values }; });
      var table = h('table', { class: 'numbers-table' });
      table.appendChild(h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'time (UTC)'), columns.map(function (c) { return h('th', { scope: 'col' }, c.label); }))));
      var body = h('tbody');
      for (var i = 0; i < spec.x.length; i++) {
        body.appendChild(h('tr', null, h('td', null, iso(spec.x[i])), columns.map(function (c) {
          var v = c.values[i];
          return h('td', null, typeof v === 'string' ? v : num(v));
        })));
      }
      table.appendChild(body);
      details.appendChild(table);
    });
    return details;
  }

  // ---- Sections ---------------------------------------------------------------------------------------------------

  var SECTIONS = [
    ['summary', 'Summary'],
    ['timeline', 'Timeline'],
    ['windows', 'Windows'],
    ['gates', 'Gates'],
    ['stages', 'Stages'],
    ['what-if', 'Re-judged'],
    ['events', 'Events'],
  ];

  function header(data) {
    var r = data.rollout;
    var hd = data.header;
    var ending = hd.ending;
    var box = h('header', { class: 'report-header', id: 'summary' });
    box.appendChild(h('h1', null, r.service + ': ' + r.baseline + ' → ' + r.candidate));
    box.appendChild(h('p', { class: 'rollout-id' }, 'Rollout ', h('code', null, r.id), ' · adapter ' + r.adapter + ' · window ' + duration(r.windowMs) + ' · ' + r.events + ' events · ' + iso(r.createdAt) + ' → ' + iso(r.lastEventAt)));
    box.appendChild(h('p', { class: 'outcome' }, h('span', { class: 'badge badge-' + hd.outcome, id: 'outcome', 'data-outcome': hd.outcome, 'data-phase': hd.phase }, hd.outcome === 'unfinished' ? hd.phase : hd.outcome), ' ', hd.reason));
    var facts = h('dl', { class: 'facts' });
    if (ending) {
      facts.appendChild(h('dt', null, 'Deciding evidence'));
      facts.appendChild(h('dd', { id: 'deciding-evidence' }, ending.summary || (ending.reason ? ending.reason : ending.outcome)));
      facts.appendChild(h('dt', null, 'Decided at'));
      facts.appendChild(h('dd', null, iso(Date.parse(ending.at)) + ' in stage ' + ending.stage + (ending.actor ? ' by ' + ending.actor : '')));
      facts.appendChild(h('dt', null, ending.finalWeightPercent === 100 ? 'Decision to verified 100%' : 'Decision to verified 0%'));
      facts.appendChild(h('dd', { id: 'decision-to-verified' }, ending.finalWeightVerifiedAt === null ? 'not verified in the log' : ending.decisionToVerifiedMs === null ? '100% was in force before the decision' : duration(ending.decisionToVerifiedMs) + ' (verified at ' + iso(Date.parse(ending.finalWeightVerifiedAt)) + ')'));
      if (ending.firstFailAt) {
        facts.appendChild(h('dt', null, 'First failing verdict to verified 0%'));
        facts.appendChild(h('dd', null, ending.firstFailToVerifiedMs === null ? '–' : duration(ending.firstFailToVerifiedMs) + ' (first fail at ' + iso(Date.parse(ending.firstFailAt)) + ')'));
      }
    }
    facts.appendChild(h('dt', null, 'Replay'));
    facts.appendChild(h('dd', null, data.replay.reproduced ? 'today\'s machine reproduces every recorded decision (' + data.replay.recomputedDecisions + ' recomputed)' : data.replay.divergenceCount + ' recorded decision(s) differ from what today\'s machine decides; `sluice replay` lists them'));
    box.appendChild(facts);
    var nav = h('nav', { class: 'sections', 'aria-label': 'Sections' });
    SECTIONS.forEach(function (s) {
      if (s[0] === 'what-if' && !data.whatIf) return;
      nav.appendChild(h('a', { href: '#' + s[0] }, s[1]));
    });
    box.appendChild(nav);
    return box;
  }

  function section(id, title, intro) {
    var el = h('section', { id: id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title));
    if (intro) el.appendChild(h('p', { class: 'intro' }, intro));
    return el;
  }

  /** Step series sampled at the union of change times, so desired and verified share one x axis. */
  function timelineSeries(data) {
    var w = data.weights;
    var lists = [w.desired, w.verified].concat(w.whatIfDesired ? [w.whatIfDesired] : []);
    var times = {};
    lists.forEach(function (list) { list.forEach(function (p) { times[p[0]] = true; }); });
    times[data.rollout.createdAt] = true;
    times[data.rollout.lastEventAt] = true;
    data.markers.forEach(function (m) { times[m.at] = true; });
    var x = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var valuesOf = function (list) {
      var j = -1;
      return x.map(function (t) {
        while (j + 1 < list.length && list[j + 1][0] <= t) j++;
        return j < 0 ? null : list[j][1];
      });
    };
    return { x: x, desired: valuesOf(w.desired), verified: valuesOf(w.verified), whatIf: w.whatIfDesired ? valuesOf(w.whatIfDesired) : null };
  }

  function timelineSection(ctx) {
    var data = ctx.data;
    var s = section('timeline', 'Timeline', 'Desired and verified canary weight over time, with the stages as bands and a marker for every decision, command and adapter event. Hover or focus a marker (Tab) to read the event and its evidence.');
    var t = timelineSeries(data);
    var series = [
      { label: 'desired weight %', values: t.desired, color: COLORS.desired, step: true, width: 2 },
      { label: 'verified weight %', values: t.verified, color: COLORS.verified, step: true, width: 2, dash: [6, 3] },
    ];
    if (t.whatIf) series.push({ label: 're-judged desired weight %', values: t.whatIf, color: COLORS.whatIf, step: true, dash: [2, 3] });
    var last = function (list) { return list.length ? list[list.length - 1][1] + '%' : 'none'; };
    s.appendChild(chartFigure(ctx, {
      id: 'chart-timeline',
      title: 'Canary weight: desired vs verified',
      description: data.weights.desired.length + ' desired weight change(s), ' + data.weights.verified.length + ' verified by the adapter; last desired ' + last(data.weights.desired) + ', last verified ' + last(data.weights.verified) + '. Stages: ' + data.stages.map(function (st) { return st.name + ' from ' + iso(st.fromAt); }).join(', ') + '. ' + data.markers.length + ' markers.',
      x: t.x,
      series: series,
      yLabel: 'weight %',
      yRange: [0, 100],
      markers: data.markers,
      height: 260,
    }));
    if (data.markersOmitted > 0) s.appendChild(h('p', { class: 'warning' }, data.markersOmitted + ' more events are not drawn; `sluice audit` lists them.'));
    return s;
  }

  function windowsSection(ctx) {
    var w = ctx.data.windows;
    var s = section('windows', 'Windows', 'Every sample window of the rollout (' + w.at.length + '), canary against baseline, as logged. The band around the canary error rate is its 95% Wilson interval.');
    var canaryRate = w.at.map(function (_, i) { return percent(w.canaryErrors[i], w.canaryCount[i]); });
    var baselineRate = w.at.map(function (_, i) { return percent(w.baselineErrors[i], w.baselineCount[i]); });
    var bands = w.at.map(function (_, i) { return wilson(w.canaryErrors[i], w.canaryCount[i]); });
    var low = bands.map(function (b) { return b ? b[0] : null; });
    var high = bands.map(function (b) { return b ? b[1] : null; });
    s.appendChild(chartFigure(ctx, {
      id: 'chart-window-error-rate',
      title: 'Error rate per window: canary vs baseline',
      description: describeRange('canary', canaryRate, '%') + '; ' + describeRange('baseline', baselineRate, '%') + '. ' + sum(w.canaryErrors) + ' canary errors in ' + sum(w.canaryCount) + ' requests, ' + sum(w.baselineErrors) + ' baseline errors in ' + sum(w.baselineCount) + '.',
      x: w.at,
      series: [
        { label: 'canary error rate %', values: canaryRate, color: COLORS.canary, points: true, band: [low, high] },
        { label: 'baseline error rate %', values: baselineRate, color: COLORS.baseline },
      ],
      yLabel: 'error rate %',
      table: [
        { label: 'canary requests', values: w.canaryCount },
        { label: 'canary errors', values: w.canaryErrors },
        { label: 'canary error rate %', values: canaryRate },
        { label: 'canary 95% low %', values: low },
        { label: 'canary 95% high %', values: high },
        { label: 'baseline requests', values: w.baselineCount },
        { label: 'baseline errors', values: w.baselineErrors },
        { label: 'baseline error rate %', values: baselineRate },
      ],
    }));
    w.quantiles.forEach(function (q, k) {
      var label = 'p' + num(q * 100);
      s.appendChild(chartFigure(ctx, {
        id: 'chart-window-latency-' + slug(label),
        title: 'Latency ' + label + ' per window: canary vs baseline',
        description: describeRange('canary ' + label, w.canaryLatencyMs[k], ' ms') + '; ' + describeRange('baseline ' + label, w.baselineLatencyMs[k], ' ms') + '.',
        x: w.at,
        series: [
          { label: 'canary ' + label + ' ms', values: w.canaryLatencyMs[k], color: COLORS.canary, points: true },
          { label: 'baseline ' + label + ' ms', values: w.baselineLatencyMs[k], color: COLORS.baseline },
        ],
        yLabel: 'ms',
      }));
    });
    return s;
  }

  function sum(values) {
    return values.reduce(function (a, b) { return a + b; }, 0);
  }
  function describeRange(what, values, unit) {
    var present = values.filter(function (v) { return v !== null && v !== undefined; });
    if (present.length === 0) return what + ': no data';
    return what + ' from ' + num(Math.min.apply(null, present), unit) + ' to ' + num(Math.max.apply(null, present), unit) + ' over ' + present.length + ' windows';
  }

  function gatesSection(ctx) {
    var data = ctx.data;
    var s = section('gates', 'Gates', 'Each gate over the windows it judged, recomputed from the log\'s inputs: the quantity it uses, canary against baseline, its bound or tolerance, and its verdict on every evaluation as a colour strip (green pass, grey inconclusive, red fail). Sequential gates also show their e-values against 1/α on a log scale: a gate decides when one crosses it.');
    if (data.gates.length === 0) s.appendChild(h('p', null, 'No gate was evaluated.'));
    data.gates.forEach(function (gate) { s.appendChild(gateBlock(ctx, gate)); });
    return s;
  }

  function gateBlock(ctx, gate) {
    var w = ctx.data.windows;
    var id = 'gate-' + slug(gate.name);
    var block = h('article', { class: 'gate', id: id }, h('h3', null, gate.name + ' ', h('small', null, gate.kind + ' · stages ' + gate.stages.join(', '))));
    var x = gate.window.map(function (wi, i) { return wi >= 0 ? w.at[wi] : gate.at[i]; });
    var counts = { p: 0, f: 0, i: 0 };
    for (var c = 0; c < gate.verdicts.length; c++) counts[gate.verdicts[c]]++;
    var verdictText = gate.verdicts.length + ' evaluations: ' + counts.p + ' pass, ' + counts.i + ' inconclusive, ' + counts.f + ' fail; last ' + (VERDICT_NAMES[gate.verdicts[gate.verdicts.length - 1]] || 'none');
    var verdicts = { at: x, letters: gate.verdicts };
    var letters = gate.verdicts.split('').map(function (l) { return VERDICT_NAMES[l]; });
    var pick = function (values) { return gate.window.map(function (wi) { return wi >= 0 ? values[wi] : null; }); };
    var metric = null;
    if (gate.metric === 'errorRate') {
      var rate = gate.window.map(function (wi) { return wi >= 0 ? percent(w.canaryErrors[wi], w.canaryCount[wi]) : null; });
      var b = gate.window.map(function (wi) { return wi >= 0 ? wilson(w.canaryErrors[wi], w.canaryCount[wi]) : null; });
      metric = {
        label: 'error rate %',
        series: [
          { label: 'canary error rate %', values: rate, color: COLORS.canary, points: true, band: [b.map(function (v) { return v ? v[0] : null; }), b.map(function (v) { return v ? v[1] : null; })] },
          { label: 'baseline error rate %', values: gate.window.map(function (wi) { return wi >= 0 ? percent(w.baselineErrors[wi], w.baselineCount[wi]) : null; }), color: COLORS.baseline },
        ],
      };
    } else if (gate.metric === 'latency') {
      var k = gate.quantileIndex >= 0 ? gate.quantileIndex : 0;
      var ql = 'p' + num(w.quantiles[k] * 100);
      metric = {
        label: ql + ' ms',
        series: [
          { label: 'canary ' + ql + ' ms', values: pick(w.canaryLatencyMs[k]), color: COLORS.canary, points: true },
          { label: 'baseline ' + ql + ' ms', values: pick(w.baselineLatencyMs[k]), color: COLORS.baseline },
        ],
      };
    } else if (gate.metric === 'slowShare') {
      var slowBand = gate.window.map(function (wi, i) { return wi >= 0 ? wilson(gate.canarySlow[i], w.canaryCount[wi]) : null; });
      metric = {
        label: 'slow share %',
        series: [
          { label: 'canary slow share %', values: gate.window.map(function (wi, i) { return wi >= 0 && gate.thresholdMs[i] !== null ? percent(gate.canarySlow[i], w.canaryCount[wi]) : null; }), color: COLORS.canary, points: true, band: [slowBand.map(function (v) { return v ? v[0] : null; }), slowBand.map(function (v) { return v ? v[1] : null; })] },
          { label: 'baseline slow share %', values: gate.window.map(function (wi, i) { return wi >= 0 && gate.thresholdMs[i] !== null ? percent(gate.baselineSlow[i], w.baselineCount[wi]) : null; }), color: COLORS.baseline },
        ],
        extra: [{ label: 'slow threshold ms', values: gate.thresholdMs }],
      };
    } else if (gate.metric === 'canaryShare') {
      metric = {
        label: 'canary share %',
        series: [{ label: 'observed canary share %', values: gate.window.map(function (wi) { return wi >= 0 ? percent(w.canaryCount[wi], w.canaryCount[wi] + w.baselineCount[wi]) : null; }), color: COLORS.canary, points: true }],
      };
    }
    if (metric) {
      var series = metric.series.concat([{ label: gate.boundLabel || 'bound', values: gate.bound, color: COLORS.bound, dash: [6, 4], step: true }]);
      block.appendChild(chartFigure(ctx, {
        id: id + '-metric',
        title: gate.name + ': ' + metric.label + ' per evaluation',
        description: describeRange(series[0].label, series[0].values, '') + '. Bound: ' + (gate.boundLabel || 'none') + '. ' + verdictText + '.',
        x: x,
        series: series,
        yLabel: metric.label,
        verdicts: verdicts,
        table: series.map(function (sr) { return { label: sr.label, values: sr.values }; }).concat(metric.extra || []).concat([{ label: 'verdict', values: letters }]),
      }));
    } else {
      block.appendChild(h('p', { class: 'verdict-text' }, verdictText + '.'));
      block.appendChild(verdictStripTable(x, letters));
    }
    if (gate.logEValueWorse) {
      // Evidence far below 1 (a canary clearly not worse) would stretch the log axis over dozens of decades.
      var e = function (logs) { return logs.map(function (v) { return v === null ? null : Math.max(E_VALUE_SHOWN_MIN, Math.exp(v)); }); };
      var boundValue = Math.exp(gate.logBound || 0);
      var worse = e(gate.logEValueWorse);
      var eSeries = [{ label: gate.kind === 'sampleRatio' ? 'Bayes factor (mismatch)' : 'e-value: canary worse', values: worse, color: COLORS.fail, points: true }];
      if (gate.kind !== 'sampleRatio') eSeries.push({ label: 'e-value: canary not worse', values: e(gate.logEValueNotWorse), color: COLORS.pass });
      eSeries.push({ label: '1/α = ' + num(boundValue), values: x.map(function () { return boundValue; }), color: '#212529', dash: [6, 4] });
      var maxWorse = Math.max.apply(null, worse.filter(function (v) { return v !== null; }).concat([0]));
      block.appendChild(chartFigure(ctx, {
        id: id + '-evalue',
        title: gate.name + ': evidence (e-values) against 1/α, log scale',
        description: 'The evidence that the canary is worse reached ' + num(maxWorse) + ' (threshold 1/α = ' + num(boundValue) + '); it resets at each stage entry. ' + verdictText + '.',
        x: x,
        series: eSeries,
        yLabel: 'e-value (log)',
        log: true,
        verdicts: verdicts,
      }));
    }
    if (gate.changes.length) {
      var list = h('ol', { class: 'verdict-changes' });
      gate.changes.slice(0, 50).forEach(function (change) {
        list.appendChild(h('li', null, h('span', { class: 'verdict verdict-' + change.verdict }, change.verdict), ' ' + iso(change.at) + ' — ' + change.summary));
      });
      var omitted = gate.changes.length - Math.min(gate.changes.length, 50) + (gate.changesOmitted || 0);
      if (omitted > 0) list.appendChild(h('li', { class: 'omitted' }, omitted + ' more change(s): the numbers tables above have every verdict.'));
      block.appendChild(h('details', { class: 'changes', open: gate.changes.length <= 6 }, h('summary', null, 'Verdict changes (' + (gate.changes.length + (gate.changesOmitted || 0)) + ')'), list));
    }
    return block;
  }

  function verdictStripTable(x, letters) {
    return numbersTable({ x: x, series: [], table: [{ label: 'verdict', values: letters }] });
  }

  function stagesSection(ctx) {
    var rows = ctx.data.stageTable;
    var s = section('stages', 'Stages', 'Per stage, from the logged windows: requests, errors and latency quantiles of the stage\'s merged histograms, canary and baseline; time in stage; and the last recomputed verdict of each gate.');
    var table = h('table', { class: 'stage-table', id: 'stage-table' });
    var heads = ['stage', 'weight', 'time in stage', 'windows', 'variant', 'requests', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'p99 ms', 'p99.9 ms', 'final verdicts'];
    table.appendChild(h('thead', null, h('tr', null, heads.map(function (t) { return h('th', { scope: 'col' }, t); }))));
    var body = h('tbody');
    rows.forEach(function (row) {
      ['canary', 'baseline'].forEach(function (variant, v) {
        var stats = row[variant];
        var cells = [];
        if (v === 0) {
          cells.push(h('th', { scope: 'rowgroup', rowspan: 2 }, row.stage));
          cells.push(h('td', { rowspan: 2 }, row.weightPercent + '%'));
          cells.push(h('td', { rowspan: 2, 'data-ms': row.timeInStageMs }, duration(row.timeInStageMs)));
          cells.push(h('td', { rowspan: 2 }, String(row.windows)));
        }
        cells.push(h('td', null, variant));
        cells.push(h('td', { 'data-field': 'requests' }, String(stats.requests)));
        cells.push(h('td', { 'data-field': 'errors' }, String(stats.errors)));
        cells.push(h('td', { 'data-field': 'errorRatePercent' }, num(stats.errorRatePercent, '%')));
        cells.push(h('td', { 'data-field': 'latencyMsP50' }, num(stats.latencyMsP50)));
        cells.push(h('td', { 'data-field': 'latencyMsP95' }, num(stats.latencyMsP95)));
        cells.push(h('td', { 'data-field': 'latencyMsP99' }, num(stats.latencyMsP99)));
        cells.push(h('td', { 'data-field': 'latencyMsP999' }, num(stats.latencyMsP999)));
        if (v === 0) {
          var verdicts = row.finalVerdicts || {};
          cells.push(h('td', { rowspan: 2, class: 'final-verdicts' }, Object.keys(verdicts).map(function (g) { return h('span', { class: 'verdict verdict-' + verdicts[g], 'data-gate': g }, g + ': ' + verdicts[g]); })));
        }
        body.appendChild(h('tr', { 'data-stage': row.stage, 'data-variant': variant }, cells));
      });
    });
    table.appendChild(body);
    s.appendChild(h('div', { class: 'table-scroll' }, table));
    return s;
  }

  function whatIfSection(ctx) {
    var wi = ctx.data.whatIf;
    var s = section('what-if', 'Re-judged with ' + wi.specFile, 'The recorded inputs replayed through the machine with another spec: what that policy would have done, beside what was recorded. Weights are assumed applied at once in the re-judged run.');
    s.appendChild(h('p', { class: 'what-if-sentence', id: 'what-if-sentence' }, 'With ' + wi.specFile + ', the rollout ' + wi.comparison.sentence + '.'));
    s.appendChild(h('p', { id: 'what-if-part' }, wi.partText));
    var table = h('table', { class: 'what-if-table' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'recorded'), h('th', { scope: 'col' }, 're-judged'))));
    var body = h('tbody');
    var n = Math.max(wi.recordedSteps.length, wi.whatIfSteps.length);
    for (var i = 0; i < n; i++) {
      var a = wi.recordedSteps[i];
      var b = wi.whatIfSteps[i];
      var differs = !a || !b || a.text !== b.text || a.at !== b.at;
      body.appendChild(h('tr', { class: differs ? 'differs' : null }, h('td', null, String(i + 1)), h('td', null, a ? iso(a.at) + ' ' + a.text : '—'), h('td', null, b ? iso(b.at) + ' ' + b.text : '—')));
    }
    table.appendChild(body);
    s.appendChild(h('div', { class: 'table-scroll' }, table));
    return s;
  }

  function eventsSection(ctx) {
    var s = section('events', 'Events', 'The decisions, commands and adapter events of the timeline, in order (sample windows and unchanged verdicts are summarised by the charts above).');
    var table = h('table', { class: 'events-table' }, h('thead', null, h('tr', null, ['time (UTC)', 'position', 'kind', 'event'].map(function (t) { return h('th', { scope: 'col' }, t); }))));
    var body = h('tbody');
    ctx.data.markers.forEach(function (m) {
      body.appendChild(h('tr', { class: 'event-' + m.kind }, h('td', null, iso(m.at)), h('td', null, String(m.position)), h('td', null, m.kind), h('td', null, m.text + (m.count > 1 ? ' (×' + m.count + ')' : ''))));
    });
    table.appendChild(body);
    s.appendChild(h('div', { class: 'table-scroll' }, table));
    return s;
  }

  // ---- Entry points -----------------------------------------------------------------------------------------------

  /**
   * Renders `data` into `root` (emptied first) and returns a handle whose destroy() frees the charts. Charts are drawn
   * after the layout exists so that they take the width of their column.
   */
  function render(root, data) {
    if (!data || data.format !== REPORT_FORMAT) {
      root.textContent = 'This report has data format ' + (data && data.format) + '; this page reads format ' + REPORT_FORMAT + '. Regenerate it with this version of sluice report.';
      return { destroy: function () {} };
    }
    var ctx = { data: data, charts: [], pending: [] };
    root.textContent = '';
    root.appendChild(header(data));
    root.appendChild(timelineSection(ctx));
    root.appendChild(windowsSection(ctx));
    root.appendChild(gatesSection(ctx));
    root.appendChild(stagesSection(ctx));
    if (data.whatIf) root.appendChild(whatIfSection(ctx));
    root.appendChild(eventsSection(ctx));
    ctx.pending.forEach(function (draw) { draw(); });
    var resize = function () {
      ctx.charts.forEach(function (chart) {
        var width = Math.max(320, chart.root.parentElement.clientWidth - 4);
        if (Math.abs(width - chart.width) > 8) chart.setSize({ width: width, height: chart.height });
      });
    };
    // Printing lays the page out narrower than the screen: fit the charts to the paper, and back afterwards.
    var PRINT_WIDTH_PX = 680;
    var beforePrint = function () { ctx.charts.forEach(function (chart) { chart.setSize({ width: Math.min(chart.width, PRINT_WIDTH_PX), height: chart.height }); }); };
    window.addEventListener('resize', resize);
    window.addEventListener('beforeprint', beforePrint);
    window.addEventListener('afterprint', resize);
    root.setAttribute('data-rendered', String(data.rollout.events));
    return {
      destroy: function () {
        window.removeEventListener('resize', resize);
        window.removeEventListener('beforeprint', beforePrint);
        window.removeEventListener('afterprint', resize);
        ctx.charts.forEach(function (chart) { chart.destroy(); });
      },
    };
  }

  // `h` is shared with the dashboard's script, which builds its own elements the same way.
  window.SluiceReport = { render: render, format: REPORT_FORMAT, h: h };

  // In a report file the data is in the page; the dashboard calls render itself.
  var embedded = document.getElementById('sluice-report-data');
  var root = document.getElementById('sluice-report');
  if (embedded && root) render(root, JSON.parse(embedded.textContent));
})();
