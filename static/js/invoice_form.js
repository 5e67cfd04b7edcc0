// 請求書の入力画面: adds, removes and reorders line rows, and shows each
// line's amount and the per-rate totals as the user types. Without this
// script the form still works: the order numbers, the delete boxes and
// 「行を追加」 are handled by the server, which also computes every amount
// again when the draft is saved.
(function () {
  "use strict";

  const form = document.querySelector("form[data-invoice-form]");
  if (!form) {
    return;
  }
  const body = form.querySelector("[data-lines]");
  const template = form.querySelector("template[data-line-template]");
  const totalForms = form.querySelector('input[name$="-TOTAL_FORMS"]');
  const addButton = form.querySelector("[data-add-line]");
  const taxRows = form.querySelector("[data-tax-rows]");
  const rounding = form.dataset.taxRounding;
  // How the yen filter writes zero ("0円"), in the page's language.
  const yenFormat = form.dataset.yenFormat;

  // Mirrors invoices/tax.py: the tax fractions per category, tax-exclusive
  // then tax-inclusive. Other categories carry no tax.
  const FRACTIONS = {
    S: [
      [10n, 100n],
      [10n, 110n],
    ],
    AA: [
      [8n, 100n],
      [8n, 108n],
    ],
  };
  // Quantities and unit prices have at most 3 decimals: work in thousandths,
  // with integers only, as the server does.
  const SCALE = 1000n;

  // Mirrors invoices/withholding.py: 10.21%, and 20.42% for the part of a
  // fee over 1,000,000 yen; 司法書士 etc.: 10.21% of the part over 10,000
  // yen. Rounded down.
  function withholdingTax(base, kind) {
    if (kind === "scrivener") {
      return base > 10000n ? ((base - 10000n) * 1021n) / 10000n : 0n;
    }
    if (base <= 0n) {
      return 0n;
    }
    if (base <= 1000000n) {
      return (base * 1021n) / 10000n;
    }
    return 102100n + ((base - 1000000n) * 2042n) / 10000n;
  }

  // Category codes and labels, in the server's order, from the select.
  const CATEGORIES = Array.from(
    template.content.querySelector("select").options,
    (option) => [option.value, option.textContent],
  );

  // As the server reads numbers: NFKC, then no separators, ¥ or 円, and
  // ▲, △ or − as a minus sign (invoices/forms.py _number_text).
  function parse(text) {
    const clean = text
      .normalize("NFKC")
      .replace(/[,¥円]/g, "")
      .replace(/[▲△−]/g, "-")
      .trim();
    const match = /^([-+]?)(\d*)(?:\.(\d{0,3}))?$/.exec(clean);
    if (!match || !/\d/.test(clean)) {
      return null;
    }
    const fraction = (match[3] || "").padEnd(3, "0");
    const size = BigInt(match[2] || "0") * SCALE + BigInt(fraction);
    return match[1] === "-" ? -size : size;
  }

  // invoices/tax.py: a quotient rounded once; a negative one (discount,
  // return) rounds its size the same way.
  function divide(numerator, denominator) {
    if (numerator < 0n) {
      return -divide(-numerator, denominator);
    }
    const quotient = numerator / denominator;
    const remainder = numerator % denominator;
    if (rounding === "ceiling") {
      return quotient + (remainder > 0n ? 1n : 0n);
    }
    if (rounding === "half_up") {
      return quotient + (2n * remainder >= denominator ? 1n : 0n);
    }
    return quotient;
  }

  // invoice_tags.yen: −1,000円 with the minus sign U+2212.
  function yen(amount) {
    const size = amount < 0n ? -amount : amount;
    const text = yenFormat.replace("0", size.toLocaleString("ja-JP"));
    return (amount < 0n ? "\u2212" : "") + text;
  }

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function visibleRows() {
    return Array.from(body.querySelectorAll("tr[data-line]")).filter(
      (row) => !row.hidden,
    );
  }

  function recalculate() {
    const inclusive =
      form.querySelector('input[name="price_basis"]:checked')?.value ===
      "inclusive";
    const sums = new Map();
    let withheldBase = 0n;
    for (const row of visibleRows()) {
      const output = row.querySelector("[data-line-amount]");
      const quantity = parse(field(row, "quantity").value);
      const unitPrice = parse(field(row, "unit_price").value);
      if (quantity === null || unitPrice === null) {
        output.textContent = "";
        continue;
      }
      const amount = divide(quantity * unitPrice, SCALE * SCALE);
      output.textContent = yen(amount);
      const category = field(row, "tax_category").value;
      sums.set(category, (sums.get(category) || 0n) + amount);
      if (field(row, "withholding")?.checked) {
        withheldBase += amount;
      }
    }
    let subtotal = 0n;
    let taxTotal = 0n;
    taxRows.replaceChildren();
    for (const [category, label] of CATEGORIES) {
      if (!sums.has(category)) {
        continue;
      }
      const taxable = sums.get(category);
      const fraction = FRACTIONS[category];
      const tax = fraction
        ? divide(taxable * fraction[+inclusive][0], fraction[+inclusive][1])
        : 0n;
      subtotal += taxable;
      taxTotal += tax;
      const tr = taxRows.insertRow();
      tr.insertCell().textContent = label;
      for (const value of [taxable, tax]) {
        const cell = tr.insertCell();
        cell.className = "num";
        cell.textContent = yen(value);
      }
    }
    form.querySelector("[data-subtotal]").textContent = yen(subtotal);
    form.querySelector("[data-tax-total]").textContent = yen(taxTotal);
    const total = inclusive ? subtotal : subtotal + taxTotal;
    form.querySelector("[data-total]").textContent = yen(total);
    if ("withholding" in form.dataset) {
      const kind = form.querySelector(
        'input[name="withholding_kind"]:checked',
      )?.value;
      const withheld = withholdingTax(withheldBase, kind);
      form.querySelector("[data-withholding-tax]").textContent = yen(withheld);
      form.querySelector("[data-net-total]").textContent = yen(total - withheld);
    }
  }

  // The order field follows the rows as shown, and so do the numbers that
  // the server's messages use (「3行目: …」).
  function renumber() {
    visibleRows().forEach((row, index) => {
      field(row, "ORDER").value = index + 1;
      for (const number of row.querySelectorAll("[data-line-number]")) {
        number.textContent = index + 1;
      }
    });
  }

  function enhance(row) {
    row.querySelector("[data-without-script]").hidden = true;
    row.querySelector("[data-with-script]").hidden = false;
  }

  function move(row, step) {
    const rows = visibleRows();
    const target = rows[rows.indexOf(row) + step];
    if (!target) {
      return;
    }
    body.insertBefore(row, step < 0 ? target : target.nextSibling);
    renumber();
  }

  function remove(row) {
    const rows = visibleRows();
    const next = rows[rows.indexOf(row) + 1] || rows[rows.indexOf(row) - 1];
    field(row, "DELETE").checked = true;
    row.hidden = true;
    renumber();
    recalculate();
    (next ? field(next, "description") : addButton).focus();
  }

  function add() {
    const index = Number(totalForms.value);
    body.insertAdjacentHTML(
      "beforeend",
      template.innerHTML.replace(/__prefix__/g, String(index)),
    );
    totalForms.value = index + 1;
    const row = body.lastElementChild;
    enhance(row);
    renumber();
    field(row, "description").focus();
  }

  body.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) {
      return;
    }
    const row = button.closest("tr[data-line]");
    if (button.dataset.move) {
      move(row, Number(button.dataset.move));
      button.focus();
    } else if (button.hasAttribute("data-remove")) {
      remove(row);
    }
  });
  addButton.addEventListener("click", (event) => {
    event.preventDefault();
    add();
  });
  form.addEventListener("input", recalculate);
  form.addEventListener("change", recalculate);

  body.querySelectorAll("tr[data-line]").forEach(enhance);
  renumber();
  recalculate();
})();
