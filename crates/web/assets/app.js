// Orgn: the little the pages need beyond HTML. Every form works without this file.
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
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source) copyText(source.textContent, copy);
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-autosubmit]") && e.target.form) e.target.form.requestSubmit();
  });

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
    // Clicking the backdrop of the create dialog closes it.
    var dialog = document.getElementById("create-dialog");
    if (dialog) dialog.addEventListener("click", function (ev) { if (ev.target === dialog) dialog.close(); });
  });
})();
