// Draws the dashboard's charts from the JSON the page carries (#dashboard-data): the funnel exactly as
// GET /api/v1/funnel/ returns it for the same filters, the monthly cohorts, and the labels in the page's language.
// ECharts renders SVG, so every bar is an element a test (or a screen reader's DOM walk) can find and click.
(function () {
  "use strict";

  function readData() {
    var node = document.getElementById("dashboard-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function leadListUrl(data, extra) {
    var params = new URLSearchParams(data.query);
    Object.keys(extra).forEach(function (key) { params.set(key, extra[key]); });
    return data.lead_list_url + "?" + params.toString();
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function init(element) {
    return echarts.init(element, null, { renderer: "svg" });
  }

  // Tooltips drawn inside the SVG: ECharts' HTML tooltips are markup with style attributes (the colour markers,
  // the arrow), which the Content-Security-Policy blocks, and they would put the labels into the page as HTML.
  function tooltip(options) {
    return Object.assign({ renderMode: "richText" }, options);
  }

  function drawFunnel(element, data) {
    var track = element.dataset.track;
    var rows = data.funnel.stages.filter(function (row) { return row.track === track; });
    var labels = data.labels;
    var chart = init(element);
    chart.setOption({
      title: { text: labels.tracks[track], left: 0, textStyle: { fontSize: 14 } },
      grid: { left: 8, right: 96, top: 32, bottom: 8, containLabel: true },
      tooltip: tooltip({
        trigger: "item",
        formatter: function (item) {
          var row = rows[item.dataIndex];
          return labels.stages[row.stage] + "\n" + labels.reached + ": " + row.reached +
            (row.conversion === null ? "" : "\n" + labels.drop_off + ": " + percent(1 - row.conversion));
        }
      }),
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        inverse: true,
        data: rows.map(function (row) { return labels.stages[row.stage]; })
      },
      series: [{
        name: labels.reached,
        type: "bar",
        cursor: "pointer",
        data: rows.map(function (row) { return row.reached; }),
        label: {
          show: true,
          position: "right",
          formatter: function (item) {
            var row = rows[item.dataIndex];
            return row.reached + (row.conversion === null ? "" : "  −" + percent(1 - row.conversion));
          }
        }
      }]
    });
    chart.on("click", function (item) {
      var row = rows[item.dataIndex];
      if (row && data.lead_list_url) {
        window.location.href = leadListUrl(data, { measure: "reached", stage: row.stage });
      }
    });
    return chart;
  }

  function drawTimeInStage(element, data) {
    var labels = data.labels;
    var rows = data.funnel.stages;
    var chart = init(element);
    chart.setOption({
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: tooltip({ trigger: "axis" }),
      xAxis: {
        type: "category",
        data: rows.map(function (row) {
          return (data.funnel.filters.track ? "" : labels.tracks[row.track] + " · ") + labels.stages[row.stage];
        }),
        axisLabel: { rotate: 45, interval: 0 }
      },
      yAxis: { type: "value", name: labels.days },
      series: [{
        name: labels.median_days,
        type: "bar",
        data: rows.map(function (row) { return row.median_days_in_stage; })
      }]
    });
    return chart;
  }

  function drawTrend(element, data) {
    var labels = data.labels;
    var rows = data.trend;
    var chart = init(element);
    chart.setOption({
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: tooltip({ trigger: "axis" }),
      xAxis: { type: "category", data: rows.map(function (row) { return row.month; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: labels.cohort, type: "bar", data: rows.map(function (row) { return row.leads; }) },
        { name: labels.signed, type: "line", data: rows.map(function (row) { return row.signed; }) },
        { name: labels.landed, type: "line", data: rows.map(function (row) { return row.landed; }) }
      ]
    });
    return chart;
  }

  function start() {
    var data = readData();
    if (!data || typeof echarts === "undefined") {
      return;
    }
    var charts = [];
    document.querySelectorAll(".chart-funnel").forEach(function (element) {
      charts.push(drawFunnel(element, data));
    });
    var time = document.getElementById("time-in-stage");
    if (time) { charts.push(drawTimeInStage(time, data)); }
    var trend = document.getElementById("cohort-trend");
    if (trend) { charts.push(drawTrend(trend, data)); }
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    document.body.dataset.chartsReady = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
