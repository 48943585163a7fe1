// Orgn from the keyboard: the command palette (Ctrl/Cmd+K), moving through lists (j/k, x,
// Enter), Esc back from a task, `?` for the list of shortcuts, and the phone menu button.
// The older shortcuts (c, a, /, g then a letter, Ctrl/Cmd+J) live in app.js; this file
// listens first (on window, while capturing), so that when the person turned single-key
// shortcuts off in Profile (WCAG 2.1.4) none of them reaches app.js either.
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var FOCUS_KEY = "orgn-focused-task";

  function singleKeysOn() {
    return document.body.getAttribute("data-single-key-shortcuts") !== "off";
  }

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function openDialog() {
    return document.querySelector("dialog[open]");
  }

  // --- Lists: j/k move a visible focus through the rows, x selects, Enter opens ------------

  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll("a[data-task]"), function (a) {
      return a.offsetParent !== null;
    });
  }

  function focusedRow() {
    var active = document.activeElement;
    if (active && active.matches && active.matches("a[data-task]")) return active;
    return document.querySelector("a[data-task].kbd-focus");
  }

  function focusRow(row) {
    Array.prototype.forEach.call(document.querySelectorAll(".kbd-focus"), function (r) {
      r.classList.remove("kbd-focus");
    });
    row.classList.add("kbd-focus");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function moveFocus(step) {
    var all = rows();
    if (!all.length) return false;
    var at = all.indexOf(focusedRow());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(at + step, 0), all.length - 1);
    focusRow(all[next]);
    return true;
  }

  // The bulk-select checkbox of the focused row; clicking it lets app.js count the selection.
  function toggleSelected() {
    var row = focusedRow();
    var holder = row && row.closest(".row-pick");
    var box = holder && holder.querySelector("[data-pick]");
    if (!box) return false;
    box.click();
    return true;
  }

  // After a palette change reloads the page, the row that was focused is focused again.
  function restoreFocus() {
    var ident = null;
    try { ident = sessionStorage.getItem(FOCUS_KEY); sessionStorage.removeItem(FOCUS_KEY); } catch (e) { /* private mode */ }
    if (!ident) return;
    var row = document.querySelector('a[data-task="' + ident.replace(/[^A-Za-z0-9-]/g, "") + '"]');
    if (row) focusRow(row);
  }

  // Esc on a task page: back to where the person came from in this app, else the team's list.
  function goBack() {
    if (!/^\/tasks\/[^/]+$/.test(location.pathname)) return false;
    var ref = document.referrer;
    if (ref && ref.indexOf(location.origin + "/") === 0) {
      var path = ref.slice(location.origin.length).split(/[?#]/)[0];
      if (path !== location.pathname && !/^\/tasks\//.test(path)) { history.back(); return true; }
    }
    var list = document.querySelector(".sidebar .nav.sub a.active");
    if (!list) return false;
    location.href = list.getAttribute("href");
    return true;
  }

  // --- The command palette -------------------------------------------------------------------

  var palette = { task: "", pick: "", seq: 0, timer: 0 };

  function paletteDialog() { return document.getElementById("palette"); }
  function paletteInput() { return document.querySelector("[data-palette-input]"); }
  function paletteList() { return document.querySelector("[data-palette-list]"); }

  // The task whose actions are offered: the open task, else the focused row.
  function currentTask() {
    var m = /^\/tasks\/([A-Za-z0-9]+-[0-9]+)$/.exec(location.pathname);
    if (m) return m[1];
    var row = focusedRow();
    return row ? row.getAttribute("data-task") : "";
  }

  function paletteOpen() {
    var dialog = paletteDialog();
    if (!dialog || typeof dialog.showModal !== "function") return false;
    palette.task = currentTask();
    palette.pick = "";
    var input = paletteInput();
    input.value = "";
    input.placeholder = "Type a task, a page or an action…";
    if (!dialog.open) dialog.showModal();
    input.focus();
    paletteLoad();
    return true;
  }

  function paletteItems() {
    return Array.prototype.slice.call(paletteList().querySelectorAll("[data-palette-item]"));
  }

  function paletteSelect(index) {
    var items = paletteItems();
    var input = paletteInput();
    items.forEach(function (item, i) {
      item.id = "palette-option-" + i;
      item.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (items[index]) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function paletteSelected() {
    var items = paletteItems();
    for (var i = 0; i < items.length; i++) if (items[i].getAttribute("aria-selected") === "true") return i;
    return -1;
  }

  function paletteMessage(text) {
    var list = paletteList();
    list.textContent = "";
    var p = document.createElement("p");
    p.className = "palette-message";
    p.setAttribute("data-palette-message", "");
    p.textContent = text;
    list.appendChild(p);
  }

  // Asks the server for what matches; an answer to an older question is dropped.
  function paletteLoad() {
    clearTimeout(palette.timer);
    var seq = ++palette.seq;
    var params = new URLSearchParams();
    params.set("q", paletteInput().value);
    if (palette.task) params.set("task", palette.task);
    if (palette.pick) params.set("pick", palette.pick);
    fetch("/palette?" + params.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        // Signed out meanwhile: the answer is the sign-in page, not results.
        if (r.redirected) return null;
        return r.status === 200 || r.status === 400 ? r.text() : null;
      })
      .then(function (html) {
        if (seq !== palette.seq) return;
        if (html === null) { paletteMessage("The results could not be loaded: reload the page."); return; }
        paletteList().innerHTML = html;
        paletteSelect(0);
      })
      .catch(function () { if (seq === palette.seq) paletteMessage("The results could not be loaded."); });
  }

  function paletteChoose() {
    var item = paletteItems()[paletteSelected()];
    if (item) item.click();
  }

  function palettePick(field) {
    palette.pick = field;
    var input = paletteInput();
    input.value = "";
    input.placeholder = "Choose a value…";
    input.focus();
    paletteLoad();
  }

  // A value was chosen: post its one field as the task page would, then show the result.
  function paletteSubmit(form) {
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(function (r) {
      if (r.ok) {
        try { if (palette.task && !/^\/tasks\//.test(location.pathname)) sessionStorage.setItem(FOCUS_KEY, palette.task); } catch (e) { /* private mode */ }
        paletteDialog().close();
        location.reload();
        return null;
      }
      return r.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var why = page.querySelector("#form-error, .error-card p");
        paletteMessage(why ? why.textContent.trim() : "That did not work (" + r.status + ").");
      });
    }).catch(function () {
      paletteMessage("The change could not be sent.");
    });
  }

  function paletteKeys(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      var n = paletteItems().length;
      if (!n) return;
      var at = paletteSelected();
      paletteSelect(e.key === "ArrowDown" ? (at + 1) % n : (at - 1 + n) % n);
    } else if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      paletteChoose();
    } else if (e.key === "Escape" && palette.pick) {
      // Out of an action's values, back to everything.
      e.preventDefault();
      palette.pick = "";
      paletteInput().value = "";
      paletteInput().placeholder = "Type a task, a page or an action…";
      paletteLoad();
    }
  }

  // --- Keys ------------------------------------------------------------------------------------

  function modifierOnly(e) {
    return (e.metaKey || e.ctrlKey) && !e.altKey && !e.shiftKey;
  }

  window.addEventListener("keydown", function (e) {
    if (modifierOnly(e) && (e.key === "k" || e.key === "K")) {
      var dialog = paletteDialog();
      if (!dialog) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      if (dialog.open) dialog.close();
      else if (!openDialog()) paletteOpen();
      return;
    }
    if (e.target && e.target.matches && e.target.matches("[data-palette-input]")) {
      paletteKeys(e);
      return;
    }
    if (e.key === "Escape" && !openDialog() && !typing(e.target) && !document.body.classList.contains("ask-open")) {
      if (document.body.classList.contains("menu-open")) { e.preventDefault(); menuToggle(false); return; }
      if (goBack()) e.preventDefault();
      return;
    }
    if (e.metaKey || e.ctrlKey || e.altKey || e.key.length !== 1 || typing(e.target)) return;
    // A printable key alone (Shift allowed, for `?`): a single-key shortcut.
    if (!singleKeysOn()) {
      e.stopImmediatePropagation();
      return;
    }
    if (openDialog()) return;
    var done = false;
    if (e.key === "j") done = moveFocus(1);
    else if (e.key === "k") done = moveFocus(-1);
    else if (e.key === "x") done = toggleSelected();
    else if (e.key === "?") {
      var list = document.getElementById("shortcuts");
      if (list && typeof list.showModal === "function") { list.showModal(); done = true; }
    }
    if (done) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("input", function (e) {
    if (!e.target.matches("[data-palette-input]")) return;
    clearTimeout(palette.timer);
    palette.timer = setTimeout(paletteLoad, DEBOUNCE_MS);
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("[data-palette-form]") || !window.fetch) return;
    e.preventDefault();
    paletteSubmit(form);
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-palette-open]")) {
      menuToggle(false);
      paletteOpen();
      return;
    }
    var pick = e.target.closest("[data-palette-pick]");
    if (pick) {
      e.preventDefault();
      palettePick(pick.getAttribute("data-palette-pick"));
      return;
    }
    var toggle = e.target.closest("[data-menu-toggle]");
    if (toggle) {
      menuToggle(!document.body.classList.contains("menu-open"));
      return;
    }
    // A tap on the dimmed page beside the open menu closes it.
    if (document.body.classList.contains("menu-open") && !e.target.closest(".sidebar")) menuToggle(false);
  });

  document.addEventListener("mousemove", function (e) {
    var item = e.target.closest && e.target.closest("[data-palette-item]");
    if (!item) return;
    var at = paletteItems().indexOf(item);
    if (at >= 0 && at !== paletteSelected()) paletteSelect(at);
  });

  // --- The phone menu ------------------------------------------------------------------------

  function menuToggle(open) {
    document.body.classList.toggle("menu-open", open);
    Array.prototype.forEach.call(document.querySelectorAll("[data-menu-toggle]"), function (b) {
      b.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    restoreFocus();
    if (/Mac|iPhone|iPad/.test(navigator.platform || "")) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-palette-open] kbd"), function (k) { k.textContent = "⌘K"; });
    }
    // A click on the palette's backdrop closes it.
    ["palette", "shortcuts"].forEach(function (id) {
      var d = document.getElementById(id);
      if (d) d.addEventListener("click", function (ev) { if (ev.target === d) d.close(); });
    });
  });
})();
