// Bank transfers (对公转账): the station's orders waiting for a business buyer's transfer, each confirmed by
// hand with the bank's 流水号; a bank statement (CSV) imported to pay every order it names; and the bank
// payments given back, which the owner transfers to the buyer by hand and records here with their bank's
// reference (the first record stands).
"use strict";
(() => {
  const { register, api, make, money, count, status, table, when, PLATFORM } = window.kamengConsole;

  const STATUSES = { pending: "待付款", expired: "已过期（仍可入账）", paid: "已支付", awaiting_delivery: "待发货",
    delivered: "已发货", needs_attention: "待处理", refunded: "已退款", failed: "支付失败" };
  // What the API takes as a statement: the same limit it keeps (MAX_STATEMENT_BYTES).
  const MAX_STATEMENT_BYTES = 1_000_000;

  // Owners type yuan; the API counts fen, exactly.
  const fen = (text) => {
    const match = String(text).trim().match(/^(\d{1,9})(?:\.(\d{1,2}))?$/);
    return match ? Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0")) : null;
  };
  const yuan = (minor) => Math.floor(minor / 100) + "." + String(minor % 100).padStart(2, "0");
  const field = (text, control) => make("label", {}, make("span", { text }), control);
  const section = (id, title, ...children) => make("section", { className: "money-part", id }, make("h3", { text: title }), ...children);
  const link = (id) => make("a", { href: "#/orders/" + encodeURIComponent(id), text: id });
  const guarded = (work) => work().catch((error) => status(error.message, "error"));

  // The file's bytes as base64: a GBK export is not text JSON can carry as it is.
  const base64 = async (file) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let start = 0; start < bytes.length; start += 0x8000) binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
    return btoa(binary);
  };

  const confirmForm = (order, reload) => {
    const amount = make("input", { name: "amount", inputmode: "decimal", required: true, autocomplete: "off", size: 10,
      value: yuan(order.total), "aria-label": `订单 ${order.id} 到账金额（元）` });
    const bankRef = make("input", { name: "bank_ref", required: true, maxlength: 64, autocomplete: "off", size: 18,
      placeholder: "银行流水号", "aria-label": `订单 ${order.id} 银行流水号` });
    const form = make("form", { className: "confirm-transfer", "data-order": order.id, novalidate: true }, amount, " ", bankRef, " ",
      make("button", { type: "submit", text: "确认到账" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const received = fen(amount.value);
      if (!received) return status("请输入到账金额，如 100 或 99.50", "error");
      if (!bankRef.value.trim()) return status("请填写银行流水号", "error");
      const submit = form.querySelector("button");
      submit.disabled = true;
      return guarded(async () => {
        const answer = await api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/confirm-transfer`,
          { amount: received, bank_ref: bankRef.value.trim() });
        await reload();
        const now = answer.order ? STATUSES[answer.order.status] || answer.order.status : "";
        if (!answer.applied) status(answer.why || answer.reason || `订单 ${order.id} 没有变化`, "error");
        else if (answer.reason) status(`已入账，订单 ${order.id} 需人工处理：${answer.reason}`, "error");
        else status(`已确认到账：订单 ${order.id}（${now}）`, "ok");
      }).finally(() => {
        submit.disabled = false;
      });
    });
    return form;
  };

  const awaitingTable = (orders, reload) => table({ caption: "等待转账的订单（买家附言须填付款参考号）", rows: orders,
    empty: "没有等待转账的订单", columns: [
      { label: "订单号", cell: (o) => link(o.id) }, { label: "付款参考号", cell: (o) => make("code", { text: o.reference }) },
      { label: "金额", numeric: true, cell: (o) => money(o.total, o.currency) }, { label: "发票抬头", key: "invoice_title" },
      { label: "税号", key: "tax_id" }, { label: "状态", cell: (o) => STATUSES[o.status] || o.status },
      { label: "有效期至", cell: (o) => when(o.expires_at) }, { label: "确认到账（元 / 流水号）", cell: (o) => confirmForm(o, reload) },
    ] });

  const refundPaidForm = (order, reload) => {
    const bankRef = make("input", { name: "bank_ref", required: true, maxlength: 64, autocomplete: "off", size: 18,
      placeholder: "退款转账流水号", "aria-label": `订单 ${order.id} 退款转账的银行流水号` });
    const note = make("input", { name: "note", maxlength: 200, autocomplete: "off", size: 14, placeholder: "备注（可选）",
      "aria-label": `订单 ${order.id} 退款备注（可选）` });
    const form = make("form", { className: "refund-paid", "data-order": order.id, novalidate: true }, bankRef, " ", note, " ",
      make("button", { type: "submit", text: "记录已退款" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!bankRef.value.trim()) return status("请填写退款转账的银行流水号", "error");
      const submit = form.querySelector("button");
      submit.disabled = true;
      return guarded(async () => {
        const body = { bank_ref: bankRef.value.trim() };
        if (note.value.trim()) body.note = note.value.trim();
        const answer = await api("POST", `/api/owner/orders/${encodeURIComponent(order.id)}/refund-paid`, body);
        await reload();
        status(`已记录退款：订单 ${order.id}（流水号 ${answer.refund.bank_ref}）`, "ok");
      }).finally(() => {
        submit.disabled = false;
      });
    });
    return form;
  };

  const refundsTable = (owed, reload) => table({ caption: "待手工退回的转账（请从对公账户转回买家）", rows: owed, empty: "没有待退回的转账",
    columns: [
      { label: "订单号", cell: (o) => link(o.id) }, { label: "付款参考号", cell: (o) => make("code", { text: o.reference }) },
      { label: "应退金额", numeric: true, cell: (o) => money(o.refund_amount, o.refund_currency) },
      { label: "发票抬头", key: "invoice_title" }, { label: "税号", key: "tax_id" }, { label: "原流水", key: "payment_ref" },
      { label: "原因", key: "reason" }, { label: "退款单号", key: "refund_id" },
      { label: "记录已退款（流水号 / 备注）", cell: (o) => refundPaidForm(o, reload) },
    ] });

  const paidTable = (paid) => table({ caption: "已退回买家的转账（近 60 天）", rows: paid, empty: "还没有记录已退回的转账",
    columns: [
      { label: "订单号", cell: (o) => link(o.id) },
      { label: "退回金额", numeric: true, cell: (o) => money(o.refund_amount, o.refund_currency) },
      { label: "发票抬头", key: "invoice_title" }, { label: "退款流水号", cell: (o) => make("code", { text: o.bank_ref }) },
      { label: "备注", key: "note" }, { label: "退回时间", cell: (o) => when(o.paid_at) }, { label: "记录人", key: "by" },
    ] });

  const lineText = (line) => [`第 ${line.line} 行`, line.date, money(line.amount), line.payer || "", line.reference || "",
    line.bank_ref ? `流水号 ${line.bank_ref}` : ""].filter(Boolean).join(" · ");

  const lineList = (lines, className, extra) => make("ul", { className }, lines.map((line) => make("li", {},
    lineText(line), line.order_id ? [" → ", link(line.order_id), `（${STATUSES[line.status] || line.status}）`] : "",
    extra ? extra(line) : "")));

  const report = (answer) => {
    const parts = [["流水行数", answer.lines], ["已入账", answer.applied.length], ["需人工核对", answer.for_person.length],
      ["此前已入账", answer.already_imported.length]];
    return make("div", { className: "card", id: "transfers-report" },
      make("dl", { className: "facts" }, parts.map(([term, value]) => make("div", {}, make("dt", { text: term }),
        make("dd", { "data-count": term, text: count(value) })))),
      answer.applied.length ? [make("h4", { text: "已入账" }), lineList(answer.applied, "problems applied")] : "",
      answer.for_person.length ? [make("h4", { text: "需人工核对" }),
        lineList(answer.for_person, "problems for-person", (line) => make("span", { className: "problem", text: `：${line.why}` }))] : "",
      answer.already_imported.length ? [make("h4", { text: "此前已入账（未重复记账）" }), lineList(answer.already_imported, "problems already")] : "");
  };

  const importForm = (station, reload) => {
    const file = make("input", { name: "file", type: "file", accept: ".csv,text/csv", required: true });
    const result = make("div");
    const form = make("form", { className: "card search", id: "transfers-import", novalidate: true },
      field("银行流水（CSV，UTF-8 或 GBK，最大 1 MB）", file), make("button", { type: "submit", text: "导入流水" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = file.files[0];
      if (!chosen) return status("请选择银行导出的 CSV 文件", "error");
      if (chosen.size > MAX_STATEMENT_BYTES) return status("流水文件过大（最多 1 MB）：请按日期分开导出", "error");
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      return guarded(async () => {
        const answer = await api("POST", `/api/owner/stations/${encodeURIComponent(station)}/transfers/import`,
          { csv_base64: await base64(chosen) });
        result.replaceChildren(report(answer));
        form.reset();
        await reload();
        status(`已导入流水：入账 ${count(answer.applied.length)} 笔，需人工核对 ${count(answer.for_person.length)} 笔`, "ok");
      }).finally(() => {
        submit.disabled = false;
      });
    });
    return section("transfers-statement", "导入银行流水", make("p", { className: "hint",
      text: "附言里有付款参考号且金额相符的转账自动入账；同一流水号不会重复记账。" }), form, result);
  };

  const render = async (container, { station }) => {
    container.append(make("h2", { text: station === PLATFORM ? "对公转账" : `对公转账 · ${station}` }));
    if (station === PLATFORM) {
      container.append(make("p", { className: "hint", text: "请在右上角选择一个站点，查看其对公转账订单。" }));
      return;
    }
    const awaiting = make("div", { id: "transfers-awaiting" });
    const refunds = make("div", { id: "transfers-refunds" });
    const paidBack = make("div", { id: "transfers-refunds-paid" });
    const load = async () => {
      const data = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/transfers`);
      awaiting.replaceChildren(awaitingTable(data.awaiting, load));
      refunds.replaceChildren(refundsTable(data.refunds_owed, load));
      paidBack.replaceChildren(paidTable(data.refunds_paid || []));
    };
    container.append(section("transfers-orders", "等待转账", awaiting), importForm(station, load),
      section("transfers-owed", "待退回", refunds), section("transfers-paid-back", "已退回", paidBack));
    await load();
  };

  register("transfers", { label: "对公转账", render });
})();
