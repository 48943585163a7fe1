// Orgn: the little the pages need beyond HTML. Every form works without this file:
// dialogs fall back to confirmation pages, the bulk form to plain checkboxes, and job pages
// show their state as of the last reload.
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
      var to = { i: "/my", p: "/projects", d: "/docs", s: "/settings/profile", m: "/settings/mcp" }[e.key];
      if (to) { e.preventDefault(); window.location.href = to; }
      return;
    }
    if (e.key === "c") {
      e.preventDefault();
      openCreate();
    } else if (e.key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    } else if (e.key === "g") {
      pendingG = Date.now();
    }
  });

  document.addEventListener("click", function (e) {
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
})();
