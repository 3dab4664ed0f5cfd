/* civicgraph explore page: date slider, filters, legend, tooltips.
 *
 * Reads its data from the JSON block with id "cg-data", never from the network.
 * Every text from the data is inserted with textContent, except the tooltips, which Python
 * built from HTML-escaped values (graph/viz.py) and which go in with innerHTML.
 *
 * Date rule: a relationship is valid on d when start <= d and (no end or end > d); one
 * without dates is always valid.  A node is shown when one of its dated relationships is valid
 * on d, or when it has no dated relationship at all.  A relationship is shown when it is valid
 * and both its ends are shown.  Filters (kind, party/nuance, network) narrow that further.
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

  var initial = { date: meta.asOf || null, kind: "", party: "", network: "" };
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
      update();
      return api.visibleCounts();
    },
    visibleCounts: function () {
      return { nodes: shown.nodes, edges: shown.edges, totalNodes: nodeItems.length,
               totalEdges: edgeItems.length, date: state.date };
    },
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

  function showDetails(key) {
    var html = tips.get(key);
    if (!html) return;
    detailsBody.innerHTML = html;
    details.hidden = false;
  }
  $("cg-close").addEventListener("click", function () {
    details.hidden = true;
    network.unselectAll();
  });
  network.on("click", function (p) {
    hideTip();
    if (p.nodes.length) showDetails("n:" + p.nodes[0]);
    else if (p.edges.length) showDetails("e:" + p.edges[0]);
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
      network.focus(n.id, { scale: Math.max(network.getScale(), 1.2), animation: { duration: 400 } });
    }
    showDetails("n:" + n.id);
  });
  $("cg-reset").addEventListener("click", function () {
    state = Object.assign({}, initial);
    $("cg-find").value = "";
    details.hidden = true;
    network.unselectAll();
    update();
    network.fit({ animation: { duration: 300 } });
  });

  buildLegend();
  syncControls();
  updateLegend();
})();
