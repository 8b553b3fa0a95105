/*
 * Aftercare chat widget. Plain JavaScript, no build step, no third-party code.
 *
 *   <script src="https://HOST/webhooks/web/widget.js" data-clinic="glow" async></script>
 *
 * A personal link (…#t=TOKEN) is read from the address, removed from it, and kept in
 * localStorage with the conversation. The server decides who the conversation belongs
 * to from that token (or from the anonymous session token it issued); the widget never
 * names a sender. Every message is put on screen with textContent, never as HTML.
 * The widget lives in a shadow root, so the clinic's CSS and ours leave each other alone.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[src*="/webhooks/web/widget.js"][data-clinic]');
  if (!script) return;
  var slug = script.getAttribute("data-clinic") || "";
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(slug)) {
    console.warn("aftercare widget: data-clinic must be a clinic slug such as \"glow\"");
    return;
  }
  var registry = (window.__aftercareWidgets = window.__aftercareWidgets || {});
  if (registry[slug]) return; // the tag was pasted twice
  registry[slug] = true;

  var BASE = new URL(".", script.src).href; // …/webhooks/web/
  var STORE_KEY = "aftercare:" + slug;
  var MAX_CHARS = 1000; // the server refuses longer messages (bot/channels/web.py)
  var MAX_HISTORY = 200;
  var TIMEOUT_MS = 45000;
  var DEFAULT_COLOR = "#0f766e";
  var POLL_MS = 3000; // how often an open chat asks whether the clinic's staff wrote

  // State kept across reloads

  var memoryStore = {};
  function loadState() {
    var raw = null;
    try { raw = window.localStorage.getItem(STORE_KEY); } catch (e) { raw = memoryStore[STORE_KEY]; }
    var state = null;
    try { state = raw ? JSON.parse(raw) : null; } catch (e) { state = null; }
    if (!state || state.v !== 1) state = { v: 1 };
    state.history = Array.isArray(state.history) ? state.history : [];
    state.history.forEach(function (m) { delete m.pending; }); // a reload mid-request
    return state;
  }
  function saveState() {
    state.history = state.history.slice(-MAX_HISTORY);
    var raw = JSON.stringify(state);
    try { window.localStorage.setItem(STORE_KEY, raw); } catch (e) { memoryStore[STORE_KEY] = raw; }
  }

  var state = loadState();

  // A personal link: take the token from the fragment, then drop it from the address bar
  // (and so from bookmarks, screenshots and the browser history).
  function takeLinkToken() {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) return false;
    var params = new URLSearchParams(hash);
    var token = params.get("t");
    if (!token) return false;
    params.delete("t");
    var rest = params.toString();
    var clean = window.location.pathname + window.location.search + (rest ? "#" + rest : "");
    try { window.history.replaceState(window.history.state, "", clean); } catch (e) { /* file:// */ }
    if (token !== state.token) {
      // Another person's link on this browser: their conversation is not this one.
      state = { v: 1, token: token, history: [], clinic: state.clinic };
    }
    state.open = true;
    saveState();
    return true;
  }
  takeLinkToken();

  // DOM helpers: elements only, text only through textContent.

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function bubbleIcon() {
    // Drawn, not an emoji: no font on the visitor's device is needed for it.
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    [["viewBox", "0 0 24 24"], ["width", "20"], ["height", "20"], ["aria-hidden", "true"], ["focusable", "false"]]
      .forEach(function (pair) { svg.setAttribute(pair[0], pair[1]); });
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  var CSS = [
    ":host { all: initial; }",
    ".root { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2933; }",
    ".sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }",
    ".launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; align-items: center; gap: 8px;",
    "  min-height: 48px; padding: 0 18px; border: 0; border-radius: 24px; background: var(--brand); color: var(--on-brand);",
    "  font: 600 15px/1 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; box-shadow: 0 4px 14px rgba(0,0,0,.25); cursor: pointer; }",
    ".launcher[hidden], .panel[hidden], .alert[hidden] { display: none; }",
    "button:focus-visible, textarea:focus-visible, .log:focus-visible, a:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }",
    ".panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483001; width: 380px; height: min(620px, calc(100vh - 32px));",
    "  display: flex; flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden; box-shadow: 0 10px 40px rgba(0,0,0,.3); }",
    ".head { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 12px 12px 12px 16px; background: var(--brand); color: var(--on-brand); }",
    ".head h2 { margin: 0; font-size: 17px; font-weight: 650; }",
    ".head p { margin: 2px 0 0; font-size: 13px; opacity: .9; }",
    ".close { flex: none; width: 44px; height: 44px; border: 0; border-radius: 22px; background: transparent; color: inherit; font-size: 26px; line-height: 1; cursor: pointer; }",
    ".log { flex: 1; overflow-y: auto; padding: 14px 12px; display: flex; flex-direction: column; gap: 8px; background: #f7f7f5; overscroll-behavior: contain; }",
    ".msg { max-width: 85%; padding: 9px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg.bot { align-self: flex-start; background: #fff; border: 1px solid #e3e3e0; border-bottom-left-radius: 4px; }",
    ".msg.user { align-self: flex-end; background: var(--brand); color: var(--on-brand); border-bottom-right-radius: 4px; }",
    ".msg.system { align-self: stretch; max-width: none; background: #fff7e6; border: 1px solid #f3d19c; font-size: 14px; }",
    ".msg.failed { opacity: .7; }",
    ".msg.staff { align-self: flex-start; background: #fff; border: 2px solid var(--brand); border-bottom-left-radius: 4px; }",
    ".msg .from { display: block; font-size: 12px; font-weight: 700; color: #374151; margin-bottom: 2px; }",
    ".msg .state { display: block; font-size: 12px; margin-top: 2px; }",
    ".typing { min-height: 20px; padding: 0 14px 4px; font-size: 13px; color: #52606d; background: #f7f7f5; }",
    ".alert { margin: 0; padding: 10px 14px; background: #fdecea; color: #7a1c12; font-size: 14px; border-top: 1px solid #f5c2bb; }",
    ".alert a { color: inherit; font-weight: 650; }",
    ".compose { display: flex; gap: 8px; align-items: flex-end; padding: 10px; border-top: 1px solid #e3e3e0; background: #fff; }",
    ".compose textarea { flex: 1; min-height: 44px; max-height: 120px; box-sizing: border-box; resize: none; padding: 11px 12px; border: 1px solid #b8b8b3;",
    "  border-radius: 10px; font: 16px/1.35 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: inherit; }",
    ".send { flex: none; min-width: 64px; height: 44px; padding: 0 14px; border: 0; border-radius: 10px; background: var(--brand); color: var(--on-brand); font-weight: 650; font-size: 15px; cursor: pointer; }",
    ".send[aria-disabled='true'] { opacity: .6; cursor: default; }",
    ".hint { margin: 0; padding: 0 12px 8px; font-size: 12px; color: #52606d; background: #fff; }",
    ".hint.over { color: #b42318; font-weight: 650; }",
    // Phone first: on a narrow screen the chat takes the whole screen.
    "@media (max-width: 520px) {",
    "  .panel { inset: 0; right: 0; bottom: 0; width: 100%; height: 100%; height: 100dvh; border-radius: 0; }",
    "  .launcher { right: 12px; bottom: 12px; }",
    "}",
    "@media (prefers-reduced-motion: no-preference) { .typing:not(:empty)::after { content: ''; display: inline-block; width: 1em; animation: dots 1.2s steps(4) infinite; } }",
    "@keyframes dots { 0% { content: ''; } 25% { content: '.'; } 50% { content: '..'; } 75% { content: '...'; } }"
  ].join("\n");

  // Build the widget

  var host = el("div", { id: "aftercare-widget-" + slug, "data-aftercare-widget": slug });
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var ids = { panel: "ac-panel", title: "ac-title", sub: "ac-sub", input: "ac-input", hint: "ac-hint" };

  var launcherText = el("span", { text: "Aftercare chat" });
  var launcher = el("button", {
    type: "button", "class": "launcher", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": ids.panel
  }, [bubbleIcon(), launcherText]);

  var title = el("h2", { id: ids.title, text: "Aftercare chat" });
  var subtitle = el("p", { id: ids.sub, text: "Questions after your treatment" });
  var closeButton = el("button", { type: "button", "class": "close", "aria-label": "Close chat" },
    [el("span", { "aria-hidden": "true", text: "\u00D7" })]);
  var log = el("div", {
    "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "0"
  });
  var typing = el("div", { "class": "typing", role: "status", "aria-live": "polite" });
  var alertBox = el("p", { "class": "alert", role: "alert", hidden: "" });
  var input = el("textarea", {
    id: ids.input, rows: "1", autocomplete: "off", enterkeyhint: "send", "aria-describedby": ids.hint,
    placeholder: "Type your question\u2026"
  });
  var hint = el("p", { id: ids.hint, "class": "hint", text: "Enter to send, Shift+Enter for a new line." });
  var sendButton = el("button", { type: "submit", "class": "send", "aria-label": "Send message" }, [el("span", { text: "Send" })]);
  var form = el("form", { "class": "compose", "aria-label": "Write a message" }, [
    el("label", { "for": ids.input, "class": "sr", text: "Your message" }), input, sendButton
  ]);
  var panel = el("div", {
    id: ids.panel, "class": "panel", role: "dialog", "aria-modal": "true", "aria-labelledby": ids.title,
    "aria-describedby": ids.sub, hidden: ""
  }, [
    el("div", { "class": "head" }, [el("div", {}, [title, subtitle]), closeButton]),
    log, typing, alertBox, form, hint
  ]);
  var root = el("div", { "class": "root" }, [launcher, panel]);
  shadow.appendChild(el("style", { text: CSS }));
  shadow.appendChild(root);

  // The clinic: name, colour, phone

  function clinicName() { return (state.clinic && state.clinic.name) || "your clinic"; }

  function readableOn(hex) {
    // White text unless the colour is light (WCAG relative luminance).
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return (1.05 / (luminance + 0.05)) >= 4.5 ? "#ffffff" : "#111111";
  }

  function applyClinic() {
    var color = state.clinic && /^#[0-9a-fA-F]{6}$/.test(state.clinic.color) ? state.clinic.color : DEFAULT_COLOR;
    root.style.setProperty("--brand", color);
    root.style.setProperty("--on-brand", readableOn(color));
    title.textContent = state.clinic ? state.clinic.name : "Aftercare chat";
    subtitle.textContent = "Aftercare assistant \u00B7 questions after your treatment";
    launcherText.textContent = "Aftercare chat";
    launcher.setAttribute("aria-label", "Open the aftercare chat with " + clinicName());
  }
  applyClinic();

  function loadClinic() {
    return request("GET", "clinic?clinic=" + encodeURIComponent(slug)).then(function (card) {
      state.clinic = {
        name: String(card.name || ""), color: String(card.color || ""),
        phone: String(card.phone || ""), phone_e164: String(card.phone_e164 || "")
      };
      saveState();
      applyClinic();
    });
  }

  // Talking to the server

  function ServerError(status, body) { this.status = status; this.body = body || {}; }

  function request(method, path, data) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    var options = { method: method, credentials: "omit", mode: "cors", cache: "no-store" };
    if (controller) options.signal = controller.signal;
    if (data !== undefined) {
      // text/plain keeps this a simple cross-origin request (no preflight); it is JSON.
      options.headers = { "Content-Type": "text/plain;charset=UTF-8" };
      options.body = JSON.stringify(data);
    }
    return fetch(BASE + path, options).then(function (res) {
      if (timer) clearTimeout(timer);
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) throw new ServerError(res.status, body);
        return body;
      });
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  function credentials() {
    return { clinic: slug, token: state.token || null, session: state.session || null };
  }

  var LINK_NOTICES = {
    expired: "Your personal link has expired, so I can't see your treatment details. I can still give general guidance, or ask {clinic} for a new link.",
    revoked: "This personal link is no longer active, so I can't see your treatment details. I can still give general guidance, or ask {clinic} for a new link.",
    invalid: "This link isn't valid, so I can't see your treatment details. I can still give general guidance."
  };

  // What the server decided about who this is; called with every answer.
  function adopt(body) {
    if (body.session) state.session = body.session;
    if (body.mode === "anonymous" && state.token) {
      // The link was refused (expired, revoked, forged): forget it, and forget what was
      // said under it, so nothing personal stays on a screen the link no longer opens.
      var wasPersonal = state.mode === "client";
      state.token = null;
      if (wasPersonal) {
        state.history = state.history.filter(function (m) { return m.who === "user" && m.pending; });
        renderHistory();
      }
      var notice = LINK_NOTICES[body.notice] || LINK_NOTICES.invalid;
      addMessage("system", notice.replace("{clinic}", clinicName()));
    }
    state.mode = body.mode === "client" ? "client" : "anonymous";
    saveState();
  }

  function showUnreachable() {
    alertBox.textContent = "";
    var phone = state.clinic && state.clinic.phone;
    var e164 = state.clinic && state.clinic.phone_e164;
    alertBox.appendChild(document.createTextNode(
      "Sorry, the assistant can't be reached right now. Please try again in a moment" +
      (phone ? ", or call " + clinicName() + " at " : ", or call your clinic.")));
    if (phone) {
      var call = el("a", { text: phone });
      if (/^\+[0-9]{7,15}$/.test(e164 || "")) call.setAttribute("href", "tel:" + e164);
      alertBox.appendChild(call);
      alertBox.appendChild(document.createTextNode(". If something feels wrong, don't wait: call now."));
    }
    alertBox.hidden = false;
  }

  function showProblem(text) {
    alertBox.textContent = text;
    alertBox.hidden = false;
  }

  function clearAlert() { alertBox.hidden = true; alertBox.textContent = ""; }

  var sessionStarted = false;
  function startSession() {
    if (sessionStarted) return Promise.resolve();
    return request("POST", "session", credentials()).then(function (body) {
      sessionStarted = true;
      clearAlert();
      adopt(body);
    }, failed);
  }

  // What the clinic's staff write (and notices: a person joined, the assistant is back)
  // reaches a client who opened their personal link without a reload.
  var pollTimer = null;
  function poll() {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    if (state.mode !== "client" || panel.hidden) return;
    var after = typeof state.last === "number" ? state.last : null;
    request("POST", "updates", Object.assign({ after: after }, credentials())).then(function (body) {
      if (body.mode !== "client") { adopt(body); return; }
      (body.messages || []).forEach(function (m) {
        if (!m || typeof m.text !== "string") return;
        if (m.kind === "staff") addMessage("staff", m.text, { from: typeof m.from === "string" ? m.from : "" });
        else addMessage("system", m.text);
      });
      if (typeof body.last === "number") { state.last = body.last; saveState(); }
      pollTimer = setTimeout(poll, POLL_MS);
    }, function () { pollTimer = setTimeout(poll, POLL_MS * 3); });
  }

  function failed(error) {
    if (error instanceof ServerError && error.status < 500) {
      showProblem(error.body.message || "Sorry, that didn't work.");
    } else {
      showUnreachable();
    }
  }

  // The conversation on screen

  function messageNode(entry) {
    var who = ["user", "system", "staff"].indexOf(entry.who) >= 0 ? entry.who : "bot";
    var speaker = who === "user" ? "You" : who === "system" ? "Note" : clinicName();
    // A staff member's reply is labelled with their first name, visibly.
    var label = who === "staff"
      ? el("span", { "class": "from", text: String(entry.from || "Staff") + ", " + clinicName() })
      : el("span", { "class": "sr", text: speaker + ": " });
    var node = el("div", { "class": "msg " + who + (entry.failed ? " failed" : "") }, [
      label,
      el("span", { "class": "text", text: String(entry.text) })
    ]);
    if (entry.failed) node.appendChild(el("span", { "class": "state", text: "Not sent" }));
    return node;
  }

  function welcome() {
    return {
      who: "bot",
      text: "Hi! I'm " + clinicName() + "'s aftercare assistant. Ask me about makeup, sun, skincare, " +
        "or how your skin is healing." +
        (state.clinic && state.clinic.phone ? " If something feels wrong, call " + state.clinic.phone + "." : "")
    };
  }

  function renderHistory() {
    log.textContent = "";
    log.appendChild(messageNode(welcome()));
    state.history.forEach(function (entry) { log.appendChild(messageNode(entry)); });
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(who, text, extra) {
    var entry = { who: who, text: String(text) };
    Object.keys(extra || {}).forEach(function (k) { entry[k] = extra[k]; });
    state.history.push(entry);
    log.appendChild(messageNode(entry));
    log.scrollTop = log.scrollHeight;
    saveState();
    return entry;
  }

  var busy = false;
  function setBusy(on) {
    busy = on;
    typing.textContent = on ? clinicName() + " is typing\u2026" : "";
    log.setAttribute("aria-busy", on ? "true" : "false");
    sendButton.setAttribute("aria-disabled", on ? "true" : "false");
  }

  function send(text) {
    var entry = addMessage("user", text, { pending: true });
    setBusy(true);
    clearAlert();
    var done = function () { delete entry.pending; setBusy(false); saveState(); };
    return request("POST", "webhook", Object.assign({ message: text }, credentials())).then(function (body) {
      sessionStarted = true;
      adopt(body);
      done();
      (body.messages || []).forEach(function (m) {
        if (m && typeof m.text === "string") addMessage("bot", m.text);
      });
    }, function (error) {
      entry.failed = true;
      done();
      renderHistory();
      if (!input.value) input.value = text; // easy to send again
      failed(error);
    });
  }

  function updateHint() {
    var length = input.value.length;
    var over = length > MAX_CHARS;
    hint.classList.toggle("over", over);
    hint.textContent = over
      ? "Your message is " + length + " characters; the limit is " + MAX_CHARS + ". Please shorten it."
      : length > MAX_CHARS - 100
        ? (MAX_CHARS - length) + " characters left."
        : "Enter to send, Shift+Enter for a new line.";
    input.setAttribute("aria-invalid", over ? "true" : "false");
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    if (text.length > MAX_CHARS) { updateHint(); input.focus(); return; }
    input.value = "";
    updateHint();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", updateHint);

  // Opening and closing; the open panel is a modal dialog (focus stays inside, Esc closes).

  function focusables() {
    return [closeButton, log, input, sendButton];
  }

  function openPanel(focus) {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    state.open = true;
    saveState();
    renderHistory();
    if (focus !== false) input.focus();
    if (!state.clinic) loadClinic().then(renderHistory, function () { /* shown on first send */ });
    startSession().then(poll);
  }

  function closePanel() {
    panel.hidden = true;
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    saveState();
    launcher.focus();
  }

  launcher.addEventListener("click", function () { openPanel(); });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    } else if (event.key === "Tab") {
      var items = focusables();
      var current = shadow.activeElement;
      var index = items.indexOf(current);
      var next = event.shiftKey ? index - 1 : index + 1;
      if (index === -1 || next < 0 || next >= items.length) {
        event.preventDefault();
        items[(next + items.length) % items.length].focus();
      }
    }
  });

  window.addEventListener("hashchange", function () {
    if (takeLinkToken()) { sessionStarted = false; openPanel(); }
  });

  function mount() {
    document.body.appendChild(host);
    loadClinic().then(function () { if (!panel.hidden) renderHistory(); }, function () { /* offline: cached card */ });
    if (state.open) openPanel();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
