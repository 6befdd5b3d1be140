// Draws the report's training curves with uPlot (inlined above this script) from the embedded JSON: one chart per
// group, every chart's x axis running from step 0 to the run's last logged step, a log y axis where the Java side
// asked for one, and per series a colour, a dash pattern and a marker (filled dots and larger rings alternate), so
// coinciding points stay visible. The legend below the plot shows the values at the cursor's step (at first, the
// last step's). Drag to zoom, double-click to reset. Hooks for tests, set once a chart is drawn: data-plot-box,
// data-legend-box (page rectangles "x,y,width,height"), data-x-ticks, data-y-ticks (the labelled tick values) on each
// div.chart, and data-rendered (the number of charts drawn so far) on body.
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  var dashes = [[], [7, 4], [2, 3], [10, 3, 2, 3], [4, 2], [1, 3], [12, 4], [6, 2, 2, 2]];
  var host = document.getElementById('charts');
  var drawn = 0;
  var stepIncrs = [], valueIncrs = [];                      // tick steps of 1, 2 or 5 x 10^k (integers for steps)
  for (var k = -16; k < 16; k++) [1, 2, 5].forEach(function (m) {
    var v = +(m * Math.pow(10, k)).toPrecision(1);
    valueIncrs.push(v);
    if (k >= 0) stepIncrs.push(v);
  });

  function box(e) {
    var r = e.getBoundingClientRect();
    return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]
        .map(function (v) { return v.toFixed(1); }).join(',');
  }
  function format(v) {
    if (v == null || !isFinite(v)) return '\u2013';
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(4));
  }
  // An axis's labels; the labelled values (filtered ones are null) are kept on the chart for tests.
  function labels(div, name) {
    return function (u, splits) {
      div.setAttribute('data-' + name + '-ticks', splits.filter(function (v) { return v != null; }).join(','));
      return splits.map(function (v) { return v == null ? null : format(v); });
    };
  }

  Object.keys(data.charts).forEach(function (title) {
    var chart = data.charts[title], keys = Object.keys(chart.series);
    var steps = {};
    keys.forEach(function (k) { chart.series[k].forEach(function (p) { steps[p[0]] = true; }); });
    var xs = Object.keys(steps).map(Number).sort(function (a, b) { return a - b; });
    if (!xs.length) return;
    var at = {};
    xs.forEach(function (x, i) { at[x] = i; });
    var columns = [xs], shown = 0;
    keys.forEach(function (k) {
      var col = xs.map(function () { return null; });
      chart.series[k].forEach(function (p) {
        if (p[1] != null && isFinite(p[1]) && (!chart.log || p[1] > 0)) { col[at[p[0]]] = p[1]; shown++; }
      });
      columns.push(col);
    });
    if (!shown) return;

    var div = document.createElement('div');
    div.className = 'chart';
    div.setAttribute('data-title', title);
    div.setAttribute('data-keys', keys.join('\n'));
    div.setAttribute('data-log', chart.log ? 'true' : 'false');
    host.appendChild(div);

    var series = [{label: 'step', value: function (u, v) { return v == null ? '\u2013' : String(v); }}];
    keys.forEach(function (k, i) {
      var c = colors[i % colors.length], ring = i % 2 === 1;
      series.push({
        label: chart.labels[k] || k, stroke: c, width: 1.5, dash: dashes[i % dashes.length], spanGaps: true,
        points: {show: chart.series[k].length <= 60, size: ring ? 10 : 6, width: 1.5, stroke: c,
                 fill: ring ? 'rgba(255,255,255,0)' : c},   // a ring shows the dot beneath it
        value: function (u, v) { return format(v); }
      });
    });
    var xMax = Math.max(1, data.lastStep), xPad = Math.max(0.5, xMax * 0.03);   // markers at the last step stay whole
    var opts = {
      title: title + (chart.log ? ' (log scale)' : ''), width: 430, height: 240, series: series,
      scales: {x: {time: false, range: function () { return [0, xMax + xPad]; }},
               y: chart.log ? {distr: 3, log: 10} : {}},
      axes: [{label: 'step', incrs: stepIncrs, values: labels(div, 'x')},
             chart.log ? {size: 60, values: labels(div, 'y')} : {size: 60, incrs: valueIncrs, values: labels(div, 'y')}],
      legend: {live: true},
      cursor: {drag: {x: true, y: false}},
      hooks: {ready: [function (u) {                        // once laid out and drawn
        u.setLegend({idx: xs.length - 1});                  // the last values until the cursor picks a step
        div.setAttribute('data-plot-box', box(u.over));
        div.setAttribute('data-legend-box', box(u.root.querySelector('.u-legend')));
        document.body.setAttribute('data-rendered', String(++drawn));
      }]}
    };
    new uPlot(opts, columns, div);
  });
})();
