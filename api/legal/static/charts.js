/* The dashboards' charts: ECharts (served by the service itself, /legal/static/echarts.min.js)
   over the figures the page carries in <script type="application/json" id="chart-data">.
   Each chart's element gets data-rendered="true" once drawn. Nothing is fetched. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element, null, { locale: "ZH", renderer: "canvas" });
    chart.setOption(option);
    element.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var coverage = data.coverage;
  draw("coverage-chart", {
    title: { text: "周期内检查覆盖率（%）", left: "center" },
    tooltip: { trigger: "axis" },
    grid: { bottom: 80 },
    xAxis: {
      type: "category",
      axisLabel: { rotate: 30 },
      data: coverage.map(function (f) { return f.division + " " + f.window.to.slice(0, 4); })
    },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [{
      name: "覆盖率", type: "bar",
      data: coverage.map(function (f) { return f.percent; }),
      markLine: { symbol: "none", data: [{ yAxis: 100, name: "全覆盖" }] }
    }]
  });

  var participation = data.participation;
  var limits = data.thresholds;
  draw("participation-chart", {
    title: { text: "执法人员参与比例与机关人员参与轮次比例（%）", left: "center" },
    tooltip: { trigger: "axis" },
    legend: { top: 28 },
    grid: { top: 70, bottom: 80 },
    xAxis: {
      type: "category",
      axisLabel: { rotate: 30 },
      data: participation.map(function (f) { return f.division + " " + f.year; })
    },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [
      {
        name: "执法人员参与比例", type: "bar",
        data: participation.map(function (f) { return f.staff_percent; }),
        markLine: { symbol: "none", data: [{ yAxis: limits.staff_percent, name: "要求" }] }
      },
      {
        name: "有机关人员参加的轮次比例", type: "bar",
        data: participation.map(function (f) { return f.agency_percent; }),
        markLine: { symbol: "none", data: [{ yAxis: limits.agency_rounds_percent, name: "要求" }] }
      }
    ]
  });
}());
