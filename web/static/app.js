// Ruche: small enhancements. Every page works without this script.
(function () {
  "use strict";

  // Move focus to an error summary, so screen readers announce it and the
  // keyboard starts next to the problem.
  var summary = document.querySelector("[data-focus]");
  if (summary) summary.focus();

  // Copy buttons next to links and addresses shown once.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.tagName === "INPUT" ? target.value : target.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  // Ask before destructive actions.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // A forms is sent once: a second click while the first is on its way would
  // post it twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });

  // Show times in the reader's own time zone and language.
  var lang = document.documentElement.lang || undefined;
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d)) return;
    el.textContent = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(d);
  });

  // The account menu closes when one clicks elsewhere or presses Escape.
  document.querySelectorAll("details[data-menu]").forEach(function (menu) {
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });

  // "Older posts" loads the next page into the list instead of leaving it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-more]");
    if (!link) return;
    var list = document.querySelector("[data-feed]");
    if (!list || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin" }).then(function (res) {
      if (!res.ok) throw new Error(res.status);
      return res.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var items = doc.querySelectorAll("[data-feed] > li");
      var first = null;
      items.forEach(function (li) {
        var node = document.importNode(li, true);
        list.appendChild(node);
        if (!first) first = node;
      });
      var next = doc.querySelector("a[data-more]");
      if (next) {
        link.href = next.getAttribute("href");
        link.removeAttribute("aria-busy");
      } else {
        link.parentNode.remove();
      }
      if (first) {
        var target = first.querySelector("a[href]");
        if (target) target.focus();
      }
    }).catch(function () { window.location = link.href; });
  });

  // The visibility of the space chosen in a composer, said in words.
  document.querySelectorAll("[data-visibility-select]").forEach(function (select) {
    var note = select.form.querySelector("[data-visibility-note] span");
    if (!note) return;
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option) note.textContent = option.getAttribute("data-note");
    });
  });

  // Live preview: the text as it will be published, rendered by the node.
  document.querySelectorAll("textarea[data-preview-source]").forEach(function (area) {
    var target = document.getElementById(area.getAttribute("data-preview-source"));
    var csrf = area.form && area.form.querySelector("input[name=csrf]");
    if (!target || !csrf || !window.fetch) return;
    var timer = null, last = null;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = area.value;
        if (text === last) return;
        last = text;
        if (!text.trim()) { target.hidden = true; target.innerHTML = ""; return; }
        var body = new URLSearchParams();
        body.set("csrf", csrf.value);
        body.set("body", text);
        fetch("/preview", { method: "POST", credentials: "same-origin", body: body }).then(function (res) {
          return res.ok ? res.text() : null;
        }).then(function (html) {
          if (html === null || area.value !== text) return;
          target.innerHTML = html; // sanitised by the node, as every published post
          target.hidden = false;
        }).catch(function () {});
      }, 400);
    });
  });

  // An article's languages as tabs: one panel shown at a time.
  document.querySelectorAll("[data-tabs]").forEach(function (box) {
    var panels = Array.prototype.slice.call(box.querySelectorAll("[data-tab]"));
    if (panels.length < 2) return;
    var list = document.createElement("div");
    list.className = "lang-tablist";
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", box.getAttribute("data-tabs-label"));
    var tabs = panels.map(function (panel, i) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = panel.id + "-tab";
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", panel.id);
      tab.setAttribute("lang", panel.getAttribute("data-lang"));
      tab.textContent = panel.getAttribute("data-tab");
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        var next = event.key === "ArrowRight" ? i + 1 : event.key === "ArrowLeft" ? i - 1 : null;
        if (next === null) return;
        event.preventDefault();
        select((next + panels.length) % panels.length, true);
      });
      list.appendChild(tab);
      return tab;
    });
    function mark() {
      panels.forEach(function (panel, i) {
        var filled = Array.prototype.some.call(panel.querySelectorAll("input, textarea"), function (f) { return f.value.trim() !== ""; });
        var dot = tabs[i].querySelector(".tab-dot");
        if (filled && !dot) {
          dot = document.createElement("span");
          dot.className = "tab-dot";
          dot.setAttribute("aria-hidden", "true");
          tabs[i].appendChild(dot);
        } else if (!filled && dot) dot.remove();
      });
    }
    function select(index, focus) {
      panels.forEach(function (panel, i) {
        panel.hidden = i !== index;
        tabs[i].setAttribute("aria-selected", i === index ? "true" : "false");
        tabs[i].tabIndex = i === index ? 0 : -1;
      });
      if (focus) tabs[index].focus();
    }
    box.insertBefore(list, box.firstChild);
    box.classList.add("lang-panels--tabs");
    box.addEventListener("input", mark);
    mark();
    // Open the tab with an error, else the first.
    var start = panels.findIndex(function (p) { return p.querySelector("[aria-invalid=true]"); });
    select(start < 0 ? 0 : start, false);
    // The main language's tab says so.
    var main = document.querySelector("[data-main-language]");
    if (main) main.addEventListener("change", function () {
      panels.forEach(function (panel) {
        var role = panel.querySelector(".lang-panel__role");
        if (role) role.textContent = role.getAttribute(panel.getAttribute("data-lang") === main.value ? "data-role-main" : "data-role-other");
      });
    });
  });

  // Files chosen in a composer are named next to the button.
  document.querySelectorAll(".file-pick + input[type=file]").forEach(function (input) {
    var hint = input.parentNode.querySelector(".field__hint");
    var names = document.createElement("span");
    names.className = "file-names";
    names.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(names);
    input.addEventListener("change", function () {
      names.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      if (hint) hint.hidden = input.files.length > 0;
    });
  });

  // Forms with files show how far the upload is. The form is the same;
  // only its sending changes, so that the bar can move.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var box = form.querySelector(".upload-progress");
    if (!box || !window.FormData || !window.XMLHttpRequest) return;
    var bar = box.querySelector("progress"), label = box.querySelector(".upload-progress__label");
    var template = form.getAttribute("data-progress");
    form.addEventListener("submit", function (event) {
      var hasFile = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (f) { return f.files.length > 0; });
      if (!hasFile || event.defaultPrevented) return;
      event.preventDefault();
      var data = event.submitter ? new FormData(form, event.submitter) : new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      box.hidden = false;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.round(e.loaded / e.total * 100);
        bar.value = percent;
        label.textContent = template.replace("{percent}", percent);
      });
      // The answer (the published post, or the form with its errors) replaces
      // the page, as a normal submission would.
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (xhr.responseURL) history.replaceState(null, "", xhr.responseURL);
      });
      xhr.addEventListener("error", function () { delete form.dataset.sent; form.submit(); });
      xhr.send(data);
    });
  });
})();
