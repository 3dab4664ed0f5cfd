/* civicgraph serve: a click on a node in a graph opens the node's page.
 *
 * Each graph is the offline explore page, framed from this server (the result's .graph
 * URL), so its window.civicgraph (the vis network) is reachable from here.
 */
(function () {
  "use strict";

  function nodeUrl(id) {
    return "/node/" + encodeURIComponent(String(id)).replace(/%3A/gi, ":");
  }

  function follow(frame) {
    var w = frame.contentWindow;
    if (!w || !w.civicgraph || !w.civicgraph.network) return false;
    w.civicgraph.network.on("click", function (p) {
      if (p.nodes && p.nodes.length) window.location.assign(nodeUrl(p.nodes[0]));
    });
    return true;
  }

  document.querySelectorAll("iframe.cg-graph").forEach(function (frame) {
    if (!follow(frame)) frame.addEventListener("load", function () { follow(frame); });
  });
})();
