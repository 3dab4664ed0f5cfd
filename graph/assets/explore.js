/* civicgraph explore page: date slider, filters, legend, tooltips.
 *
 * Reads its data from the JSON block with id "cg-data", never from the network.
 * Every text from the data is inserted with textContent, except the tooltips, which Python
 * built from HTML-escaped values (graph/viz.py) and which go in with innerHTML.
 *
 * Date rule: a relationship is valid on d when start <= d and (no end or end > d); one
 * without dates is always valid.  A node is shown when one of its dated relationships is valid
 * on d, or when it has no dated relationship at all.  A relationship is shown when it is valid
 * and both its ends are shown.  Filters (kind, party/nuance, network, reference nodes) narrow
 * that further.
 *
 * Publishing: the names of the best-connected nodes ("top") are drawn here at a readable size
 * at every zoom; the details panel is placed so that it never covers what was clicked; the
 * PNG button draws the canvas, title, caption, legend and credit into one image, locally.
 */
(function () {
  "use strict";

  var mark = function (name) { if (window.performance && performance.mark) performance.mark(name); };
  mark("cg:start");
  var DATA = JSON.parse(document.getElementById("cg-data").textContent);
  mark("cg:parsed");
  var meta = DATA.meta;
  var dates = meta.dates;
  var palette = meta.palette;
  var nodeItems = DATA.nodes;
  var edgeItems = DATA.edges;

  var nodeById = new Map();
  var edgeById = new Map();
  var incident = new Map();
  var tips = new Map();
  nodeItems.forEach(function (n, i) {
    nodeById.set(n.id, n);
    incident.set(n.id, []);
    tips.set("n:" + n.id, meta.tips.nodes[i]);
  });
  edgeItems.forEach(function (e, i) {
    edgeById.set(e.id, e);
    tips.set("e:" + e.id, meta.tips.edges[i]);
    incident.get(e.from).push(e);
    if (e.to !== e.from) incident.get(e.to).push(e);
  });

  var initial = { date: meta.asOf || null, kind: "", party: "", network: "",
                  reference: !meta.reference.hidden };
  var state = Object.assign({}, initial);
  var shown = { nodes: 0, edges: 0 };
  var valueCounts = new Map();

  function isDated(e) { return !!(e.start || e.end); }

  // "As of" (civicgraph.graph.dates.holds_on): a relationship holds on day d when it
  // started on or before d and has not ended by d; one without a start holds on no day,
  // unless its type has no dates at all (PART_OF…: "timeless").
  function valid(e, d) {
    if (d === null) return true;
    if (e.start) { if (e.start > d) return false; }
    else if (!e.timeless) return false;
    if (e.end && e.end <= d) return false;
    return true;
  }

  // The node's party or nuance on date d (d === null: its current value).
  function affiliation(n, d) {
    if (n.tl && d !== null) {
      var best = null;
      for (var i = 0; i < n.tl.length; i++) {
        var p = n.tl[i];
        if ((!p[0] || p[0] <= d) && (!p[1] || p[1] > d)) {
          if (best === null || (p[0] || "") >= (best[0] || "")) best = p;
        }
      }
      return best ? best[2] : null;
    }
    return n.aff === undefined ? null : n.aff;
  }

  function colourValue(n, d) {
    if (meta.colorBy === "kind") return n.cv;
    var a = affiliation(n, d);
    return a === null ? meta.noValue : a;
  }

  // Decide what is shown; return the vis DataSet updates for what changed.
  function compute() {
    var d = state.date;
    var dateOk = new Set();
    if (d === null) {
      nodeItems.forEach(function (n) { dateOk.add(n.id); });
    } else {
      nodeItems.forEach(function (n) { if (!n.dated) dateOk.add(n.id); });
      edgeItems.forEach(function (e) {
        if (isDated(e) && valid(e, d)) { dateOk.add(e.from); dateOk.add(e.to); }
      });
    }
    var members = null;
    if (state.network) {
      members = new Set([state.network]);
      (incident.get(state.network) || []).forEach(function (e) {
        if (valid(e, d)) { members.add(e.from); members.add(e.to); }
      });
    }
    var nodeUpdates = [];
    var visible = new Set();
    valueCounts = new Map();
    nodeItems.forEach(function (n) {
      var v = colourValue(n, d);
      var ok = dateOk.has(n.id)
        && (!state.kind || n.kind === state.kind)
        && (state.reference || !n.ref || state.kind === n.kind)
        && (!state.party || affiliation(n, d) === state.party)
        && (!members || members.has(n.id));
      var colour = palette[v] || palette[meta.noValue] || "#c8c8c8";
      if (ok) {
        visible.add(n.id);
        valueCounts.set(v, (valueCounts.get(v) || 0) + 1);
      }
      if (n.hidden !== !ok || n.color !== colour) {
        n.hidden = !ok;
        n.color = colour;
        nodeUpdates.push({ id: n.id, hidden: n.hidden, color: colour });
      }
    });
    var edgeUpdates = [];
    var edgeCount = 0;
    edgeItems.forEach(function (e) {
      var ok = valid(e, d) && visible.has(e.from) && visible.has(e.to);
      if (ok) edgeCount++;
      if (e.hidden !== !ok) {
        e.hidden = !ok;
        edgeUpdates.push({ id: e.id, hidden: e.hidden });
      }
    });
    shown = { nodes: visible.size, edges: edgeCount };
    return { nodes: nodeUpdates, edges: edgeUpdates };
  }

  // ---- controls ---------------------------------------------------------------------------
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("cg-date");
  var dateText = $("cg-date-text");
  slider.max = String(dates.length);

  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }
  meta.kinds.forEach(function (k) { option($("cg-kind"), k, k); });
  $("cg-party-box").firstChild.textContent = meta.dimension === "nuance" ? "Nuance " : "Party ";
  if (meta.affiliations.length) {
    meta.affiliations.forEach(function (v) { option($("cg-party"), v, v); });
  } else {
    $("cg-party-box").hidden = true;
  }
  if (meta.reference.count) {
    $("cg-ref-box").hidden = false;
    $("cg-ref-text").textContent = "Show reference nodes (" + meta.reference.labels.join(", ")
      + ": " + meta.reference.count + ")";
  }
  if (meta.networks.length) {
    meta.networks.forEach(function (n) { option($("cg-network"), n.id, n.name); });
  } else {
    $("cg-network-box").hidden = true;
  }
  // The search suggestions are built on first use: thousands of <option>s cost ~0.2 s.
  $("cg-find").addEventListener("focus", function () {
    var names = $("cg-names");
    if (names.childElementCount) return;
    var frag = document.createDocumentFragment();
    nodeItems.forEach(function (n) {
      var o = document.createElement("option");
      o.value = n.label + " \u2014 " + n.id;
      frag.appendChild(o);
    });
    names.appendChild(frag);
  });

  function sliderIndex(d) {
    if (d === null) return 0;
    var k = 0;
    while (k < dates.length && dates[k] <= d) k++;
    return Math.max(1, k);
  }

  function syncControls() {
    slider.value = String(sliderIndex(state.date));
    dateText.textContent = state.date === null ? "all dates" : state.date;
    $("cg-kind").value = state.kind;
    $("cg-party").value = state.party;
    $("cg-network").value = state.network;
    $("cg-ref").checked = state.reference;
  }

  // ---- legend --------------------------------------------------------------------------------
  var legend = $("cg-legend");
  var legendRows = new Map();

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function buildLegend() {
    var L = meta.legend;
    legend.appendChild(el("h2", "", L.title));
    var ul = el("ul");
    L.values.forEach(function (v) {
      var li = el("li");
      var sw = el("span", "cg-sw");
      sw.style.background = palette[v];
      li.appendChild(sw);
      li.appendChild(el("span", "", v));
      var count = el("span", "cg-n", "");
      li.appendChild(count);
      li.title = "show only " + v;
      li.style.cursor = "pointer";
      li.addEventListener("click", function () {
        if (meta.colorBy === "kind") state.kind = state.kind === v ? "" : v;
        else if (v !== meta.noValue) state.party = state.party === v ? "" : v;
        update();
      });
      legendRows.set(v, { li: li, count: count });
      ul.appendChild(li);
    });
    legend.appendChild(ul);
    if (L.size) legend.appendChild(el("p", "cg-note", L.size));
    if (L.shapes.length) {
      var glyph = { diamond: "\u25C6", square: "\u25A0", triangle: "\u25B2", dot: "\u25CF" };
      legend.appendChild(el("p", "cg-note", L.shapes.map(function (s) {
        var i = s.indexOf(":");
        return (glyph[s.slice(0, i)] || "") + " " + s.slice(i + 1);
      }).join("  ")));
    }
    if (L.edges.length) {
      legend.appendChild(el("h2", "", "Relationships"));
      var ue = el("ul");
      L.edges.forEach(function (t) {
        var li = el("li");
        var line = el("span", "cg-line");
        line.style.borderColor = t.color;
        li.appendChild(line);
        li.appendChild(el("span", "", t.type));
        li.appendChild(el("span", "cg-n", String(t.count)));
        ue.appendChild(li);
      });
      legend.appendChild(ue);
      var dashed = el("li");
      var dl = el("span", "cg-line cg-dash");
      dl.style.borderColor = "#888";
      dashed.appendChild(dl);
      dashed.appendChild(el("span", "", "ended"));
      var ud = el("ul");
      ud.appendChild(dashed);
      legend.appendChild(ud);
    }
    if (dates.length) {
      legend.appendChild(el("p", "cg-note",
        "On a date: relationships valid then; nodes with no dated relationship stay shown."));
    }
  }

  function updateLegend() {
    legendRows.forEach(function (row, v) {
      var n = valueCounts.get(v) || 0;
      row.count.textContent = String(n);
      row.li.classList.toggle("cg-off", n === 0);
    });
    $("cg-counts").textContent = shown.nodes + " of " + nodeItems.length + " nodes \u00B7 "
      + shown.edges + " of " + edgeItems.length + " relationships";
  }

  // ---- network -------------------------------------------------------------------------------
  mark("cg:controls");
  compute();
  mark("cg:computed");
  var nodes = new vis.DataSet(nodeItems);
  var edges = new vis.DataSet(edgeItems);
  mark("cg:datasets");
  var container = $("mynetwork");
  var network = new vis.Network(container, { nodes: new vis.DataSet(), edges: new vis.DataSet() },
    DATA.options);

  var api = {
    network: network,
    nodes: nodes,
    edges: edges,
    dates: dates,
    meta: meta,
    ready: null,
    setDate: function (iso) {
      state.date = iso && iso !== "all" ? String(iso) : null;
      update();
      return api.visibleCounts();
    },
    setFilter: function (f) {
      ["kind", "party", "network"].forEach(function (k) {
        if (f && Object.prototype.hasOwnProperty.call(f, k)) state[k] = f[k] || "";
      });
      if (f && Object.prototype.hasOwnProperty.call(f, "reference")) state.reference = !!f.reference;
      update();
      return api.visibleCounts();
    },
    visibleCounts: function () {
      return { nodes: shown.nodes, edges: shown.edges, totalNodes: nodeItems.length,
               totalEdges: edgeItems.length, date: state.date };
    },
    drawnLabels: [],
    labelPx: 0,
    png: function () { return picture().toDataURL("image/png"); },
  };
  window.civicgraph = api;

  function update() {
    var changes = compute();
    if (changes.nodes.length) nodes.update(changes.nodes);
    if (changes.edges.length) edges.update(changes.edges);
    syncControls();
    updateLegend();
  }

  function markReady() {
    if (api.ready === null) {
      mark("cg:ready");
      api.ready = performance.now();
      document.body.setAttribute("data-ready", "1");
    }
  }

  var loading = $("cg-loading");
  if (meta.physics && nodeItems.length) {
    if (nodeItems.length > 100) loading.hidden = false;
    network.on("stabilizationProgress", function (p) {
      $("cg-progress").textContent = Math.round(100 * p.iterations / p.total) + "%";
    });
    network.once("stabilizationIterationsDone", function () {
      // Stop the simulation so the page is interactive: dragging moves one node only.
      network.setOptions({ physics: { enabled: false } });
      loading.hidden = true;
      network.once("afterDrawing", markReady);
      network.redraw();
    });
  } else {
    network.once("afterDrawing", markReady);
  }
  // ---- names of the best-connected nodes, readable at every zoom ---------------------------
  var topIds = nodeItems.filter(function (n) { return n.top; })
    .sort(function (a, b) { return a.top - b.top; }).map(function (n) { return n.id; });
  var LABEL_PX = 13;

  function drawTopLabels(ctx) {
    var drawn = [];
    if (!topIds.length) { api.drawnLabels = drawn; return; }
    var scale = network.getScale();
    // vis draws the other names at 14 * scale px once that reaches its threshold (7 px)
    var px = Math.min(22, Math.max(LABEL_PX, 14 * scale));
    var fs = px / scale;
    var pad = 3 / scale;
    var lo = network.DOMtoCanvas({ x: 0, y: 0 });
    var hi = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    var pos = network.getPositions(topIds);
    var boxes = [];
    ctx.save();
    ctx.font = "600 " + fs + "px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.lineJoin = "round";
    ctx.lineWidth = 3 / scale;
    ctx.strokeStyle = "rgba(255,255,255,0.92)";
    ctx.fillStyle = "#1a1a1a";
    topIds.forEach(function (id) {
      var n = nodeById.get(id), p = pos[id];
      if (!p || n.hidden) return;
      var w = ctx.measureText(n.label).width;
      var y0 = p.y + n.size + 2 / scale;
      var box = [p.x - w / 2 - pad, y0 - pad, p.x + w / 2 + pad, y0 + fs + pad];
      if (box[2] < lo.x || box[0] > hi.x || box[3] < lo.y || box[1] > hi.y) return;
      for (var i = 0; i < boxes.length; i++) {
        var b = boxes[i];
        if (box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]) return;
      }
      boxes.push(box);
      ctx.strokeText(n.label, p.x, y0);
      ctx.fillText(n.label, p.x, y0);
      drawn.push(id);
    });
    ctx.restore();
    api.drawnLabels = drawn;
    api.labelPx = px;
  }
  network.on("afterDrawing", drawTopLabels);

  network.setData({ nodes: nodes, edges: edges });
  if (!meta.physics) network.fit({ animation: false });
  mark("cg:setdata");

  // ---- tooltips and details -----------------------------------------------------------------
  var main = $("cg-main");
  var tip = $("cg-tip");
  var details = $("cg-details");
  var detailsBody = $("cg-details-body");
  var pointer = { x: 0, y: 0 };
  main.addEventListener("mousemove", function (ev) {
    var r = main.getBoundingClientRect();
    pointer = { x: ev.clientX - r.left, y: ev.clientY - r.top };
    if (!tip.hidden) placeTip();
  });

  function placeTip() {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = pointer.x + 14, y = pointer.y + 14;
    if (x + w > main.clientWidth) x = Math.max(0, pointer.x - w - 14);
    if (y + h > main.clientHeight) y = Math.max(0, pointer.y - h - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  function showTip(key) {
    var html = tips.get(key);
    if (!html) return;
    tip.innerHTML = html;
    tip.hidden = false;
    placeTip();
  }
  function hideTip() { tip.hidden = true; }

  network.on("hoverNode", function (p) { showTip("n:" + p.node); });
  network.on("blurNode", hideTip);
  network.on("hoverEdge", function (p) { showTip("e:" + p.edge); });
  network.on("blurEdge", hideTip);
  network.on("dragStart", hideTip);
  network.on("zoom", hideTip);

  // The panel goes on the side away from what was clicked; if it is still in the way (a
  // narrow window), the network is panned so the node stands clear of it.
  function placeDetails(at, radius) {
    var W = main.clientWidth;
    var left = !at || at.x > W / 2;
    details.style.left = left ? "10px" : "auto";
    details.style.right = left ? "auto" : "10px";
    if (!at) return;
    var m = main.getBoundingClientRect(), r = details.getBoundingClientRect();
    var x0 = r.left - m.left - radius - 8, x1 = r.right - m.left + radius + 8;
    var y0 = r.top - m.top - radius - 8, y1 = r.bottom - m.top + radius + 8;
    if (at.x <= x0 || at.x >= x1 || at.y <= y0 || at.y >= y1) return;
    var dx = left ? x1 - at.x : x0 - at.x;
    var view = network.getViewPosition();
    network.moveTo({ position: { x: view.x - dx / network.getScale(), y: view.y },
                     animation: false });
  }

  function showDetails(key, at, radius) {
    var html = tips.get(key);
    if (!html) return;
    detailsBody.innerHTML = html;
    details.hidden = false;
    placeDetails(at, radius || 0);
  }

  function nodeAt(id) {
    var n = nodeById.get(id);
    return { at: network.canvasToDOM(network.getPosition(id)),
             radius: (n ? n.size : 10) * network.getScale() };
  }
  $("cg-close").addEventListener("click", function () {
    details.hidden = true;
    network.unselectAll();
  });
  network.on("click", function (p) {
    hideTip();
    if (p.nodes.length) {
      var where = nodeAt(p.nodes[0]);
      showDetails("n:" + p.nodes[0], where.at, where.radius);
    } else if (p.edges.length) showDetails("e:" + p.edges[0], p.pointer.DOM, 6);
    else details.hidden = true;
  });

  // ---- wiring ---------------------------------------------------------------------------------
  // The controls act as they change; Enter in a field submits nothing (no inline handler:
  // a page framing this one may forbid them).
  $("cg-controls").addEventListener("submit", function (ev) { ev.preventDefault(); });
  slider.addEventListener("input", function () {
    var k = Number(slider.value);
    state.date = k > 0 ? dates[k - 1] : null;
    update();
  });
  $("cg-ref").addEventListener("change", function (ev) {
    state.reference = ev.target.checked;
    update();
  });
  $("cg-kind").addEventListener("change", function (ev) { state.kind = ev.target.value; update(); });
  $("cg-party").addEventListener("change", function (ev) { state.party = ev.target.value; update(); });
  $("cg-network").addEventListener("change", function (ev) {
    state.network = ev.target.value;
    update();
  });
  $("cg-find").addEventListener("change", function (ev) {
    var text = ev.target.value.trim();
    var sep = text.lastIndexOf(" \u2014 ");
    var id = sep >= 0 ? text.slice(sep + 3) : text;
    var n = nodeById.get(id);
    if (!n) {
      var lower = text.toLowerCase();
      n = nodeItems.find(function (m) { return String(m.label).toLowerCase() === lower; });
    }
    if (!n) return;
    if (!n.hidden) {
      network.selectNodes([n.id]);
      network.focus(n.id, { scale: Math.max(network.getScale(), 1.2), animation: false });
      var where = nodeAt(n.id);
      showDetails("n:" + n.id, where.at, where.radius);
    } else {
      showDetails("n:" + n.id);
    }
  });
  $("cg-reset").addEventListener("click", function () {
    state = Object.assign({}, initial);
    $("cg-find").value = "";
    details.hidden = true;
    network.unselectAll();
    update();
    network.fit({ animation: { duration: 300 } });
  });

  // ---- the picture, as a PNG made here (nothing is sent anywhere) ---------------------------
  function wrap(ctx, text, width) {
    var lines = [], line = "";
    String(text).split(/\s+/).forEach(function (word) {
      var next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > width) { lines.push(line); line = word; }
      else line = next;
    });
    if (line) lines.push(line);
    return lines;
  }

  function creditText() {
    return $("cg-credit").textContent.replace(/\s+/g, " ").trim();
  }

  function picture() {
    var src = container.querySelector("canvas");
    var k = src.width / Math.max(1, src.clientWidth);
    var W = src.width, margin = 14 * k, width = W - 2 * margin;
    var font = function (weight, size) { return weight + " " + size * k + "px system-ui, sans-serif"; };
    var out = document.createElement("canvas");
    var ctx = out.getContext("2d");
    ctx.font = font(600, 22);
    var title = wrap(ctx, meta.title, width);
    ctx.font = font(400, 14);
    var caption = meta.caption ? wrap(ctx, meta.caption, width) : [];
    var when = state.date === null ? "All dates" : "On " + state.date;
    ctx.font = font(400, 12);
    var credit = wrap(ctx, creditText(), width);
    var keys = [];
    legendRows.forEach(function (row, v) { if (valueCounts.get(v)) keys.push(v); });
    var head = margin + title.length * 28 * k + (caption.length + 1) * 19 * k + 6 * k;
    var foot = 8 * k + 20 * k * Math.ceil(keys.length / 6 || 0) + credit.length * 16 * k + margin;
    out.width = W;
    out.height = Math.round(head + src.height + foot);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.textBaseline = "top";
    var y = margin;
    ctx.fillStyle = "#1a1a1a";
    ctx.font = font(600, 22);
    title.forEach(function (l) { ctx.fillText(l, margin, y); y += 28 * k; });
    ctx.fillStyle = "#444444";
    ctx.font = font(400, 14);
    caption.concat([when]).forEach(function (l) { ctx.fillText(l, margin, y); y += 19 * k; });
    ctx.drawImage(src, 0, head);
    y = head + src.height + 8 * k;
    ctx.font = font(400, 13);
    keys.forEach(function (v, i) {
      var x = margin + (i % 6) * (width / 6);
      if (i && i % 6 === 0) y += 20 * k;
      ctx.fillStyle = palette[v] || "#c8c8c8";
      ctx.beginPath();
      ctx.arc(x + 6 * k, y + 8 * k, 6 * k, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = "#333333";
      ctx.fillText(v, x + 16 * k, y + 1 * k);
    });
    if (keys.length) y += 20 * k;
    ctx.fillStyle = "#555555";
    ctx.font = font(400, 12);
    credit.forEach(function (l) { ctx.fillText(l, margin, y); y += 16 * k; });
    return out;
  }

  function fileName() {
    var slug = String(meta.title).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
    return (slug || "civicgraph") + (state.date ? "-" + state.date : "") + ".png";
  }

  $("cg-png").addEventListener("click", function () {
    picture().toBlob(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = document.createElement("a");
      a.href = url;
      a.download = fileName();
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }, "image/png");
  });

  buildLegend();
  syncControls();
  updateLegend();
})();
