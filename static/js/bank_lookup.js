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
})();
