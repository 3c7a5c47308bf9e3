// Kameng owner console: sign-in, the shell, and what every view shares.
// Each view is its own script, registered here by name; the API decides what an owner may see and do,
// the navigation only leaves out what their role would be refused.
// Data from the API is always set with textContent, never as HTML.
"use strict";
(() => {
  const views = new Map();
  const state = { me: null, station: null };
  const $ = (id) => document.getElementById(id);
  // Staff answer shoppers (orders, after-sales); everything else is the owners'.
  const STAFF_VIEWS = new Set(["orders", "after_sales"]);
  const SYMBOLS = { CNY: "¥", USD: "$", HKD: "HK$", EUR: "€" };
  const PLATFORM = "";

  const make = (tag, attributes, ...children) => {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "className") element.className = value;
      else if (name === "text") element.textContent = value;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : String(child));
    }
    return element;
  };

  const money = (minor, currency) => {
    if (typeof minor !== "number") return "—";
    const code = currency || "CNY";
    const amount = Math.abs(minor);
    const symbol = SYMBOLS[code] ?? code + " ";
    return (minor < 0 ? "-" : "") + symbol + Math.floor(amount / 100).toLocaleString("en-US") + "." + String(amount % 100).padStart(2, "0");
  };
  const percent = (basisPoints) => (typeof basisPoints === "number" ? (basisPoints / 100).toFixed(2) + "%" : "—");
  const count = (value) => (typeof value === "number" ? value.toLocaleString("zh-CN") : value === null || value === undefined ? "—" : String(value));

  const when = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "—");
  const button = (text, className) => make("button", { type: "button", className, text });

  const status = (message, kind) => {
    const line = $("status");
    line.textContent = message || "";
    line.dataset.kind = kind || "";
  };

  class ApiError extends Error {
    constructor(status, code, message, fields) {
      super(message);
      this.status = status;
      this.code = code;
      // A refused content publish lists each of the build's messages here.
      this.fields = fields || [];
    }
  }

  // quiet401: the sign-in steps show a refused link or code themselves instead of starting over.
  const api = async (method, path, body, { quiet401 = false } = {}) => {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json", "Content-Type": "application/json",
      // The console's language, so the API's messages come in it.
      "Accept-Language": document.documentElement.lang } };
    if (method !== "GET") options.body = JSON.stringify(body || {});
    let response;
    try {
      response = await fetch(path, options);
    } catch {
      throw new ApiError(0, "network", "无法连接服务器，请检查网络后重试");
    }
    const answer = await response.json().catch(() => ({}));
    if (response.ok) return answer;
    const error = answer.error || {};
    // The role check answers in the API's own words; the console says it in the owner's.
    const message = error.code === "forbidden" ? "此账号没有权限执行这个操作" : error.message;
    const failure = new ApiError(response.status, error.code || "http_" + response.status, message || `请求失败（HTTP ${response.status}）`, error.fields);
    if (response.status === 401 && !quiet401) showSignIn(failure.code === "signed_out" ? "" : failure.message);
    throw failure;
  };

  const show = (id) => {
    for (const screen of ["sign-in", "totp", "app"]) $(screen).hidden = screen !== id;
  };

  function showSignIn(message) {
    state.me = null;
    show("sign-in");
    $("sign-in-form").hidden = false;
    $("sign-in-sent").hidden = true;
    status(message, message ? "error" : "");
  }

  const showTotp = (session) => {
    show("totp");
    status("");
    $("totp-who").textContent = session && session.email_masked ? `正在登录：${session.email_masked}` : "";
    const enrolment = session && session.stage === "enrol" ? session : null;
    $("totp-enrol").hidden = !enrolment;
    if (enrolment) {
      // An SVG as an image: it cannot run script there, and the CSP allows data: images.
      // Inline SVG comes without its namespace, which an SVG file (and so a data: image) must declare.
      const svg = (enrolment.qr_svg || "").replace(/^<svg(?![^>]*\sxmlns=)/, '<svg xmlns="http://www.w3.org/2000/svg"');
      $("totp-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
      $("totp-secret").textContent = enrolment.secret || "";
    }
    $("totp-code").value = "";
    $("totp-code").focus();
  };

  const submitting = async (form, work) => {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      status(error.message, "error");
    } finally {
      button.disabled = false;
    }
  };

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    submitting(form, async () => {
      await api("POST", "/api/owner/sign-in", { email: $("sign-in-email").value.trim() }, { quiet401: true });
      form.hidden = true;
      $("sign-in-sent").hidden = false;
      status("");
    });
  });

  $("totp-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(event.currentTarget, async () => {
      const code = $("totp-code").value.replace(/\s+/g, "");
      if (!/^\d{6}$/.test(code)) throw new Error("请输入验证器上的 6 位数字");
      enter(await api("POST", "/api/owner/totp", { code }, { quiet401: true }));
    });
  });

  $("sign-out").addEventListener("click", async () => {
    try {
      await api("POST", "/api/owner/sign-out", {}, { quiet401: true });
    } catch {
      // Signed out already, or the server is away: either way the console forgets the owner.
    }
    showSignIn("已退出登录");
  });

  $("station").addEventListener("change", (event) => {
    state.station = event.currentTarget.value;
    try {
      sessionStorage.setItem("kameng.console.station", state.station);
    } catch {
      // Without storage the choice lasts until the page is reloaded.
    }
    route();
  });

  const allowed = (name) => state.me && (state.me.role !== "staff" || STAFF_VIEWS.has(name));

  const enter = (me) => {
    state.me = me;
    const stations = me.stations || [];
    let remembered = null;
    try {
      remembered = sessionStorage.getItem("kameng.console.station");
    } catch {
      remembered = null;
    }
    const platform = me.role === "platform_owner";
    const choices = platform ? [PLATFORM, ...stations] : [me.station];
    state.station = choices.includes(remembered) ? remembered : choices[0];
    const select = $("station");
    select.replaceChildren(...choices.map((id) => make("option", { value: id, text: id === PLATFORM ? "全平台" : id })));
    select.value = state.station;
    $("station-switcher").hidden = choices.length < 2;
    $("me-email").textContent = me.email;
    show("app");
    status("");
    route();
  };

  const navigation = (current) => {
    const links = [];
    for (const [name, view] of views) {
      if (!allowed(name)) continue;
      const link = make("a", { href: "#/" + name, text: view.label });
      if (name === current) link.setAttribute("aria-current", "page");
      links.push(link);
    }
    $("nav").replaceChildren(...links);
  };

  // #/<view>[/<rest>]: the rest (an order id, say) goes to the view.
  const route = () => {
    if (!state.me) return;
    const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    const first = [...views.keys()].find(allowed);
    const chosen = views.has(name) && allowed(name) ? name : first;
    navigation(chosen);
    const container = $("view");
    container.replaceChildren();
    status("");
    if (!chosen) {
      container.append(make("p", { className: "notice", text: "此账号没有可用的页面。" }));
      return;
    }
    const view = views.get(chosen);
    document.title = `${view.label} - Kameng 管理后台`;
    Promise.resolve(view.render(container, { station: state.station, me: state.me, path: rest.map(decodeURIComponent) }))
      .catch((error) => status(error.message, "error"));
  };

  const boot = async () => {
    const match = location.hash.match(/^#signin=([\w.~-]+)/);
    if (match) {
      // The link's token is single-use and must not stay in the address bar or the history.
      history.replaceState(null, "", location.pathname + location.search);
      try {
        const session = await api("POST", "/api/owner/session", { token: match[1] }, { quiet401: true });
        showTotp(session);
      } catch (error) {
        showSignIn(error.message);
      }
      return;
    }
    try {
      enter(await api("GET", "/api/owner/me", undefined, { quiet401: true }));
    } catch (error) {
      if (error.status === 401 && /totp|factor/.test(error.code)) showTotp(null);
      // Not signed in (no cookie, or an expired one) is the usual start, not an error worth a message.
      else showSignIn(error.status === 401 ? "" : error.message);
    }
  };

  window.addEventListener("hashchange", () => {
    if (/^#signin=/.test(location.hash)) boot();
    else route();
  });

  // A table of rows, a CSV link beside it when the API can export it.
  const table = ({ caption, columns, rows, csv, empty }) => {
    const head = make("tr", {}, columns.map((column) => make("th", { scope: "col", text: column.label })));
    const body = rows.map((row) => make("tr", {}, columns.map((column) => {
      const value = column.cell ? column.cell(row) : row[column.key];
      return make("td", { className: column.numeric ? "number" : null }, value instanceof Node ? value : String(value ?? "—"));
    })));
    const figure = make("figure", { className: "table" });
    const title = make("figcaption", {}, make("span", { text: caption }));
    if (csv) title.append(make("a", { href: csv, className: "csv", download: true, text: "CSV" }));
    figure.append(title);
    if (!rows.length) figure.append(make("p", { className: "empty", text: empty || "暂无数据" }));
    // A keyboard reaches a table wider than the screen only if its scroll box can take focus.
    else figure.append(make("div", { className: "scroll", tabindex: 0, role: "region", "aria-label": caption }, make("table", {}, make("thead", {}, head), make("tbody", {}, body))));
    return figure;
  };

  window.kamengConsole = Object.freeze({
    register: (name, view) => views.set(name, view),
    api, make, money, percent, count, status, table, when, button, PLATFORM,
  });

  document.addEventListener("DOMContentLoaded", boot);
})();
