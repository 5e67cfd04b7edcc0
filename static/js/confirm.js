// Irreversible actions ask first (invoices/views/confirm.py). Without this
// script a form marked data-confirm posts to its action, which answers with
// a confirmation page; that page's button sends the form again, confirmed.
// With it, the first POST is sent in the background and the confirmation
// page's summary and form are shown in a dialog over the page: its button
// sends the confirmed form, "やめる" closes the dialog. An answer that is
// not a confirmation page (the input has errors, nothing was chosen) is
// shown the way it is without the script: the form is sent normally.
(() => {
  "use strict";

  if (typeof HTMLDialogElement !== "function") {
    return; // the confirmation page does the same
  }

  const dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog";
  dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.replaceChildren());

  function show(page, title) {
    const heading = document.createElement("h2");
    heading.id = "confirm-dialog-title";
    heading.textContent = title;
    const content = document.importNode(page, true);
    content.removeAttribute("aria-labelledby");
    content.classList.remove("card");
    // The page's own form may hold inputs of the same names and ids.
    for (const input of content.querySelectorAll("input[type=hidden][id]")) {
      input.removeAttribute("id");
    }
    const cancel = content.querySelector("[data-confirm-cancel]");
    if (cancel) {
      cancel.addEventListener("click", (event) => {
        event.preventDefault();
        dialog.close();
      });
    }
    const form = content.querySelector("form");
    form.addEventListener("submit", () => {
      // One confirmed request, however often the button is pressed.
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.disabled = true;
      }
    });
    dialog.replaceChildren(heading, content);
    dialog.showModal();
    (cancel || heading).focus();
  }

  async function ask(form) {
    let text;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      });
      text = response.ok ? await response.text() : "";
    } catch (error) {
      text = "";
    }
    const answer = new DOMParser().parseFromString(text, "text/html");
    const page = answer.querySelector("[data-confirm-page]");
    if (!page) {
      form.submit();
      return;
    }
    const title = answer.querySelector("[data-confirm-title]");
    show(page, title ? title.textContent.trim() : "");
  }

  let asking = false;
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // A second press while the question is on its way or open: one question.
      if (asking || dialog.open) {
        return;
      }
      asking = true;
      try {
        await ask(form);
      } finally {
        asking = false;
      }
    });
  }
})();
