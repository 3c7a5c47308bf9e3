// The account page's real-name verification (实名认证): the status, masked, and a form while unverified.
// The name and ID number go to the API once and are never kept in the page, storage or the address bar.
"use strict";
(() => {
  const box = document.getElementById("account-real-name");
  const account = document.getElementById("account");
  if (!box || !account) return;
  const { text, postJson } = window.kameng;
  const status = document.getElementById("account-real-name-status");
  const form = document.getElementById("account-real-name-form");
  const error = document.getElementById("account-real-name-error");
  const show = (answer) => {
    form.hidden = !!answer.verified;
    if (answer.verified) status.textContent = text(box, "verified").replace("{name}", () => answer.name).replace("{id_number}", () => answer.id_number);
  };
  const load = async () => {
    try {
      const response = await fetch("/api/account/real-name", { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
      if (response.ok) show(await response.json());
    } catch {
      // The rest of the account page still works; the form stays as it is.
    }
  };
  // Shown once account.js has a session: the first sign-in sets the cookie after this script ran.
  new MutationObserver(() => { if (!account.hidden) load(); }).observe(account, { attributes: true, attributeFilter: ["hidden"] });
  if (!account.hidden) load();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const { response, answer } = await postJson(form.action, Object.fromEntries(new FormData(form)));
      if (response.ok) {
        form.reset();
        show(answer);
      } else {
        error.textContent = (answer.error && answer.error.message) || text(box, "error");
      }
    } catch {
      error.textContent = text(box, "error");
    }
  });
})();
