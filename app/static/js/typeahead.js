/* Typeahead for the directory search box.
 *
 * Turns every <input data-typeahead data-suggest-url="..."> into a WAI-ARIA 1.2 combobox
 * with a grouped listbox (providers, specialties, clinics). Without JavaScript the input
 * stays a plain form field. Nothing here uses innerHTML: suggestion text is always text.
 *
 * Choosing a provider or a clinic opens its page. Choosing a condition or a specialty
 * fills the box and, when the form's Location is empty, moves focus there instead of
 * searching at once; the search (Enter or the Search button) then runs the chosen
 * suggestion's own search, with the place added.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var GROUPS = [
    ["providers", "Providers"],
    ["conditions", "Conditions"],
    ["specialties", "Specialties"],
    ["clinics", "Clinics"]
  ];
  /* The page's words for this script: a JSON object in the input's data-i18n attribute,
     keyed by the English text (the server translates them with the page). */
  var WORDS = {};

  function t(text) {
    return Object.prototype.hasOwnProperty.call(WORDS, text) ? WORDS[text] : text;
  }

  function fill(text, values) {
    return t(text).replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  var counter = 0;

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function words(text) {
    return fold(text).split(/[^0-9a-z]+/).filter(Boolean);
  }

  /* Append ``text`` to ``parent``, wrapping words that start with a typed word in <mark>. */
  function appendHighlighted(parent, text, typed) {
    var parts = String(text || "").split(/(\s+)/);
    parts.forEach(function (part) {
      var key = fold(part).replace(/[^0-9a-z]/g, "");
      var hit = key && typed.some(function (t) { return key.indexOf(t) === 0; });
      if (hit) {
        var mark = document.createElement("mark");
        mark.textContent = part;
        parent.appendChild(mark);
      } else {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function subText(group, item) {
    if (group === "providers") return item.specialty || "";
    if (group === "clinics") return item.city || "";
    if (group === "conditions" && item.specialties && item.specialties.length) {
      return "→ " + item.specialties.join(", ");
    }
    if (group === "specialties" && item.matched && fold(item.matched) !== fold(item.name)) {
      return fill("Matches “%(words)s”", { words: item.matched });
    }
    return "";
  }

  function setup(input) {
    var form = input.form;
    var url = input.getAttribute("data-suggest-url") || "/api/v1/suggest";
    try {
      WORDS = JSON.parse(input.getAttribute("data-i18n") || "{}") || {};
    } catch (e) {
      WORDS = {};
    }
    var n = ++counter;
    var listId = (input.id || "typeahead") + "-listbox";
    var wrapper = input.parentElement;
    var listbox = document.createElement("div");
    var live = document.createElement("div");
    var options = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var lastQuery = null;
    var chosen = null;
    var place = form && form.elements.location;

    listbox.id = listId;
    listbox.className = "combo-listbox";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", t("Suggestions"));
    listbox.hidden = true;
    wrapper.appendChild(listbox);

    /* Red flags: the same notice the results page shows (macros/notices.html), first. */
    var alertBox = document.createElement("div");
    alertBox.className = "callout emergency red-flag combo-alert";
    alertBox.setAttribute("role", "alert");
    alertBox.hidden = true;
    wrapper.appendChild(alertBox);

    function action(href, className, label) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = href;
      link.className = className;
      link.textContent = label;
      item.appendChild(link);
      return item;
    }

    function showAlert(alert) {
      alertBox.textContent = "";
      if (!alert || !alert.message) { alertBox.hidden = true; return; }
      var heading = document.createElement("strong");
      heading.className = "red-flag-heading";
      heading.textContent = alert.heading || "";
      var message = document.createElement("p");
      message.textContent = alert.message;
      var actions = document.createElement("ul");
      actions.className = "red-flag-actions";
      actions.setAttribute("role", "list");
      var digits = function (n) { return String(n).replace(/[^0-9]/g, ""); };
      actions.appendChild(action("tel:" + digits(alert.call), "button danger call-button",
        alert.press ? fill("Call %(number)s and press %(key)s", { number: alert.call, key: alert.press })
          : fill("Call %(number)s", { number: alert.call })));
      if (alert.text) {
        actions.appendChild(alert.text_body
          ? action("sms:" + digits(alert.text) + "?body=" + encodeURIComponent(alert.text_body),
            "button danger-outline", fill("Text %(word)s to %(number)s", { word: alert.text_body, number: alert.text }))
          : action("sms:" + digits(alert.text), "button danger-outline", fill("Text %(number)s", { number: alert.text })));
      }
      if (alert.chat && /^https:\/\//.test(alert.chat)) {
        var host = alert.chat.replace(/^https:\/\//, "").replace(/\/$/, "");
        actions.appendChild(action(alert.chat, "button danger-outline", fill("Chat at %(site)s", { site: host })));
      }
      alertBox.appendChild(heading);
      alertBox.appendChild(message);
      alertBox.appendChild(actions);
      alertBox.hidden = false;
    }

    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    wrapper.appendChild(live);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-haspopup", "listbox");

    function announce(text) {
      live.textContent = text;
    }

    function setActive(index) {
      options.forEach(function (opt, i) {
        opt.el.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].el.id);
        options[index].el.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      if (!options.length) return;
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    /* Keep the place the person typed when a suggestion leads to a search. */
    function targetUrl(href) {
      var target = new URL(href, window.location.href);
      if (form && target.origin === window.location.origin &&
          target.pathname === new URL(form.action, window.location.href).pathname) {
        ["location", "radius"].forEach(function (name) {
          var field = form.elements[name];
          if (field && field.value && !target.searchParams.has(name)) {
            target.searchParams.set(name, field.value);
          }
        });
      }
      return target.href;
    }

    function choose(index) {
      var opt = options[index];
      if (!opt) return;
      input.value = opt.item.name;
      close();
      /* The list was for what was typed before: coming back to the box does not reopen it. */
      options = [];
      listbox.textContent = "";
      lastQuery = null;
      var searchable = opt.group === "conditions" || opt.group === "specialties";
      if (searchable && place && !place.value.trim()) {
        chosen = { text: input.value, url: opt.item.url };
        announce(fill("%(name)s chosen. Add a location, or search now.", { name: opt.item.name }));
        place.focus();
        return;
      }
      window.location.assign(targetUrl(opt.item.url));
    }

    /* A chosen condition or specialty searches as its suggestion does, plus the place. */
    if (form) {
      form.addEventListener("submit", function (event) {
        if (chosen && input.value === chosen.text) {
          event.preventDefault();
          window.location.assign(targetUrl(chosen.url));
        }
      });
    }

    function render(data, typed) {
      listbox.textContent = "";
      options = [];
      active = -1;
      GROUPS.forEach(function (pair) {
        var key = pair[0];
        var items = (data && data[key]) || [];
        if (!items.length) return;
        var group = document.createElement("ul");
        var label = document.createElement("li");
        var labelId = listId + "-" + key;
        group.className = "combo-group";
        group.setAttribute("role", "group");
        group.setAttribute("aria-labelledby", labelId);
        label.id = labelId;
        label.className = "combo-group-label";
        label.setAttribute("role", "presentation");
        label.textContent = t(pair[1]);
        group.appendChild(label);
        items.forEach(function (item) {
          if (!item || !item.url || !item.name) return;
          var li = document.createElement("li");
          var index = options.length;
          li.id = listId + "-opt-" + n + "-" + index;
          li.className = "combo-option";
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          appendHighlighted(li, item.name, typed);
          var sub = subText(key, item);
          if (sub) {
            var span = document.createElement("span");
            span.className = "sub";
            span.textContent = sub;
            li.appendChild(document.createTextNode(" "));
            li.appendChild(span);
          }
          li.addEventListener("mousedown", function (event) { event.preventDefault(); });
          li.addEventListener("click", function () { choose(index); });
          group.appendChild(li);
          options.push({ el: li, item: item, group: key });
        });
        listbox.appendChild(group);
      });
      if (options.length) {
        open();
        announce(fill(options.length === 1 ? "%(num)s suggestion available. Use the up and down arrow keys to choose."
          : "%(num)s suggestions available. Use the up and down arrow keys to choose.", { num: options.length }));
      } else {
        close();
        announce(t("No suggestions."));
      }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query === lastQuery) { open(); return; }
      lastQuery = query;
      if (controller) controller.abort();
      if (query.length < MIN_CHARS) {
        showAlert(null);
        options = [];
        listbox.textContent = "";
        close();
        live.textContent = "";
        return;
      }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (!response.ok) throw new Error("suggest failed: " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (input.value.trim() === query && document.activeElement === input) {
            showAlert(data && data.alert);
            render(data, words(query));
          }
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          lastQuery = null;
          options = [];
          close();
        });
    }

    input.addEventListener("input", function () {
      if (chosen && input.value !== chosen.text) chosen = null;
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !listbox.hidden;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!options.length) { fetchSuggestions(); return; }
          if (!expanded) { open(); setActive(0); return; }
          setActive(active + 1 >= options.length ? 0 : active + 1);
          break;
        case "ArrowUp":
          event.preventDefault();
          if (!options.length) return;
          if (!expanded) { open(); setActive(options.length - 1); return; }
          setActive(active <= 0 ? options.length - 1 : active - 1);
          break;
        case "Enter":
          if (expanded && active >= 0) {
            event.preventDefault();
            choose(active);
          } else {
            close();
          }
          break;
        case "Escape":
          if (expanded) {
            event.preventDefault();
            close();
          } else if (input.value) {
            event.preventDefault();
            input.value = "";
            lastQuery = null;
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });

    input.addEventListener("focus", function () {
      if (options.length && input.value.trim() === lastQuery) open();
    });
  }

  document.querySelectorAll("input[data-typeahead]").forEach(setup);
})();
