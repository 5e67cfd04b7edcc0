// Invitation forms: a filter box over the department checkboxes (a city
// has 50 and more). Without this script the list stays grouped by parent
// department and every checkbox is shown.
(function () {
  "use strict";

  // Full-width letters and digits as ASCII, hiragana as katakana,
  // upper case: the names are matched however they are typed.
  function normalise(text) {
    return text
      .normalize("NFKC")
      .replace(/[\u3041-\u3096]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0x60))
      .replace(/\s+/g, "")
      .toUpperCase();
  }

  for (const choices of document.querySelectorAll("[data-department-choices]")) {
    const filter = choices.querySelector("[data-department-filter]");
    const input = filter.querySelector("input");
    const count = filter.querySelector("[data-department-count]");
    const rows = Array.from(choices.querySelectorAll("[data-department]"));
    const groups = Array.from(choices.querySelectorAll("[data-department-group]"));
    const keys = new Map(rows.map((row) => [row, normalise(row.dataset.department)]));

    function apply() {
      const query = normalise(input.value);
      let shown = 0;
      for (const row of rows) {
        // A checked department stays visible, so the choice is never hidden.
        const visible =
          query === "" || keys.get(row).includes(query) || row.querySelector("input").checked;
        row.hidden = !visible;
        shown += visible ? 1 : 0;
      }
      for (const group of groups) {
        group.hidden = Array.from(group.querySelectorAll("[data-department]")).every(
          (row) => row.hidden,
        );
      }
      count.textContent =
        query === ""
          ? ""
          : count.dataset.template
              .replace("{shown}", String(shown))
              .replace("{total}", String(rows.length));
    }

    filter.hidden = false;
    input.addEventListener("input", apply);
    // Enter in the box must not send the whole form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }
})();
