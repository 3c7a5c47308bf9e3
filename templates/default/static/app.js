// Kameng default theme. Every page works without this file: it only adds
// live stock, the price before payment and a JSON checkout with inline errors.
// The order and account pages bring their own script (pages/order.js, pages/account.js).
// User data is always set with textContent, never as HTML.
"use strict";
(() => {
  const body = document.body;
  const text = (element, key) =>
    element.dataset["t" + key.replace(/(?:^|[-_])(\w)/g, (_, letter) => letter.toUpperCase())] || "";
  const money = (minor) => {
    const sign = minor < 0 ? "-" : "";
    const amount = Math.abs(minor);
    const major = Math.floor(amount / 100).toLocaleString("en-US");
    return sign + body.dataset.symbol + major + "." + String(amount % 100).padStart(2, "0");
  };
  const postJson = async (url, data, headers) => {
    const response = await fetch(url, {
      method: "POST",
      // The station's language, so the server's messages come in it.
      headers: { "Content-Type": "application/json", Accept: "application/json", "Accept-Language": document.documentElement.lang, ...headers },
      body: JSON.stringify(data || {}),
      credentials: "same-origin",
    });
    return { response, answer: await response.json().catch(() => ({})) };
  };
  const make = (tag, className, content) => {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined) element.textContent = content;
    return element;
  };
  // The order and account pages' scripts run after this one (both deferred) and use these.
  window.kameng = Object.freeze({ text, money, postJson, make });
  const isWebUrl = (url) => {
    try {
      return ["http:", "https:"].includes(new URL(url, location.href).protocol);
    } catch {
      return false;
    }
  };

  // Referral: the first code a shopper arrives with (?ref= on any page) is kept until
  // they sign in; pages/account.js sends it then. A later link does not replace it.
  try {
    const ref = new URLSearchParams(location.search).get("ref");
    if (ref && /^[\w-]{1,40}$/.test(ref) && !localStorage.getItem("kameng.ref")) localStorage.setItem("kameng.ref", ref);
    // Signing in is what binds the referral and gives the welcome coupon: say so where the shopper buys.
    const hint = document.getElementById("buy-referral-hint");
    if (hint && localStorage.getItem("kameng.ref")) hint.hidden = false;
  } catch {
    // Storage can be off (private windows, policies): the link still shows the shop.
  }

  // Live stock: one request per page, never baked into the HTML.
  const soldOut = new Set();
  const badges = document.querySelectorAll(".stock[data-sku]");
  const levels = { in_stock: "in-stock", low: "low-stock", sold_out: "sold-out" };
  const stockLoaded = !badges.length
    ? Promise.resolve()
    : fetch("/api/stock?station=" + encodeURIComponent(body.dataset.station), { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((stock) => {
          for (const badge of badges) {
            const entry = stock && stock.skus && stock.skus[badge.dataset.sku];
            if (!entry || !levels[entry.level]) continue;
            badge.textContent = text(body, levels[entry.level]);
            badge.dataset.level = entry.level;
            badge.hidden = false;
            if (entry.level === "sold_out") soldOut.add(badge.dataset.sku);
          }
        })
        .catch(() => {});

  // Flash-sale countdowns only count: whether the sale is open is the server's decision at checkout.
  const countdowns = document.querySelectorAll(".countdown[data-ends]");
  if (countdowns.length) {
    // 6天 17:17:34 for a Chinese station, 6d 17:17:34 otherwise.
    const dayUnit = document.documentElement.lang.startsWith("zh") ? "天 " : "d ";
    const clock = (ms) => {
      const seconds = Math.floor(ms / 1000);
      const days = Math.floor(seconds / 86400);
      const hms = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60]
        .map((part) => String(part).padStart(2, "0")).join(":");
      return (days ? days + dayUnit : "") + hms;
    };
    const tick = () => {
      const now = Date.now();
      countdowns.forEach((element) => {
        const starts = Date.parse(element.dataset.starts);
        const ends = Date.parse(element.dataset.ends);
        element.textContent = now < starts ? text(element, "starts-in") + " " + clock(starts - now)
          : now < ends ? text(element, "ends-in") + " " + clock(ends - now) : text(element, "over");
      });
    };
    tick();
    setInterval(tick, 1000);
  }

  // Buy form: the same fields post as a plain form without JavaScript.
  const form = document.getElementById("buy-form");
  if (form) {
    const submit = document.getElementById("buy-submit");
    const error = document.getElementById("buy-error");
    const total = document.getElementById("buy-total");
    const quantity = form.elements.quantity;
    const chosen = () => form.querySelector("input[name=sku]:checked");
    // The server's quote for what the form asks now, once one has answered: the one total shown.
    let quoted = null;
    let email = "";
    const asking = () => [chosen()?.value, quantity.value, form.elements.coupon.value.trim(), email].join("|");
    const update = (event) => {
      const sku = chosen();
      if (!sku) return;
      const min = Number(sku.dataset.min);
      const max = Number(sku.dataset.max);
      quantity.min = min;
      quantity.max = max;
      if (event && event.target.name === "sku") {
        quantity.value = Math.min(Math.max(Number(quantity.value) || min, min), max);
      }
      const count = Number(quantity.value);
      // An estimate at the page's tier and flash-sale prices, by the same rule as the
      // server's (a sale's price when lower, within its per-shopper limit); checkout
      // prices the order on the server and the server's clock decides the window.
      let unit = Number(sku.dataset.price);
      for (const tier of (sku.dataset.tiers || "").split(",").filter(Boolean)) {
        const [from, price] = tier.split(":").map(Number);
        if (count >= from) unit = price;
      }
      const now = Date.now();
      for (const sale of (sku.dataset.flash || "").split(";").filter(Boolean)) {
        const [starts, ends, price, perShopper] = sale.split("|");
        if (Date.parse(starts) <= now && now < Date.parse(ends) && count <= Number(perShopper)) {
          unit = Math.min(unit, Number(price));
        }
      }
      const valid = Number.isInteger(count) && count >= min && count <= max;
      const known = valid && quoted && quoted.asking === asking();
      total.textContent = known ? money(quoted.total) : valid ? money(unit * count) : "";
      submit.disabled = soldOut.has(sku.value);
      return valid ? unit * count : null;
    };
    form.addEventListener("change", update);
    quantity.addEventListener("input", update);
    stockLoaded.then(() => update());
    update();

    // The quote: what checkout would charge now (member level, coupon), asked of the server
    // a moment after the shopper stops typing. Checkout decides again; this only shows it.
    const coupon = form.elements.coupon;
    const couponError = document.getElementById("buy-coupon-error");
    const quote = document.getElementById("buy-quote");
    const memberHint = document.getElementById("quote-member-hint");
    const capped = document.getElementById("quote-coupon-capped");
    const row = (id, label, amount, shown) => {
      const value = document.getElementById(id);
      value.textContent = "-" + money(amount);
      value.hidden = value.previousElementSibling.hidden = !shown;
      value.previousElementSibling.textContent = label;
    };
    let asked = 0;
    let timer = 0;
    const hideQuote = () => {
      quote.hidden = true;
      memberHint.hidden = true;
      capped.hidden = true;
      if (quoted) {
        quoted = null;
        update();
      }
    };
    const askQuote = async () => {
      const sku = chosen();
      const estimate = update();
      const mine = ++asked;
      if (!sku || estimate === null) return hideQuote();
      const question = asking();
      const data = { station: body.dataset.station, sku: sku.value, quantity: Number(quantity.value) };
      if (coupon.value.trim()) data.coupon = coupon.value.trim();
      if (email) data.email = email;
      try {
        const { response, answer } = await postJson("/api/quote", data);
        if (mine !== asked) return;
        const problem = answer.error || {};
        couponError.textContent = ["coupon_not_applicable", "coupon_used_up"].includes(problem.code) ? problem.message || "" : "";
        if (!response.ok) return hideQuote();
        row("quote-level", text(quote, "level").replace("{name}", () => answer.level || ""), answer.level_discount, answer.level_discount > 0);
        // An accepted coupon is listed even when it takes little or nothing off (never below the wholesale price).
        row("quote-coupon", text(quote, "coupon").replace("{code}", () => answer.coupon || ""), answer.coupon_discount, Boolean(answer.coupon));
        document.getElementById("quote-subtotal").textContent = money(answer.subtotal);
        // The total above is the quote's; the breakdown beneath it shows when something came off.
        quoted = { asking: question, total: answer.total };
        update();
        quote.hidden = !(answer.level_discount || answer.coupon);
        // The wholesale floor took part of the coupon: say what it can take off this order.
        capped.textContent = text(capped, "capped").replace("{amount}", () => money(answer.coupon_discount));
        capped.hidden = !answer.coupon_capped;
        memberHint.hidden = answer.signed_in || !("levels" in form.dataset);
      } catch {
        if (mine === asked) hideQuote();
      }
    };
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(askQuote, 300);
    };
    form.addEventListener("input", (event) => {
      if (event.target === coupon) couponError.textContent = "";
      if (["sku", "quantity", "coupon"].includes(event.target.name)) later();
    });
    // The e-mail counts once it is typed in full (a half-typed one is not an address yet).
    form.elements.email.addEventListener("change", (event) => {
      email = event.target.validity.valid ? event.target.value.trim() : "";
      later();
    });

    // One Idempotency-Key per order the shopper means to place: sending the same details again
    // after an answer was lost (or while it is still coming) reuses it and gets that order back,
    // never a second one; any answer, or changed details, makes the next submit a new request.
    // A top-up's account fields: a wrong one is said next to it, whether the browser or checkout finds it.
    const fieldError = (name) => document.getElementById("field-" + name + "-error");
    const showFieldError = (input, message) => {
      const box = fieldError(input.name.slice("fields.".length));
      if (box) box.textContent = message ?? text(box, "invalid");
    };
    for (const input of form.querySelectorAll(".buyer-fields input")) {
      input.addEventListener("invalid", (event) => {
        event.preventDefault();
        showFieldError(input);
        input.focus();
      });
      input.addEventListener("input", () => showFieldError(input, ""));
    }
    let attempt = null;
    const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      for (const box of form.querySelectorAll(".field-error")) box.textContent = "";
      submit.disabled = true;
      const data = Object.fromEntries(new FormData(form));
      data.quantity = Number(data.quantity);
      if (!data.coupon.trim()) delete data.coupon;
      for (const name of Object.keys(data).filter((key) => key.startsWith("fields."))) {
        data.fields = { ...data.fields, [name.slice("fields.".length)]: data[name].trim() };
        delete data[name];
      }
      const sent = JSON.stringify(data);
      if (!attempt || attempt.sent !== sent) attempt = { sent, key: newKey() };
      try {
        const { response, answer } = await postJson(form.action, data, { "Idempotency-Key": attempt.key });
        const problem = answer.error || {};
        if (problem.code !== "request_in_progress") attempt = null;
        if (response.status === 201 && isWebUrl(answer.pay_url)) {
          location.assign(answer.pay_url);
          return;
        }
        if (problem.code === "sold_out") soldOut.add(data.sku);
        for (const field of problem.fields || []) {
          const input = form.elements[String(field.loc)];
          // Checkout's words in Chinese; on a station in another language, the page's own.
          if (input && String(field.loc).startsWith("fields.")) showFieldError(input, document.documentElement.lang === "zh-CN" ? field.msg : undefined);
        }
        if (["coupon_not_applicable", "coupon_used_up"].includes(problem.code)) couponError.textContent = problem.message || "";
        error.textContent = problem.message || text(form, "error");
      } catch {
        error.textContent = text(form, "network");
      }
      update();
    });
  }
})();
