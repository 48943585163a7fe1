// Orgn: the little the pages need beyond HTML. Every form works without this file:
// dialogs fall back to confirmation pages, the bulk form to plain checkboxes, job pages
// show their state as of the last reload, and Ask Orgn is a page of its own whose answers
// appear once complete.
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function openCreate() {
    var dialog = document.getElementById("create-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      window.location.href = "/tasks/new";
      return;
    }
    if (!dialog.open) dialog.showModal();
    var title = dialog.querySelector("[name=title]");
    if (title) title.focus();
  }

  function copyText(text, button) {
    function done() {
      if (!button) return;
      var before = button.textContent;
      button.textContent = "Copied";
      button.classList.add("copied");
      setTimeout(function () { button.textContent = before; button.classList.remove("copied"); }, 1800);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  var pendingG = 0;

  document.addEventListener("keydown", function (e) {
    if ((e.metaKey || e.ctrlKey) && !e.altKey && (e.key === "j" || e.key === "J")) {
      // Cmd/Ctrl+J opens or closes Ask Orgn, even while typing.
      e.preventDefault();
      askToggle();
      return;
    }
    if (e.key === "Escape" && askIsOpen() && !document.querySelector("dialog[open]")) {
      e.preventDefault();
      askClose();
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.target.matches && e.target.matches("[data-ask-input]")) {
      // Enter asks; Shift+Enter starts a new line.
      e.preventDefault();
      if (e.target.form) e.target.form.requestSubmit();
      return;
    }
    if (e.metaKey || e.ctrlKey || e.altKey) {
      // Cmd/Ctrl+Enter submits the form of the text area being written.
      if ((e.metaKey || e.ctrlKey) && e.key === "Enter" && e.target.form) {
        e.preventDefault();
        e.target.form.requestSubmit();
      }
      return;
    }
    if (typing(e.target) || document.querySelector("dialog[open]")) return;
    if (pendingG && Date.now() - pendingG < 1200) {
      pendingG = 0;
      var to = { n: "/inbox", i: "/my", p: "/projects", d: "/docs", s: "/settings/profile", m: "/settings/mcp" }[e.key];
      if (to) { e.preventDefault(); window.location.href = to; }
      return;
    }
    if (e.key === "c") {
      e.preventDefault();
      openCreate();
    } else if (e.key === "a") {
      e.preventDefault();
      askToggle();
    } else if (e.key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    } else if (e.key === "g") {
      pendingG = Date.now();
    }
  });

  document.addEventListener("click", function (e) {
    var askToggler = e.target.closest("[data-ask-toggle]");
    if (askToggler && askPanel()) {
      e.preventDefault();
      askToggle();
      return;
    }
    if (e.target.closest("[data-ask-close]")) {
      askClose();
      return;
    }
    var askNav = e.target.closest("[data-ask-open]");
    if (askNav && askNav.closest("#ask-panel")) {
      e.preventDefault();
      var h = askNav.closest("details");
      if (h) h.open = false;
      askLoad(askNav.getAttribute("data-ask-open"));
      return;
    }
    var create = e.target.closest("[data-create-task]");
    if (create && document.getElementById("create-dialog")) {
      e.preventDefault();
      openCreate();
      return;
    }
    var close = e.target.closest("[data-close-dialog]");
    if (close) {
      var d = close.closest("dialog");
      if (d) d.close();
      return;
    }
    var opener = e.target.closest("[data-open-dialog]");
    if (opener) {
      var dlg = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dlg && typeof dlg.showModal === "function") {
        e.preventDefault();
        dlg.showModal();
        var first = dlg.querySelector("button[type=submit]");
        if (first) first.focus();
      }
      return;
    }
    var dismiss = e.target.closest("[data-dismiss-toast]");
    if (dismiss) {
      var t = dismiss.closest(".toast");
      if (t) t.remove();
      return;
    }
    var pick = e.target.closest("[data-pick]");
    if (pick) {
      pickClicked(pick, e.shiftKey);
      return;
    }
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source) copyText(source.textContent, copy);
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-autosubmit]") && e.target.form) e.target.form.requestSubmit();
    if (e.target.matches("[data-pick-matching]")) {
      // Every task matching the filter, shown or not: the server finds them again.
      if (e.target.checked) picks().forEach(function (p) { p.checked = true; });
      updateBulk();
    }
    if (e.target.matches("[data-pick-all]")) {
      var on = e.target.checked;
      picks().forEach(function (p) { p.checked = on; });
      if (!on) uncheckMatching();
      updateBulk();
    }
    if (e.target.matches("[data-csv-file]")) readCsv(e.target);
  });

  // --- Bulk selection in the task list: checkboxes, shift-click ranges ------------------

  var lastPick = null;

  function picks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-pick]"));
  }

  function uncheckMatching() {
    var all = document.querySelector("[data-pick-matching]");
    if (all) all.checked = false;
  }

  function pickClicked(box, shift) {
    var list = picks();
    if (shift && lastPick && lastPick !== box && list.indexOf(lastPick) >= 0) {
      var a = list.indexOf(lastPick), b = list.indexOf(box);
      var from = Math.min(a, b), to = Math.max(a, b);
      for (var i = from; i <= to; i++) list[i].checked = box.checked;
    }
    lastPick = box;
    if (!box.checked) uncheckMatching();
    updateBulk();
  }

  function updateBulk() {
    var bar = document.querySelector("[data-bulk]");
    if (!bar) return;
    var list = picks();
    var n = list.filter(function (p) { return p.checked; }).length;
    var all = document.querySelector("[data-pick-matching]");
    var count = document.getElementById("bulk-count");
    var visible = document.querySelector("[data-pick-all]");
    if (visible) {
      visible.checked = n > 0 && n === list.length;
      visible.indeterminate = n > 0 && n < list.length;
    }
    bar.classList.toggle("has-selection", n > 0 || (all && all.checked));
    if (!count) return;
    if (all && all.checked) count.textContent = "All tasks matching the filter";
    else if (n > 0) count.textContent = n + (n === 1 ? " task selected" : " tasks selected");
    else count.textContent = "Tick tasks to change their status";
  }

  // --- Ask Orgn: the panel beside any page, answers streamed as they arrive ----------------
  //
  // The panel's HTML comes from /assistant/panel; a question is posted to /assistant/ask,
  // whose text/event-stream answer carries each event with the HTML to show (rendered and
  // sanitized by the server). Without this script the sidebar link leads to /assistant,
  // where the same forms work as plain posts.

  var ASK_KEY = "orgn.ask.conversation";
  var askLoaded = false;

  function askPanel() { return document.getElementById("ask-panel"); }

  function askIsOpen() {
    var p = askPanel();
    return !!(p && !p.hidden);
  }

  function askStored() {
    try { return sessionStorage.getItem(ASK_KEY) || ""; } catch (err) { return ""; }
  }

  function askRemember(conv) {
    try { sessionStorage.setItem(ASK_KEY, String(conv)); } catch (err) { /* private mode */ }
  }

  function askFocus(root) {
    var input = root && root.querySelector("[data-ask-input]");
    if (input) input.focus();
  }

  function askScroll(root, force) {
    var log = root && root.querySelector("[data-ask-log]");
    if (!log) return;
    if (force || log.scrollHeight - log.scrollTop - log.clientHeight < 120) log.scrollTop = log.scrollHeight;
  }

  function askToggle() {
    // On the assistant's own page, the shortcut goes to its question box.
    var page = document.querySelector(".ask-page [data-ask-root]");
    if (page) { askFocus(page); return; }
    if (askIsOpen()) askClose(); else askOpen();
  }

  function askOpen() {
    var panel = askPanel();
    if (!panel) { window.location.href = "/assistant"; return; }
    panel.hidden = false;
    document.body.classList.add("ask-open");
    var t = document.querySelector("[data-ask-toggle]");
    if (t) t.setAttribute("aria-expanded", "true");
    if (!askLoaded) askLoad(askStored());
    else askFocus(panel);
  }

  function askClose() {
    var panel = askPanel();
    if (!panel) return;
    panel.hidden = true;
    document.body.classList.remove("ask-open");
    var t = document.querySelector("[data-ask-toggle]");
    if (t) t.setAttribute("aria-expanded", "false");
  }

  function askLoad(conv) {
    var panel = askPanel();
    if (!panel) return;
    if (conv) askRemember(conv);
    var url = "/assistant/panel" + (conv ? "?c=" + encodeURIComponent(conv) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (r.redirected && r.url.indexOf("/signin") >= 0) { window.location.href = r.url; return null; }
        if (r.status === 404 && conv) {
          // A conversation that is gone: show the latest instead.
          try { sessionStorage.removeItem(ASK_KEY); } catch (err) { /* ignore */ }
          return fetch("/assistant/panel", { credentials: "same-origin" }).then(function (r2) { return r2.text(); });
        }
        return r.text();
      })
      .then(function (html) {
        if (html === null) return;
        panel.innerHTML = html;
        askLoaded = true;
        var root = panel.querySelector("[data-ask-root]");
        askScroll(root, true);
        askFocus(root);
      })
      .catch(function () {
        panel.textContent = "Ask Orgn could not be loaded. Check the connection and try again.";
      });
  }

  function askElement(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function askFrames(buffer, onFrame) {
    // Splits complete SSE frames off the buffer; returns what is left.
    var parts = buffer.replace(/\r\n/g, "\n").split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (frame) {
      var name = "message", data = [];
      frame.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (!data.length) return;
      var value = null;
      try { value = JSON.parse(data.join("\n")); } catch (err) { return; }
      onFrame(name, value);
    });
    return rest;
  }

  function askSend(form) {
    var root = form.closest("[data-ask-root]");
    var input = form.querySelector("[data-ask-input]");
    var log = root.querySelector("[data-ask-log]");
    var send = form.querySelector("[data-ask-send]");
    var question = input.value.trim();
    if (!question || root.getAttribute("data-busy")) return;
    var body = new URLSearchParams(new FormData(form)).toString();
    var empty = log.querySelector("[data-ask-empty]");
    if (empty) empty.remove();
    var q = askElement("div", "ask-q");
    q.setAttribute("data-entry", "question");
    q.appendChild(askElement("span", "ask-q-text", question));
    log.appendChild(q);
    var thinking = askElement("div", "ask-thinking");
    thinking.setAttribute("data-ask-thinking", "");
    thinking.setAttribute("aria-label", "Ask Orgn is answering");
    for (var i = 0; i < 3; i++) thinking.appendChild(askElement("span"));
    log.appendChild(thinking);
    input.value = "";
    root.setAttribute("data-busy", "true");
    if (send) send.disabled = true;
    askScroll(root, true);

    var current = null;
    var finished = false;
    var fresh = !root.getAttribute("data-conversation");
    function place(html) {
      thinking.insertAdjacentHTML("beforebegin", html);
      askScroll(root);
    }
    function finish() {
      if (finished) return;
      finished = true;
      thinking.remove();
      root.removeAttribute("data-busy");
      root.setAttribute("data-answered", String(Number(root.getAttribute("data-answered") || "0") + 1));
      if (send) send.disabled = false;
      askFocus(root);
      if (fresh && root.getAttribute("data-conversation")) askHistory(root);
    }
    function failed(message) {
      var n = askElement("div", "ask-notice error", message);
      n.setAttribute("data-entry", "error");
      thinking.parentNode.insertBefore(n, thinking);
      finish();
    }
    function onFrame(name, d) {
      if (name === "conversation") {
        root.setAttribute("data-conversation", String(d.id));
        var hidden = form.querySelector("[data-ask-conversation]");
        if (hidden) hidden.value = String(d.id);
        var title = root.querySelector("[data-ask-title]");
        if (title) { title.textContent = d.title; title.title = d.title; }
        if (root.closest("#ask-panel")) askRemember(d.id);
      } else if (name === "text") {
        if (!current) {
          current = askElement("div", "ask-a markdown");
          current.setAttribute("data-entry", "answer");
          current.setAttribute("data-streaming", "");
          thinking.parentNode.insertBefore(current, thinking);
        }
        current.innerHTML = d.html;
        askScroll(root);
      } else if (name === "tool_call" || name === "proposal" || name === "stopped") {
        if (current) current.removeAttribute("data-streaming");
        current = null;
        place(d.html);
      } else if (name === "done") {
        if (current) current.removeAttribute("data-streaming");
        finish();
      } else if (name === "error") {
        failed(d && d.message ? d.message : "The question could not be answered.");
      }
    }

    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "text/event-stream", "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    }).then(function (res) {
      if (!res.ok || !res.body || !window.TextDecoder) {
        failed(res.status === 403 ? "This page has expired: reload it and ask again." : "The question could not be sent (" + res.status + ").");
        return null;
      }
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            askFrames(buffer + decoder.decode() + "\n\n", onFrame);
            if (!finished) failed("The answer was cut off.");
            return null;
          }
          buffer = askFrames(buffer + decoder.decode(chunk.value, { stream: true }), onFrame);
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (!finished) failed("The connection was lost before the answer was complete.");
    });
  }

  // A new conversation joins the history list (taken from the panel as the server shows it).
  function askHistory(root) {
    var conv = root.getAttribute("data-conversation");
    fetch("/assistant/panel?c=" + encodeURIComponent(conv), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var t = document.createElement("template");
        t.innerHTML = html;
        var fresh = t.content.querySelector(".ask-history");
        var head = root.querySelector(".ask-head");
        if (!fresh || !head) return;
        var old = head.querySelector(".ask-history");
        if (old) old.replaceWith(fresh);
        else head.insertBefore(fresh, head.querySelector("[data-ask-new]"));
      })
      .catch(function () { /* the list catches up on the next load */ });
  }

  function askResolve(form) {
    var card = form.closest("[data-proposal]");
    var confirming = /\/confirm$/.test(form.getAttribute("action"));
    var buttons = card ? card.querySelectorAll("button") : [];
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, summary: "That did not work (" + r.status + ")." }; })
        .then(function (j) { return { status: r.status, j: j }; });
    }).then(function (res) {
      if (!card) return;
      var state = res.status >= 400 ? "failed" : confirming ? (res.j.ok ? "confirmed" : "failed") : "canceled";
      card.setAttribute("data-state", state);
      card.className = "ask-proposal " + state;
      var pill = card.querySelector("[data-proposal-state]");
      if (pill) {
        pill.textContent = state;
        pill.className = "pill" + (state === "confirmed" ? " ok" : state === "failed" ? " danger" : "");
      }
      var actions = card.querySelector(".ask-proposal-actions");
      if (actions) actions.remove();
      var out = askElement("p", "ask-proposal-outcome muted small", res.j.summary || "");
      out.setAttribute("data-outcome", "");
      card.appendChild(out);
    }).catch(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!window.fetch || !window.ReadableStream) return;
    if (form.matches("[data-ask-form]")) {
      e.preventDefault();
      askSend(form);
    } else if (form.matches("[data-ask-resolve]")) {
      e.preventDefault();
      askResolve(form);
    }
  });

  // --- CSV import: read the chosen file into the form's text area ------------------------

  function readCsv(input) {
    var target = document.querySelector(input.getAttribute("data-csv-file"));
    var info = document.getElementById("import-file-info");
    var file = input.files && input.files[0];
    if (!target || !file) return;
    var reader = new FileReader();
    reader.onload = function () {
      target.value = String(reader.result);
      var rows = target.value.split("\n").filter(function (l) { return l.trim() !== ""; }).length - 1;
      if (info) info.textContent = file.name + ": " + Math.max(rows, 0) + " lines after the header";
      input.setAttribute("data-loaded", "true");
    };
    reader.onerror = function () { if (info) info.textContent = "The file could not be read."; };
    reader.readAsText(file);
  }

  // --- Live job progress: poll /jobs/{id}.json while a job runs ----------------------------

  function setText(root, sel, text) {
    var el = root.querySelector(sel);
    if (el) el.textContent = text;
    return el;
  }

  function showJob(el, j) {
    el.setAttribute("data-state", j.state);
    var pill = setText(el, "[data-job-state]", j.state);
    if (pill) pill.className = "pill " + j.state;
    var pct = j.percent === null ? 0 : j.percent;
    var fill = el.querySelector("[data-job-fill]");
    if (fill) fill.setAttribute("width", String(pct));
    var bar = el.querySelector("[data-job-bar]");
    if (bar) bar.setAttribute("aria-valuenow", String(pct));
    var p = setText(el, "[data-job-percent]", j.percent === null ? "…" : pct + "%");
    if (p) p.setAttribute("data-percent", String(pct));
    setText(el, "[data-job-count]", j.count);
    setText(el, "[data-job-elapsed]", j.elapsed);
    setText(el, "[data-job-summary]", j.summary);
    var err = setText(el, "[data-job-error]", j.error);
    if (err) err.hidden = !j.error;
    var files = el.querySelector("[data-job-files]");
    if (files && j.files.length && !files.children.length) {
      j.files.forEach(function (f) {
        var a = document.createElement("a");
        a.className = "btn small";
        a.href = f.href;
        a.setAttribute("download", "");
        a.textContent = f.label;
        files.appendChild(a);
      });
    }
    if (j.finished) {
      var cancel = el.querySelector("[data-job-cancel]");
      if (cancel) cancel.remove();
    }
  }

  function pollJob(el) {
    var id = el.getAttribute("data-job");
    fetch("/jobs/" + encodeURIComponent(id) + ".json", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j) return;
        showJob(el, j);
        if (!j.finished) setTimeout(function () { pollJob(el); }, 400);
      })
      .catch(function () { setTimeout(function () { pollJob(el); }, 2000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The page that shows a new token answered a POST: make a reload fetch the page
    // afresh (without the token) instead of posting the form again.
    var replace = document.querySelector("[data-replace-url]");
    if (replace && window.history && history.replaceState) {
      history.replaceState(null, "", replace.getAttribute("data-replace-url"));
    }
    var toast = document.getElementById("toast");
    if (toast) toast.addEventListener("animationend", function (ev) {
      if (ev.animationName === "toast-out") toast.remove();
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (el) { el.hidden = false; });
    var visible = document.querySelector("[data-pick-all]");
    if (visible) visible.hidden = false;
    updateBulk();
    var askPage = document.querySelector(".ask-page [data-ask-root]");
    if (askPage) askScroll(askPage, true);
    Array.prototype.forEach.call(document.querySelectorAll("[data-job]"), function (el) {
      var st = el.getAttribute("data-state");
      if (st === "queued" || st === "running") pollJob(el);
    });
    // Clicking the backdrop of a dialog closes it.
    Array.prototype.forEach.call(document.querySelectorAll("dialog.confirm-dialog"), function (d) {
      d.addEventListener("click", function (ev) { if (ev.target === d) d.close(); });
    });
    // Clicking the backdrop of the create dialog closes it.
    var dialog = document.getElementById("create-dialog");
    if (dialog) dialog.addEventListener("click", function (ev) { if (ev.target === dialog) dialog.close(); });
  });

  // --- Parts swapped in by htmx (see live.js) -------------------------------------------

  // Content swapped in gets what the page's load gave the original (bulk bar, toast).
  document.addEventListener("htmx:afterSettle", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (el) { el.hidden = false; });
    var visible = document.querySelector("[data-pick-all]");
    if (visible) visible.hidden = false;
    updateBulk();
    var toast = document.getElementById("toast");
    if (toast && !toast.getAttribute("data-watched")) {
      toast.setAttribute("data-watched", "1");
      toast.addEventListener("animationend", function (ev) {
        if (ev.animationName === "toast-out") toast.remove();
      });
    }
  });
})();
