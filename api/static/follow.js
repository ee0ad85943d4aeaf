// Follow buttons (templates/_follow.html): create the watch with the JSON API, then show its Atom feed URL to copy.
// Plain DOM, no framework; the page works without it (the feed is one click away in any case).
document.addEventListener("click", async (ev) => {
  const box = ev.target.closest(".follow");
  if (!box) return;
  const out = box.querySelector(".follow-out"), url = box.querySelector(".feed-url"), problem = box.querySelector(".follow-problem");
  if (ev.target.closest(".copy")) {
    url.select();
    try { await navigator.clipboard.writeText(url.value); } catch (e) { document.execCommand("copy"); }
    return;
  }
  const button = ev.target.closest(".follow-btn");
  if (!button) return;
  button.disabled = true;
  problem.hidden = true;
  try {
    const r = await fetch("/api/watches", {method: "POST", headers: {"Content-Type": "application/json"}, body: box.dataset.watch});
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail || r.statusText);
    url.value = body.feed_url;
    box.querySelector(".feed-link").href = body.feed_url;
    box.dataset.watchId = body.id;
    out.hidden = false;
    button.textContent = "✓ following";
    url.select();
  } catch (e) {
    problem.textContent = e.message;
    problem.hidden = false;
    button.disabled = false;
  }
});
