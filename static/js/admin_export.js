// django-import-export's export page: the 「Select all」 box, wired here
// rather than by an onchange attribute, which the Content-Security-Policy
// refuses. onSelectToggleChange comes from the page's own
// import_export/export_selectable_fields.js.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("input.select-toggle");
  if (toggle && typeof onSelectToggleChange === "function") {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
