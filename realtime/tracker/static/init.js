/* cdp tracker: load analytics.js against this collector and record the landing page. */
(function () {
  var tracker = window.__cdpTracker;
  if (!tracker.writeKey) {
    console.error('[cdp] add data-write-key="<your write key>" to the script tag of cdp.js');
    return;
  }
  // Ad platforms' click ids: analytics.js puts utm_* into context.campaign by itself, but not these.
  var CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'ttclid', 'twclid', 'li_fat_id'];
  var query = new URLSearchParams(window.location.search);
  var landing = {};
  CLICK_IDS.forEach(function (name) {
    var value = query.get(name);
    if (value) landing[name] = value.slice(0, 256);
  });
  var analytics = window.AnalyticsNext.AnalyticsBrowser.load(
    // cdnURL: the settings document comes from /v1/projects/<writeKey>/settings here
    { writeKey: tracker.writeKey, cdnURL: tracker.origin },
    { integrations: { 'Segment.io': { apiHost: tracker.host + '/v1', protocol: tracker.protocol } } }
  );
  window.analytics = analytics;
  if (tracker.pageview) analytics.page(landing);
})();
