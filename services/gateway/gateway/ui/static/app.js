// ArcadiaCloud dashboard behaviour. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the session's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // A form with data-confirm asks before it is sent (void an invoice, accept drift, ...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  });

  // A select with data-autosubmit sends its form on change (filters, pickers).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  var PALETTE = ["#1f5fbf", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#4d7c0f"];

  // The usage charts: one per billing kind (their units differ: hours, GB-months, ...), each
  // over the days of the period, drawn from the JSON block the page carries. Quantities arrive
  // as exact decimal strings; only the drawing turns them into numbers.
  function drawUsage() {
    var container = document.querySelector('[data-testid="usage-chart"]');
    var block = document.getElementById("usage-data");
    if (!container || !block || typeof window.uPlot === "undefined") {
      return;
    }
    var data;
    try {
      data = JSON.parse(block.textContent || "{}");
    } catch (e) {
      return;
    }
    var days = data.days || [];
    var kinds = data.kinds || [];
    if (!days.length || !kinds.length) {
      return;
    }
    var xs = days.map(function (day) { return Date.parse(day + "T00:00:00Z") / 1000; });
    container.textContent = "";
    var plots = [];
    function size() {
      var width = Math.max(container.clientWidth, 260);
      return { width: width, height: Math.max(160, Math.min(240, Math.round(width * 0.4))) };
    }
    kinds.forEach(function (kind, i) {
      var figure = document.createElement("figure");
      figure.className = "usage-kind";
      figure.setAttribute("data-kind", kind);
      var caption = document.createElement("figcaption");
      caption.textContent = kind;
      figure.appendChild(caption);
      container.appendChild(figure);
      var values = (data.series[kind] || []).map(function (v) {
        return v === null || v === undefined ? null : Number(v);
      });
      var dims = size();
      plots.push(new window.uPlot(
        {
          width: dims.width,
          height: dims.height,
          tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
          legend: { show: false },
          series: [
            {},
            { label: kind, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: days.length < 40 } },
          ],
          axes: [{}, { size: 60 }],
          scales: { x: { time: true } },
        },
        [xs, values],
        figure
      ));
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(function () {
        plots.forEach(function (plot) { plot.setSize(size()); });
      }, 120);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawUsage);
  } else {
    drawUsage();
  }
})();
