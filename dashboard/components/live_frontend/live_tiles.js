// Live risk tiles: a Streamlit component (plain JavaScript, the component protocol by hand).
// Holds the gateway's socket and updates its own DOM on each frame; Streamlit reruns only
// when the connection becomes live or unavailable (the page then drops or starts polling).
(function () {
  "use strict";

  const STATE_COLORS = { active: "green", reducing: "orange", halted: "red" };
  let args = null;
  let connection = null;
  let connectedWith = "";
  let reported = null;
  let risk = null;
  let note = "";
  let lastHeight = -1;
  const forecasts = new Map();

  function post(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }

  function report(state, reason) {
    if (reported === state) { return; }
    reported = state;
    post("streamlit:setComponentValue", { value: { state: state, reason: reason || "" }, dataType: "json" });
  }

  function utc(text) {
    const moment = new Date(text);
    return isNaN(moment.getTime()) ? String(text || "") : moment.toISOString().slice(0, 19).replace("T", " ");
  }

  function resize() {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      post("streamlit:setFrameHeight", { height: height });
    }
  }

  function cell(row, text, className) {
    const item = document.createElement("td");
    item.textContent = text;
    if (className) { item.className = className; }
    row.appendChild(item);
  }

  function drawRisk() {
    if (!risk) { return; }
    const factor = risk.risk_factor;
    document.getElementById("risk-factor").textContent = factor === null || factor === undefined ? "—" : Number(factor).toFixed(2);
    document.getElementById("risk-state").textContent = risk.state;
    const badge = document.getElementById("risk-badge");
    badge.textContent = "state: " + risk.state;
    badge.className = "badge " + (STATE_COLORS[risk.state] || "gray");
    const reasons = risk.reasons && risk.reasons.length ? risk.reasons.join(", ") : "none";
    document.getElementById("risk-reasons").textContent = "Reasons: " + reasons + " · decided at " + utc(risk.timestamp) + " UTC";
    const breakers = risk.breakers || [];
    const tripped = breakers.filter(function (item) { return item.state === "tripped"; }).map(function (item) { return item.name; });
    const summary = document.getElementById("breakers-summary");
    if (tripped.length) {
      summary.className = "alert error";
      summary.textContent = "Tripped breakers: " + tripped.join(", ");
    } else if (breakers.length) {
      summary.className = "alert success";
      summary.textContent = "All breakers armed.";
    } else {
      summary.className = "alert info";
      summary.textContent = "No breaker has tripped yet.";
    }
    const body = document.querySelector("#breakers tbody");
    body.replaceChildren();
    document.getElementById("breakers").hidden = !breakers.length;
    breakers.forEach(function (item) {
      const row = document.createElement("tr");
      cell(row, item.name);
      cell(row, item.state === "tripped" ? "TRIPPED" : item.state, item.state === "tripped" ? "tripped" : "");
      cell(row, utc(item.changed_at).slice(0, 16), "time");
      cell(row, item.reason || "");
      body.appendChild(row);
    });
  }

  function drawForecasts() {
    const block = document.getElementById("forecasts-block");
    block.hidden = !args.show_forecasts || forecasts.size === 0;
    const body = document.querySelector("#forecasts tbody");
    body.replaceChildren();
    const rows = Array.from(forecasts.values()).sort(function (a, b) {
      return Date.parse(b.ts_event) - Date.parse(a.ts_event) || (a.asset + a.horizon).localeCompare(b.asset + b.horizon);
    }).slice(0, args.forecast_limit);
    rows.forEach(function (item) {
      const row = document.createElement("tr");
      cell(row, item.asset);
      cell(row, item.horizon);
      cell(row, (item.prediction * 10000).toFixed(1));
      cell(row, Number(item.confidence).toFixed(3));
      cell(row, item.tradable === false ? "no" : "yes");
      cell(row, utc(item.ts_event).slice(5, 16), "time");
      body.appendChild(row);
    });
  }

  function applyRisk(data) {
    if (risk && risk.timestamp && Date.parse(data.ts_event) < Date.parse(risk.timestamp)) { return; }
    const reasons = data.reasons || [];
    const breakers = (risk && risk.breakers ? risk.breakers : []).map(function (item) { return Object.assign({}, item); });
    args.breaker_names.forEach(function (name) {
      const named = reasons.indexOf(name) >= 0;
      let breaker = breakers.find(function (item) { return item.name === name; });
      if (named && !breaker) {
        breakers.push({ name: name, state: "tripped", changed_at: data.ts_event, reason: "named by risk update " + data.id });
      } else if (named && breaker.state !== "tripped") {
        Object.assign(breaker, { state: "tripped", changed_at: data.ts_event, reason: "named by risk update " + data.id });
      } else if (!named && breaker && breaker.state === "tripped") {
        Object.assign(breaker, { state: "armed", changed_at: data.ts_event, reason: "cleared by risk update " + data.id });
      }
    });
    risk = { risk_factor: data.risk_factor, state: data.state, reasons: reasons, timestamp: data.ts_event, breakers: breakers };
    drawRisk();
  }

  function setStatus(text, warning) {
    const line = document.getElementById("status");
    line.textContent = text;
    line.className = warning ? "status warning" : "status";
  }

  function onStatus(state, detail) {
    document.body.setAttribute("data-live-state", state);
    if (state === "connecting") {
      setStatus("Connecting to live updates…", false);
    } else if (state === "live") {
      note = "";
      setStatus("Live: updated by the gateway's push.", false);
      report("live");
    } else if (state === "bus_reconnecting") {
      setStatus("The gateway is reconnecting to the bus: values may be behind.", true);
    } else if (state === "lagged") {
      note = detail + " updates were dropped (this connection lagged); showing the newest.";
      setStatus(note, true);
    } else if (state === "retrying") {
      setStatus("Connection to the gateway lost (" + detail + "): reconnecting…", true);
    } else if (state === "unavailable") {
      setStatus("Live updates unavailable (" + detail + "): polling every " + args.refresh_seconds + " s.", true);
      report("unavailable", detail);
    }
    document.getElementById("tiles").hidden = reported !== "live";
    resize();
  }

  function onMessage(channel, data) {
    if (channel === "risk_updates" && data.type === "risk_update") {
      applyRisk(data);
    } else if (channel === "forecast_updates" && data.type === "forecast_update") {
      const key = data.asset + "|" + data.horizon;
      const known = forecasts.get(key);
      if (!known || Date.parse(data.ts_event) >= Date.parse(known.ts_event)) {
        forecasts.set(key, data);
        drawForecasts();
      }
    }
    document.body.setAttribute("data-live-updated", String(Date.now()));
    resize();
  }

  function render(received) {
    args = received;
    if (risk === null && args.risk) {
      risk = args.risk;
      drawRisk();
    }
    const target = args.url + "\n" + args.token;
    if (target !== connectedWith) {
      if (connection) { connection.close(); }
      connectedWith = target;
      connection = window.AtsLiveUpdates.connect({
        url: args.url, token: args.token, channels: args.channels,
        onMessage: onMessage, onStatus: onStatus,
      });
    }
    resize();
  }

  window.addEventListener("message", function (event) {
    if (event.data && event.data.type === "streamlit:render") { render(event.data.args); }
  });
  new ResizeObserver(resize).observe(document.body);
  post("streamlit:componentReady", { apiVersion: 1 });
})();
