// Names the chart menus that vega-embed draws: its <summary> holds only an icon, so screen
// readers announced nothing (axe rule summary-name, WCAG 4.1.2). Runs on every page change.
(function () {
  function name(root) {
    root.querySelectorAll(".vega-embed details > summary:not([aria-label])").forEach(function (s) {
      s.setAttribute("aria-label", "Chart menu: download the chart as SVG or PNG");
    });
  }
  new MutationObserver(function () { name(document); }).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  name(document);
})();
