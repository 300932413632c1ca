// The live-updates gateway's client (backend/README.md, "Live updates"), without dependencies.
// Used by the live tiles component and inlined into the Forecasts chart.
(function () {
  "use strict";

  const REFUSED_CODES = { 4401: "token refused", 4403: "role refused" };
  const SUBSCRIBE_TIMEOUT_MS = 5000;
  const FIRST_RETRY_MS = 2000;
  const LAST_RETRY_MS = 30000;
  const RETRIES_BEFORE_UNAVAILABLE = 2;

  // connect({url, token, channels, assets, horizons, onMessage(channel, data), onStatus(state, detail)})
  // States: "connecting", "live", "bus_reconnecting", "lagged" (detail: missed), "retrying",
  // "unavailable" (detail: reason). Returns {close()}.
  function connect(options) {
    let socket = null;
    let stopped = false;
    let everLive = false;
    let failures = 0;
    let retryTimer = null;
    let subscribeTimer = null;

    function status(state, detail) {
      if (!stopped && options.onStatus) { options.onStatus(state, detail); }
    }

    function scheduleRetry() {
      const delay = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, Math.max(0, failures - 1)));
      retryTimer = setTimeout(open, delay);
    }

    function failed(reason, permanent) {
      failures += 1;
      if (permanent || !everLive || failures > RETRIES_BEFORE_UNAVAILABLE) {
        status("unavailable", reason);
      } else {
        status("retrying", reason);
      }
      if (!permanent) { scheduleRetry(); }
    }

    function open() {
      retryTimer = null;
      if (stopped) { return; }
      let subscribed = false;
      let refused = null;
      try {
        socket = new WebSocket(options.url);
      } catch (error) {
        failed("bad gateway address", true);
        return;
      }
      const current = socket;
      if (!everLive) { status("connecting"); }
      subscribeTimer = setTimeout(function () {
        if (!subscribed) { refused = "no answer"; current.close(); }
      }, SUBSCRIBE_TIMEOUT_MS);
      current.onopen = function () {
        current.send(JSON.stringify({ type: "auth", token: options.token }));
        const subscription = { type: "subscribe", channels: options.channels };
        if (options.assets && options.assets.length) { subscription.assets = options.assets; }
        if (options.horizons && options.horizons.length) { subscription.horizons = options.horizons; }
        current.send(JSON.stringify(subscription));
      };
      current.onmessage = function (event) {
        let frame;
        try { frame = JSON.parse(event.data); } catch (error) { return; }
        if (frame.type === "subscribed") {
          subscribed = true;
          everLive = true;
          failures = 0;
          clearTimeout(subscribeTimer);
          status("live");
        } else if (frame.type === "message") {
          if (options.onMessage) { options.onMessage(frame.channel, frame.data); }
        } else if (frame.type === "lagged") {
          status("lagged", frame.missed);
        } else if (frame.type === "status") {
          status(frame.state === "live" ? "live" : "bus_reconnecting");
        } else if (frame.type === "error") {
          if (!subscribed) { refused = "subscription refused: " + frame.reason; current.close(); }
        }
      };
      current.onclose = function (event) {
        clearTimeout(subscribeTimer);
        if (stopped || current !== socket) { return; }
        if (REFUSED_CODES[event.code]) {
          failed(REFUSED_CODES[event.code] + " (" + event.code + ")", true);
        } else if (refused) {
          failed(refused, false);
        } else if (subscribed) {
          failed("connection lost (" + event.code + ")", false);
        } else {
          failed("cannot connect", false);
        }
      };
    }

    open();
    return {
      close: function () {
        stopped = true;
        clearTimeout(retryTimer);
        clearTimeout(subscribeTimer);
        if (socket) { socket.close(); }
      },
    };
  }

  window.AtsLiveUpdates = { connect: connect };
})();
