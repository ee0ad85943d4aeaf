// The interactive topic map: drawn from the stored 2-D coordinates (/api/clusters/map), no build step.
// Hover shows a paper's title and topic, click opens the paper; labels that would overlap are skipped.
(async function () {
  const holder = document.getElementById("topic-map");
  if (!holder) return;
  const tip = document.getElementById("map-tip");
  const resp = await fetch(holder.dataset.src);
  if (!resp.ok) { holder.insertAdjacentHTML("afterbegin", '<p class="problem">map unavailable</p>'); return; }
  const m = await resp.json();
  const W = 900, H = 620, PAD = 8, NS = "http://www.w3.org/2000/svg";
  const [x0, x1, y0, y1] = m.frame;
  const sx = (x) => PAD + (Math.min(Math.max(x, x0), x1) - x0) / (x1 - x0) * (W - 2 * PAD);
  const sy = (y) => H - PAD - (Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0) * (H - 2 * PAD);
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79"];
  const labelOf = Object.fromEntries(m.labels.map((l) => [l.id, l.label]));
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${m.points.length} papers on a 2-D map, coloured by topic`);
  svg.dataset.frame = JSON.stringify(m.frame);
  const dots = document.createElementNS(NS, "g");
  m.points.forEach(([x, y, topic, id, title], i) => {
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", sx(x).toFixed(1));
    c.setAttribute("cy", sy(y).toFixed(1));
    c.setAttribute("r", topic < 0 ? 2 : 2.6);
    c.setAttribute("fill", topic < 0 ? "#c8c8c8" : palette[((topic % 20) + 20) % 20]);
    c.dataset.i = i;
    c.dataset.id = id;
    dots.appendChild(c);
  });
  svg.appendChild(dots);
  holder.insertBefore(svg, tip);
  const placed = [];
  for (const l of m.labels) {
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", sx(l.x));
    t.setAttribute("y", sy(l.y));
    t.setAttribute("text-anchor", "middle");
    t.textContent = `${l.id}: ${l.label.split(" · ").slice(0, 2).join(" · ")}`;
    svg.appendChild(t);
    const b = t.getBBox();
    if (placed.some((p) => b.x < p.x + p.width && p.x < b.x + b.width && b.y < p.y + p.height && p.y < b.y + b.height)) t.remove();
    else placed.push(b);
  }
  const show = (ev) => {
    const i = ev.target.dataset && ev.target.dataset.i;
    if (i === undefined) { tip.hidden = true; return; }
    const [, , topic, id, title] = m.points[+i];
    tip.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = title;  // text, never HTML: titles come from the corpus
    const small = document.createElement("small");
    small.textContent = topic < 0 ? " — other" : ` — topic ${topic}: ${labelOf[topic] || ""}`;
    tip.append(strong, small);
    const box = holder.getBoundingClientRect();
    tip.style.left = `${Math.min(ev.clientX - box.left + 12, box.width - 200)}px`;
    tip.style.top = `${ev.clientY - box.top + 12}px`;
    tip.hidden = false;
    tip.dataset.id = id;
  };
  svg.addEventListener("mouseover", show);
  svg.addEventListener("mouseleave", () => { tip.hidden = true; });
  svg.addEventListener("click", (ev) => {
    if (ev.target.dataset && ev.target.dataset.id) window.location.href = `/paper/${ev.target.dataset.id}`;
  });
  holder.dataset.ready = "1";
})();
