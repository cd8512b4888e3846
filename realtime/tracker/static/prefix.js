/* cdp tracker: Segment's analytics.js (@segment/analytics-next, MIT licence) served and configured by the
   cdp collector, so that the browser talks to this collector's origin only. */
(function () {
  var script = document.currentScript;
  var url = new URL(script.src, window.location.href);
  window.__cdpTracker = {
    origin: url.origin,
    host: url.host,
    protocol: url.protocol.replace(':', ''),
    writeKey: script.getAttribute('data-write-key'),
    pageview: script.getAttribute('data-page') !== 'false',
  };
  // analytics.js loads its lazy chunks from `<_cdn>/analytics-next/bundles/`: this collector, not a CDN.
  window.analytics = window.analytics || {};
  window.analytics._cdn = url.origin;
})();
