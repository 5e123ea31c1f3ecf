// RAX console: the live list from one event stream, countdowns, and forms sent without a page reload.
"use strict";
(function () {
  var csrfMeta = document.querySelector('meta[name="csrf"]');
  var live = document.getElementById("live");
  var banner = document.getElementById("banner");
  var counts = document.getElementById("counts");
  var LIMIT = 200;
  var seen = new Set();
  var lastId = null;
  var received = 0;
  var source = null;
  var shown = (window.RAX_SHOWN = []);

  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + r + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".item:not(.status-answered) .clock[data-due]").forEach(function (c) {
      var left = Number(c.dataset.due) - now;
      c.textContent = left >= 0 ? "ack due in " + fmt(left) : "ack overdue by " + fmt(left);
      c.classList.toggle("breach", left < 0);
    });
    document.querySelectorAll(".item.status-answered .clock").forEach(function (c) {
      c.textContent = "answered";
      c.classList.remove("breach");
    });
  }

  function show(message) {
    if (!banner) return;
    banner.hidden = !message;
    banner.textContent = message || "";
  }

  function onStatus(st) {
    document.body.dataset.feed = st.state; // the feed's state, for whoever drives the page (tests, kiosks)
    if (st.state === "live") show("");
    else if (st.state === "catching_up") show("Catching up with the region's deliveries…");
    else if (st.state === "behind") show("Behind: " + st.behind + " deliveries not shown yet");
    else show("Kafka unreachable since " + new Date(st.since * 1000).toLocaleTimeString() + " — retrying");
  }

  function onItem(ev) {
    lastId = ev.lastEventId || lastId;
    var d = JSON.parse(ev.data);
    if (seen.has(d.id)) return; // repeated after a reconnect: shown once
    seen.add(d.id);
    received += 1;
    var t = document.createElement("template");
    t.innerHTML = d.html;
    var el = t.content.firstElementChild;
    var shownAt = Date.now();
    el.dataset.shown = String(shownAt);
    // when each delivery reached the page, for the latency benchmark (bounded)
    if (shown.length >= 20000) shown.shift();
    shown.push([d.id, shownAt]);
    live.prepend(el);
    while (live.children.length > LIMIT) live.removeChild(live.lastElementChild);
    if (counts) counts.textContent = received + " deliveries this session; older ones under history";
    tick();
  }

  function onState(ev) {
    var d = JSON.parse(ev.data);
    var el = document.getElementById("d-" + d.id);
    if (!el) return;
    el.classList.remove("status-new");
    el.classList.add("status-answered");
    var a = el.querySelector(".answers");
    if (a) a.textContent = d.answers.join(" · ");
    tick();
  }

  function connect() {
    source = new EventSource(lastId ? "/events?last=" + encodeURIComponent(lastId) : "/events");
    source.addEventListener("item", onItem);
    source.addEventListener("state", onState);
    source.addEventListener("status", function (ev) { onStatus(JSON.parse(ev.data)); });
    source.onopen = function () { if (banner && banner.dataset.net) { delete banner.dataset.net; show(""); } };
    source.onerror = function () {
      document.body.dataset.feed = "lost";
      if (banner) banner.dataset.net = "1";
      show("Connection to the console lost — reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        fetch("/health").then(function () {
          return fetch("/", { headers: { Accept: "application/json" } });
        }).then(function (r) {
          if (r.status === 401) location.href = "/login";
          else setTimeout(connect, 1000);
        }, function () { setTimeout(connect, 1000); });
      }
    };
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var action = form.getAttribute("action");
    if (["/act", "/alert", "/operation", "/reply", "/request", "/agree"].indexOf(action) < 0) return;
    ev.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    if (csrfMeta && !body.get("csrf")) body.set("csrf", csrfMeta.content);
    var out = form.querySelector(".msg") || document.createElement("span");
    out.className = "msg";
    form.appendChild(out);
    out.textContent = "sending…";
    fetch(action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { location.href = "/login"; return null; }
        return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      })
      .then(function (res) {
        if (!res) return;
        if (!res.ok) { out.textContent = res.j.error; out.classList.add("error"); return; }
        out.classList.remove("error");
        if (action === "/alert") {
          out.textContent = "sent " + res.j.identifier;
          var refs = document.getElementById("references");
          if (refs) {
            var o = document.createElement("option");
            o.value = res.j.identifier;
            o.textContent = res.j.identifier + " " + (form.elements.headline.value || "");
            refs.appendChild(o);
          }
        } else {
          out.textContent = res.j.outcome + " sent";
        }
      }, function () { out.textContent = "not sent: the console is unreachable"; out.classList.add("error"); });
  });

  setInterval(tick, 1000);
  tick();
  if (live) connect();
})();
