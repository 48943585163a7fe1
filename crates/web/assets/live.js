// Orgn's live pages and edits in place, beside htmx (assets/vendor): htmx posts the small
// forms and swaps the parts the server answers with; its SSE extension refreshes parts when
// /events names their topic. What stays here: keeping what the person is typing when a part
// is refreshed, saying when the stream is down, trimming the list of recent changes, a
// failed request's message, and the board's drag and drop and [ / ] keys. Every form works
// without it (and without htmx) as a plain post.
(function () {
  "use strict";

  // The elements whose requests are under way (their answers swap after this is set).
  var sending = [];
  // With this script running, forms that save themselves hide their Save buttons (.nojs-save).
  document.documentElement.classList.add("js");
  document.addEventListener("htmx:beforeRequest", function (e) { sending.push(e.detail.elt); });
  document.addEventListener("htmx:afterRequest", function (e) {
    var i = sending.indexOf(e.detail.elt);
    if (i >= 0) sending.splice(i, 1);
  });

  // A field whose value differs from the one the page was given, or a text field with focus.
  function typedIn(part) {
    var fields = part.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden") continue;
      if (f.tagName === "SELECT") {
        // With no option marked selected, the page showed the first one.
        var marked = Array.prototype.some.call(f.options, function (o) { return o.defaultSelected; });
        for (var j = 0; j < f.options.length; j++) {
          var shown = marked ? f.options[j].defaultSelected : j === 0;
          if (f.options[j].selected !== shown) return true;
        }
      } else if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    var a = document.activeElement;
    return !!(a && part.contains(a) && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && !/^(checkbox|radio|hidden)$/.test(a.type))));
  }

  // A refreshed part replaces the one on the page unless the person is typing in it; the
  // part holding the form just sent is always replaced (it carries that form's outcome).
  function keepTyping(e) {
    var part = e.detail.target;
    if (!part || sending.some(function (elt) { return part.contains(elt); })) return;
    if (typedIn(part)) e.detail.shouldSwap = false;
  }
  document.addEventListener("htmx:oobBeforeSwap", keepTyping);
  document.addEventListener("htmx:beforeSwap", keepTyping);

  function streamDown(down) {
    var banner = document.getElementById("stream-down");
    if (banner) banner.hidden = !down;
  }
  document.addEventListener("htmx:sseOpen", function () { streamDown(false); });
  document.addEventListener("htmx:sseError", function () { streamDown(true); });
  document.addEventListener("htmx:sseClose", function () { streamDown(true); });

  // A browser opens at most six connections to one HTTP/1.1 server, and a page's stream
  // holds one for as long as it is open. A page left for another (or kept in the
  // back-forward cache) closes its stream at once, so that streams of pages no longer
  // shown never starve the requests of the one that is; a page shown again from that
  // cache loads afresh, to catch up.
  var streams = [];
  if (window.htmx) {
    htmx.createEventSource = function (url) {
      var source = new EventSource(url, { withCredentials: true });
      streams.push(source);
      return source;
    };
  }
  window.addEventListener("pagehide", function () {
    streams.forEach(function (s) { s.close(); });
    streams = [];
  });
  window.addEventListener("pageshow", function (e) { if (e.persisted) window.location.reload(); });

  // A task page's refresh for a version it shows already (the person's own edit, swapped in
  // from its answer) is not made: it would only replace what is there, and the control
  // the person moved on to with it.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var trigger = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var data = trigger && trigger.detail && trigger.detail.data;
    if (typeof data !== "string" || data.charAt(0) !== "v") return;
    var shown = document.querySelector("#task-props input[name=version]");
    if (shown && Number(shown.value) >= Number(data.slice(1))) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  // A list's live refresh is fetched without the action that made its toast (a bulk
  // change's Undo, a deletion's Restore): the toast leaves the part being replaced for the
  // page's body first (it is fixed in place, wherever it sits), so it stays with its forms
  // as they are, even one whose request is on its way. The next answer of an action on the
  // list brings its own toast, and the kept one goes.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var page = document.getElementById("list-page");
    if (!page || e.detail.target !== page) return;
    var elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    if (elt === page) {
      var toast = page.querySelector("#toast");
      if (toast) document.body.appendChild(toast);
    } else {
      Array.prototype.forEach.call(document.querySelectorAll("body > .toast"), function (t) { t.remove(); });
    }
  });

  // The recent changes: the newest few, each leaving after a while.
  var LIVE_KEEP = 4;
  function trimChanges(list) {
    while (list.children.length > LIVE_KEEP) list.removeChild(list.lastElementChild);
    Array.prototype.forEach.call(list.children, function (li) {
      if (li.getAttribute("data-seen")) return;
      li.setAttribute("data-seen", "1");
      setTimeout(function () { if (li.parentNode) li.parentNode.removeChild(li); }, 8000);
    });
  }
  // The stream could not catch this page up (it was away longer than the change feed
  // keeps changes): load it afresh.
  document.addEventListener("sse:reset", function () { window.location.reload(); });

  document.addEventListener("htmx:sseMessage", function () {
    var list = document.getElementById("live-changes");
    if (list) setTimeout(function () { trimChanges(list); }, 0);
  });

  // A request that failed without an answer to show (403, 500, no network): say so in place.
  function requestFailed(e, text) {
    var elt = e.detail.elt;
    var at = (elt && elt.closest && elt.closest("form")) || elt;
    if (!at || !at.appendChild) return;
    var old = at.querySelector(".field-error[data-request-error]");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "field-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-request-error", "");
    p.textContent = text;
    at.appendChild(p);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var st = e.detail.xhr ? e.detail.xhr.status : 0;
    requestFailed(e, st === 403 ? "Not saved: this page has expired. Reload it and try again." : "Not saved (" + st + "). Try again.");
  });
  document.addEventListener("htmx:sendError", function (e) {
    requestFailed(e, "Not saved: the server could not be reached. Try again.");
  });

  // The board: drop a card on a column, or press [ / ] on a focused card, to move it.
  var dragged = null;

  function moveCard(ident, status) {
    var form = document.getElementById("board-move");
    if (!form || !ident || !status) return;
    form.querySelector("[name=task]").value = ident;
    form.querySelector("[name=status]").value = status;
    form.requestSubmit();
  }

  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".card-task[data-task]");
    if (!card) return;
    dragged = card.getAttribute("data-task");
    if (e.dataTransfer) {
      e.dataTransfer.setData("text/plain", dragged);
      e.dataTransfer.effectAllowed = "move";
    }
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function (e) {
    var card = e.target.closest && e.target.closest(".card-task");
    if (card) card.classList.remove("dragging");
    Array.prototype.forEach.call(document.querySelectorAll(".column.drop-here"), function (c) { c.classList.remove("drop-here"); });
  });
  document.addEventListener("dragover", function (e) {
    var col = e.target.closest && e.target.closest(".board .column[data-status]");
    if (!col || !dragged) return;
    e.preventDefault();
    col.classList.add("drop-here");
  });
  document.addEventListener("dragleave", function (e) {
    var col = e.target.closest && e.target.closest(".board .column");
    if (col && !col.contains(e.relatedTarget)) col.classList.remove("drop-here");
  });
  document.addEventListener("drop", function (e) {
    var col = e.target.closest && e.target.closest(".board .column[data-status]");
    if (!col) return;
    e.preventDefault();
    var ident = (e.dataTransfer && e.dataTransfer.getData("text/plain")) || dragged;
    dragged = null;
    col.classList.remove("drop-here");
    var card = document.querySelector(".card-task[data-task='" + ident + "']");
    if (card && card.closest(".column") === col) return;
    moveCard(ident, col.getAttribute("data-status"));
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "[" && e.key !== "]") return;
    var card = e.target.closest && e.target.closest(".card-task[data-task]");
    if (!card || e.metaKey || e.ctrlKey || e.altKey) return;
    var cols = Array.prototype.slice.call(document.querySelectorAll(".board .column[data-status]"));
    var at = cols.indexOf(card.closest(".column"));
    var to = cols[at + (e.key === "]" ? 1 : -1)];
    if (at < 0 || !to) return;
    e.preventDefault();
    moveCard(card.getAttribute("data-task"), to.getAttribute("data-status"));
  });
  // @mentions: after "@" in a comment or description, the server's suggestions (GET
  // /mentions, the team's members) under the field; arrows choose, Enter or Tab or a click
  // inserts "@handle ", Esc closes. The team is the form's (New task) or the open task's.
  var mention = { field: null, start: -1, menu: null, timer: null };
  function mentionTeam(field) {
    var chosen = field.form && field.form.querySelector("[name=team]");
    if (chosen && chosen.value) return chosen.value;
    var ident = document.getElementById("task-ident");
    return ident ? ident.textContent.trim().split("-")[0] : "";
  }
  function closeMentions() {
    if (mention.menu) mention.menu.remove();
    mention.menu = null;
    mention.field = null;
  }
  function typedMention(field) {
    var before = field.value.slice(0, field.selectionStart);
    var m = /(^|[^\w.@\/-])@([a-z0-9._-]{0,32})$/i.exec(before);
    return m ? { start: before.length - m[2].length - 1, text: m[2] } : null;
  }
  function insertMention(handle) {
    var f = mention.field, end = f.selectionStart;
    f.value = f.value.slice(0, mention.start) + "@" + handle + " " + f.value.slice(end);
    var at = mention.start + handle.length + 2;
    f.setSelectionRange(at, at);
    f.focus();
    closeMentions();
  }
  function showMentions(field, typed) {
    var team = mentionTeam(field);
    if (!team) return;
    var url = "/mentions?team=" + encodeURIComponent(team) + "&q=" + encodeURIComponent(typed.text);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
      if (document.activeElement !== field) return;
      if (mention.menu) mention.menu.remove();
      mention.menu = null;
      if (!html.trim()) return;
      var holder = document.createElement("div");
      holder.innerHTML = html;
      mention.menu = holder.firstElementChild;
      mention.field = field;
      mention.start = typed.start;
      field.insertAdjacentElement("afterend", mention.menu);
    });
  }
  document.addEventListener("input", function (e) {
    var field = e.target;
    if (field.tagName !== "TEXTAREA") return;
    var typed = typedMention(field);
    clearTimeout(mention.timer);
    if (!typed) { closeMentions(); return; }
    mention.timer = setTimeout(function () { showMentions(field, typed); }, 120);
  });
  document.addEventListener("keydown", function (e) {
    if (!mention.menu || e.target !== mention.field) return;
    var items = Array.prototype.slice.call(mention.menu.querySelectorAll("[data-handle]"));
    var at = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      var next = (at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === next ? "true" : "false"); });
    } else if ((e.key === "Enter" || e.key === "Tab") && at >= 0) {
      insertMention(items[at].getAttribute("data-handle"));
    } else if (e.key === "Escape") {
      closeMentions();
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  }, true);
  document.addEventListener("mousedown", function (e) {
    var li = e.target.closest && e.target.closest(".mention-menu [data-handle]");
    if (!li || !mention.field) return;
    e.preventDefault();
    insertMention(li.getAttribute("data-handle"));
  });
})();
