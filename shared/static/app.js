// Small conveniences only: every page works without this script.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
});
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (event.target.matches("[data-print]")) window.print();
});

// A stacked bar chart drawn as inline SVG from the JSON a page embeds:
// <div data-chart="ID"> with <script type="application/json" id="ID">{months: [...], series: [{name, values}]}</script>.
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
function drawStackedBars(holder) {
  const data = JSON.parse(document.getElementById(holder.dataset.chart).textContent);
  if (!data.months.length) return;
  const width = 640, height = 260, left = 70, bottom = 24, legend = 22 * Math.ceil(data.series.length / 4);
  const totals = data.months.map((_, m) => data.series.reduce((sum, s) => sum + Number(s.values[m]), 0));
  const top = Math.max(...totals) || 1;
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height + legend}`, class: "bars"});
  const slot = (width - left) / data.months.length, scale = (height - bottom - 10) / top;
  chart.append(svg("text", {x: left - 6, y: 12, "text-anchor": "end"}, "¥" + Math.round(top).toLocaleString()));
  data.months.forEach((month, m) => {
    let y = height - bottom;
    data.series.forEach((series, s) => {
      const h = Number(series.values[m]) * scale;
      y -= h;
      const bar = svg("rect", {x: left + m * slot + slot * 0.15, y, width: slot * 0.7, height: h, class: `series-${s % 8}`});
      bar.append(svg("title", {}, `${month} ${series.name}: ¥${Number(series.values[m]).toFixed(2)}`));
      chart.append(bar);
    });
    chart.append(svg("text", {x: left + m * slot + slot / 2, y: height - 6, "text-anchor": "middle"}, month));
  });
  drawLegend(chart, data.series, height);
  holder.append(chart);
}
function drawLegend(chart, allSeries, height) {
  allSeries.forEach((series, s) => {
    const x = (s % 4) * 160 + 10, y = height + 8 + 22 * Math.floor(s / 4);
    chart.append(svg("rect", {x, y, width: 12, height: 12, class: `series-${s % 8}`}));
    chart.append(svg("text", {x: x + 18, y: y + 11}, series.name));
  });
}
// The same JSON as lines, for figures that do not add up (a cost per diner-meal per dining hall):
// <div data-line-chart="ID">; a null value is a gap in its line.
function drawLines(holder) {
  const data = JSON.parse(document.getElementById(holder.dataset.lineChart).textContent);
  if (!data.months.length) return;
  const width = 640, height = 240, left = 70, bottom = 24, legend = 22 * Math.ceil(data.series.length / 4);
  const numbers = data.series.flatMap((series) => series.values.filter((v) => v !== null).map(Number));
  const top = numbers.length ? Math.max(...numbers) : 1;
  const x = (m) => left + (m + 0.5) * (width - left) / data.months.length;
  const y = (value) => height - bottom - (value / top) * (height - bottom - 10);
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height + legend}`, class: "bars lines"});
  chart.append(svg("text", {x: left - 6, y: 12, "text-anchor": "end"}, `¥${top.toFixed(2)}`));
  data.months.forEach((month, m) => chart.append(svg("text", {x: x(m), y: height - 6, "text-anchor": "middle"}, month)));
  data.series.forEach((series, s) => {
    const points = series.values.map((v, m) => (v === null ? null : `${x(m)},${y(Number(v))}`)).filter(Boolean);
    chart.append(svg("polyline", {points: points.join(" "), class: `series-${s % 8}`}));
    series.values.forEach((v, m) => {
      if (v === null) return;
      const dot = svg("circle", {cx: x(m), cy: y(Number(v)), r: 3, class: `series-${s % 8}`});
      dot.append(svg("title", {}, `${data.months[m]} ${series.name}: ¥${Number(v).toFixed(2)}`));
      chart.append(dot);
    });
  });
  drawLegend(chart, data.series, height);
  holder.append(chart);
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-chart]").forEach(drawStackedBars);
  document.querySelectorAll("[data-line-chart]").forEach(drawLines);
});

// A part of a page that is still changing (an export job's progress) fetches the page again and
// replaces itself, until the server renders it without data-refresh.
function refreshPart(part) {
  setTimeout(async () => {
    const response = await fetch(location.href, {credentials: "same-origin"});
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById(part.id);
    if (!fresh) return;
    part.replaceWith(fresh);
    if (fresh.hasAttribute("data-refresh")) refreshPart(fresh);
  }, Number(part.dataset.refresh) || 2000);
}
document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[id][data-refresh]").forEach(refreshPart));
