// The key tools of the order page, the lookup results and the account page: a copy button per key,
// and for all of an order's keys at once copy, .txt and .csv. Loaded before the page's own script.
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const { make } = window.kameng;
  const keyLine = (key) => (key.password ? key.code + " " + key.password : key.code);
  const allLines = (keys) => keys.map(keyLine).join("\n") + "\n";
  // A spreadsheet cell that starts with = + - @ would be run as a formula: quote it as text.
  const csvCell = (value) => {
    const text = /^[=+\-@\t\r]/.test(value) ? "'" + value : value;
    return '"' + text.replace(/"/g, '""') + '"';
  };
  const csv = (keys) =>
    "\uFEFF" + ["code,password", ...keys.map((key) => csvCell(key.code) + "," + csvCell(key.password || ""))].join("\r\n") + "\r\n";
  const download = (orderId, keys, format) => {
    const blob = format === "csv"
      ? new Blob([csv(keys)], { type: "text/csv;charset=utf-8" })
      : new Blob([allLines(keys)], { type: "text/plain;charset=utf-8" });
    const link = make("a");
    link.href = URL.createObjectURL(blob);
    link.download = orderId + "." + format;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };
  // t(name) is the page's own text: copy, copied, copy-all, key-password, download-keys, download-keys-csv.
  const copyOnClick = (button, content, t, label) => {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(content());
        button.textContent = t("copied");
      } catch {
        button.textContent = t(label);
      }
    });
  };
  const button = (className, label) => {
    const element = make("button", className, label);
    element.type = "button";
    return element;
  };
  const items = (keys, t) =>
    keys.map((key) => {
      const item = make("li", "card-key");
      if (key.key_id) item.dataset.keyId = key.key_id;
      item.append(make("code", "", key.code));
      if (key.password) {
        const password = make("span", "key-password", t("key-password") + " ");
        password.append(make("samp", "", key.password));
        item.append(" ", password);
      }
      const copy = button("copy", t("copy"));
      copyOnClick(copy, () => keyLine(key), t, "copy");
      item.append(" ", copy);
      return item;
    });
  // The page's own buttons (the order page has them in its HTML) or new ones.
  const wire = (orderId, keys, t, { copyAll, txt, csv: sheet }) => {
    copyOnClick(copyAll, () => allLines(keys()), t, "copy-all");
    txt.addEventListener("click", () => download(orderId, keys(), "txt"));
    sheet.addEventListener("click", () => download(orderId, keys(), "csv"));
  };
  const tools = (orderId, keys, t) => {
    const bar = make("p", "key-tools");
    const copyAll = button("button copy-all", t("copy-all"));
    const txt = button("button download", t("download-keys"));
    const sheet = button("button download-csv", t("download-keys-csv"));
    wire(orderId, () => keys, t, { copyAll, txt, csv: sheet });
    bar.append(copyAll, " ", txt, " ", sheet);
    return bar;
  };
  // An order's time as the station's clock reads it, e.g. 2026-12-06 14:05.
  const stationTime = (iso, timeZone) => {
    const moment = new Date(iso);
    try {
      const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
        timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).formatToParts(moment).map((part) => [part.type, part.value]));
      return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
    } catch {
      return String(iso).slice(0, 16).replace("T", " ") + " UTC";
    }
  };
  window.kamengKeys = Object.freeze({ items, tools, wire, stationTime });
})();
