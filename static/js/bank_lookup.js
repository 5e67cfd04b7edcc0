// 振込先口座フォーム: shows the bank and branch names from the Zengin master
// as the codes are typed, and the ゆうちょ 記号・番号 fields only for 9900.
// Without this script the form still works: the server checks the codes and
// the confirmation page shows the names.
(function () {
  "use strict";

  const form = document.querySelector("form[data-bank-lookup-url]");
  if (!form) {
    return;
  }
  const url = form.dataset.bankLookupUrl;
  const bankInput = form.elements.bank_code;
  const branchInput = form.elements.branch_code;
  const bankOutput = form.querySelector("[data-bank-name]");
  const branchOutput = form.querySelector("[data-branch-name]");
  const japanPost = form.querySelector("[data-japan-post]");
  const JAPAN_POST_BANK_CODE = "9900";
  let timer = null;
  let latest = 0;

  // Full-width digits (０００５) count as digits, as on the server.
  function digits(input) {
    return input.value.normalize("NFKC").trim();
  }

  function showJapanPost(bankCode) {
    const hasInput = Array.from(japanPost.querySelectorAll("input")).some(
      (input) => input.value !== "",
    );
    japanPost.hidden = bankCode !== JAPAN_POST_BANK_CODE && !hasInput;
  }

  function describe(entry) {
    return entry ? entry.name + "（" + entry.kana + "）" : "";
  }

  async function lookup() {
    const bankCode = digits(bankInput);
    const branchCode = digits(branchInput);
    showJapanPost(bankCode);
    if (!/^[0-9]{4}$/.test(bankCode)) {
      bankOutput.textContent = "";
      branchOutput.textContent = "";
      return;
    }
    const params = new URLSearchParams({ bank: bankCode });
    if (/^[0-9]{3}$/.test(branchCode)) {
      params.set("branch", branchCode);
    }
    // Answers can arrive out of order; only the newest one is shown.
    const request = ++latest;
    let data;
    try {
      const response = await fetch(url + "?" + params, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        return;
      }
      data = await response.json();
    } catch {
      return;
    }
    if (request !== latest) {
      return;
    }
    bankOutput.textContent = data.bank_error || describe(data.bank);
    branchOutput.textContent = data.branch_error || describe(data.branch);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 250);
  }

  bankInput.addEventListener("input", schedule);
  branchInput.addEventListener("input", schedule);
  lookup();

  // Search by name or kana: results as you type; choosing one fills the
  // code fields here instead of following the link (which does the same
  // through the server when this script is not running).
  const search = document.querySelector("[data-bank-search]");
  if (!search) {
    return;
  }
  const noneFound = search.dataset.noneFound;
  const bankQuery = search.querySelector("[data-search=bank] input[type=search]");
  const branchQuery = search.querySelector(
    "[data-search=branch] input[type=search]",
  );
  const branchBank = search.querySelector("[data-search=branch] input[type=hidden]");
  const branchHelp = search.querySelector("[data-branch-help]");
  const results = {
    bank: search.querySelector("[data-results=bank]"),
    branch: search.querySelector("[data-results=branch]"),
  };
  const searchTimers = {};
  const searchLatest = { bank: 0, branch: 0 };

  function render(kind, entries) {
    const list = results[kind];
    list.replaceChildren();
    if (entries.length === 0) {
      const item = document.createElement("li");
      item.textContent = noneFound;
      list.append(item);
      return;
    }
    for (const entry of entries) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#";
      link.dataset.code = entry.code;
      link.textContent = describe(entry) + " " + entry.code;
      item.append(link);
      list.append(item);
    }
  }

  async function find(kind) {
    const query = (kind === "bank" ? bankQuery : branchQuery).value.trim();
    const params = new URLSearchParams();
    if (kind === "bank") {
      params.set("q", query);
    } else {
      params.set("bank", digits(bankInput));
      params.set("branch_q", query);
    }
    if (query === "" || (kind === "branch" && !/^[0-9]{4}$/.test(digits(bankInput)))) {
      results[kind].replaceChildren();
      return;
    }
    const request = ++searchLatest[kind];
    let data;
    try {
      const response = await fetch(url + "?" + params, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        return;
      }
      data = await response.json();
    } catch {
      return;
    }
    if (request === searchLatest[kind]) {
      render(kind, kind === "bank" ? data.banks : data.branches);
    }
  }

  function scheduleFind(kind) {
    window.clearTimeout(searchTimers[kind]);
    searchTimers[kind] = window.setTimeout(() => find(kind), 250);
  }

  function choose(kind, code) {
    if (kind === "bank") {
      bankInput.value = code;
      branchInput.value = "";
      branchBank.value = code;
      branchHelp.hidden = true; // names a bank no longer chosen
      results.branch.replaceChildren();
      branchQuery.focus();
    } else {
      branchInput.value = code;
      form.elements.account_number.focus();
    }
    results[kind].replaceChildren();
    lookup();
  }

  for (const kind of ["bank", "branch"]) {
    const input = kind === "bank" ? bankQuery : branchQuery;
    input.addEventListener("input", () => scheduleFind(kind));
    input.form.addEventListener("submit", (event) => {
      event.preventDefault();
      find(kind);
    });
    results[kind].addEventListener("click", (event) => {
      const link = event.target.closest("a[data-code]");
      if (link) {
        event.preventDefault();
        choose(kind, link.dataset.code);
      }
    });
  }
  bankInput.addEventListener("input", () => {
    branchBank.value = digits(bankInput);
  });
})();
