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

// A line chart drawn as SVG from JSON the page embeds: <figure data-line-chart="id-of-script">
// with {months: [...], series: [{name, values: [text or null]}]}; the page's table holds the same figures.
document.querySelectorAll("[data-line-chart]").forEach((figure) => {
  const data = JSON.parse(document.getElementById(figure.dataset.lineChart).textContent);
  const svgNs = "http://www.w3.org/2000/svg";
  const width = 640, height = 240, pad = 40, colours = ["#b4232c", "#2f8132", "#1f5fa8", "#b7791f", "#6b46c1"];
  const numbers = data.series.flatMap((line) => line.values.filter((v) => v !== null).map(Number));
  const top = numbers.length ? Math.max(...numbers) : 1;
  const x = (i) => pad + i * (width - 2 * pad) / Math.max(data.months.length - 1, 1);
  const y = (v) => height - pad - (v / top) * (height - 2 * pad);
  const make = (name, attrs, text) => {
    const node = document.createElementNS(svgNs, name);
    Object.entries(attrs).forEach(([key, value]) => node.setAttribute(key, value));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svg = make("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": figure.getAttribute("aria-label") || ""});
  svg.append(make("line", {x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "#999"}));
  svg.append(make("text", {x: 4, y: pad, "font-size": 11}, `¥${top.toFixed(2)}`));
  data.months.forEach((month, i) => {
    if (i % 2 === 0) svg.append(make("text", {x: x(i) - 18, y: height - pad + 16, "font-size": 11}, month));
  });
  data.series.forEach((line, n) => {
    const colour = colours[n % colours.length];
    const points = line.values.map((v, i) => (v === null ? null : `${x(i)},${y(Number(v))}`)).filter(Boolean);
    svg.append(make("polyline", {points: points.join(" "), fill: "none", stroke: colour, "stroke-width": 2}));
    line.values.forEach((v, i) => { if (v !== null) svg.append(make("circle", {cx: x(i), cy: y(Number(v)), r: 3, fill: colour})); });
    svg.append(make("text", {x: width - pad - 120, y: 14 + 14 * n, fill: colour, "font-size": 12}, line.name));
  });
  figure.append(svg);
});
