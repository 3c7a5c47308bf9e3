// Money: the station's balance with the platform and its payouts (提现), the settlement statement,
// referrers' withdrawals and the coupons given. The platform owner alone decides payouts.
"use strict";
(() => {
  const { register, api, make, money, status, table, when, button, PLATFORM } = window.kamengConsole;

  const PAYOUT_STATUSES = { requested: "待审核", approved: "已批准", paid: "已打款", rejected: "已拒绝" };
  const WITHDRAWAL_STATUSES = { requested: "待处理", paid: "已打款", rejected: "已拒绝" };
  const COUPON_STATES = { available: "可用", used: "已使用", expired: "已过期" };
  const METHODS = { alipay: "支付宝", wechat: "微信", bank: "银行卡" };
  // The platform's steps for a payout, by the status it is in.
  const PAYOUT_STEPS = { requested: [["approve", "批准"], ["reject", "拒绝"]], approved: [["paid", "标记已打款"], ["reject", "拒绝"]] };

  // Owners type yuan; the API counts fen, exactly.
  const fen = (text) => {
    const match = String(text).trim().match(/^(\d{1,9})(?:\.(\d{1,2}))?$/);
    return match ? Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0")) : null;
  };
  const field = (text, control) => make("label", {}, make("span", { text }), control);
  const section = (id, title, ...children) => make("section", { className: "money-part", id }, make("h3", { text: title }), ...children);
  const guarded = (work) => work().catch((error) => status(error.message, "error"));

  const stepButtons = (steps, run) => make("span", { className: "row-actions" }, steps.map(([action, text]) => {
    const control = button(text, action === "reject" ? "quiet" : "");
    control.dataset.action = action;
    control.addEventListener("click", () => {
      const note = prompt(action === "reject" ? "拒绝原因（会记入审计日志）" : "备注，如转账流水号（可留空）", "");
      if (note === null) return;
      control.disabled = true;
      guarded(() => run(action, note.trim() || undefined)).finally(() => {
        control.disabled = false;
      });
    });
    return control;
  }));

  const payouts = (station, me) => {
    const part = section("money-payouts", "站点结算与提现");
    const load = async () => {
      const data = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/payouts`);
      const decide = async (payout, action, note) => {
        await api("POST", `/api/owner/payouts/${encodeURIComponent(station)}/${encodeURIComponent(payout.id)}`, { action, note });
        await load();
        status("已更新提现申请", "ok");
      };
      const platform = me.role === "platform_owner";
      const figures = [["应结余额", data.balance_due], ["提现占用", data.committed], ["可提现", data.available]];
      const ask = make("form", { className: "card search", id: "payout-request" },
        field("提现金额（元）", make("input", { name: "amount", inputmode: "decimal", required: true, autocomplete: "off" })),
        field("备注", make("input", { name: "note", maxlength: 200, autocomplete: "off" })), make("button", { type: "submit", text: "申请提现" }));
      ask.addEventListener("submit", (event) => {
        event.preventDefault();
        const amount = fen(ask.elements.amount.value);
        if (!amount) return status("请输入金额，如 100 或 99.50", "error");
        return guarded(async () => {
          await api("POST", `/api/owner/stations/${encodeURIComponent(station)}/payouts`, { amount, note: ask.elements.note.value.trim() || undefined });
          await load();
          status("已提交提现申请", "ok");
        });
      });
      part.replaceChildren(part.firstChild,
        make("dl", { className: "card facts" }, figures.map(([term, value]) => make("div", {}, make("dt", { text: term }), make("dd", { text: money(value, data.currency) })))),
        ask,
        table({ caption: "提现申请", rows: data.payouts, empty: "还没有提现申请", columns: [
          { label: "申请时间", cell: (p) => when(p.requested_at) }, { label: "金额", numeric: true, cell: (p) => money(p.amount, p.currency) },
          { label: "状态", cell: (p) => PAYOUT_STATUSES[p.status] || p.status }, { label: "申请人", key: "requested_by" },
          { label: "备注", key: "note" }, { label: "处理人", key: "decided_by" }, { label: "处理备注", key: "decision_note" },
          { label: "", cell: (p) => (platform && PAYOUT_STEPS[p.status] ? stepButtons(PAYOUT_STEPS[p.status], (action, note) => decide(p, action, note)) : "") },
        ] }));
    };
    return { part, load };
  };

  const statement = (station) => {
    const from = make("input", { name: "from", type: "date" });
    const to = make("input", { name: "to", type: "date" });
    const form = make("form", { className: "card search" }, field("开始日期", from), field("结束日期", to), make("button", { type: "submit", text: "查看" }));
    const result = make("div");
    const part = section("money-statement", "结算对账单", form, result);
    const load = async () => {
      const query = new URLSearchParams();
      if (from.value) query.set("from", from.value);
      if (to.value) query.set("to", to.value);
      const data = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/statement?${query}`);
      const csv = new URLSearchParams({ from: data.from, to: data.to, format: "csv" });
      const amount = (name) => ({ label: name, numeric: true, cell: (line) => money(line[name], data.currency) });
      result.replaceChildren(
        make("p", { className: "hint", text: `${data.from} 至 ${data.to}：实付 ${money(data.totals.paid, data.currency)}，应结 ${money(data.totals.balance_due, data.currency)}` }),
        table({ caption: "订单明细", rows: data.lines, empty: "这段时间没有订单",
          csv: `/api/owner/stations/${encodeURIComponent(station)}/statement?${csv}`,
          columns: [{ label: "订单号", key: "order_id" }, { label: "状态", key: "status" }, amount("paid"), amount("gross"),
            amount("own_sales"), amount("wholesale"), amount("discounts"), amount("platform_fee"), amount("commissions"), amount("refunded"), amount("net"),
            amount("transferred"), amount("balance_due")] }));
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      guarded(load);
    });
    return { part, load };
  };

  const withdrawals = (station) => {
    const filter = make("select", { name: "status" }, make("option", { value: "", text: "全部" }),
      Object.entries(WITHDRAWAL_STATUSES).map(([value, text]) => make("option", { value, text })));
    const result = make("div");
    const part = section("money-withdrawals", "推荐人提现", make("div", { className: "card search" }, field("状态", filter)), result);
    const load = async () => {
      const query = filter.value ? `?status=${encodeURIComponent(filter.value)}` : "";
      const data = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/withdrawals${query}`);
      const settle = async (withdrawal, action, note) => {
        await api("POST", `/api/owner/withdrawals/${encodeURIComponent(station)}/${encodeURIComponent(withdrawal.id)}`, { action, note });
        await load();
        status(action === "pay" ? "已标记为已打款" : "已拒绝，金额退回推荐人", "ok");
      };
      result.replaceChildren(table({ caption: "提现申请（先线下打款，再标记已打款）", rows: data.withdrawals, empty: "没有推荐人提现申请", columns: [
        { label: "申请时间", cell: (w) => when(w.requested_at) }, { label: "推荐人", key: "referrer" },
        { label: "金额", numeric: true, cell: (w) => money(w.amount, data.currency) }, { label: "方式", cell: (w) => METHODS[w.method] || w.method },
        { label: "收款账号", key: "account" }, { label: "收款人", key: "name" }, { label: "状态", cell: (w) => WITHDRAWAL_STATUSES[w.status] || w.status },
        { label: "", cell: (w) => (w.status === "requested" ? stepButtons([["pay", "标记已打款"], ["reject", "拒绝"]], (action, note) => settle(w, action, note)) : "") },
      ] }));
    };
    filter.addEventListener("change", () => guarded(load));
    return { part, load };
  };

  const coupons = (station) => {
    const give = make("form", { className: "card search", id: "coupon-give" },
      field("买家邮箱", make("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
      field("面额（元）", make("input", { name: "amount", inputmode: "decimal", required: true, autocomplete: "off" })),
      field("有效天数", make("input", { name: "days", type: "number", min: 1, step: 1, inputmode: "numeric" })),
      field("原因", make("input", { name: "reason", maxlength: 200, autocomplete: "off" })), make("button", { type: "submit", text: "发放优惠券" }));
    const result = make("div");
    const part = section("money-coupons", "优惠券", give, result);
    const load = async () => {
      const data = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/coupons`);
      result.replaceChildren(table({ caption: "已发放的优惠券（最新在前）", rows: data.coupons, empty: "还没有发放优惠券", columns: [
        { label: "发放时间", cell: (c) => when(c.issued_at) }, { label: "券码", key: "code" }, { label: "来源", key: "source" },
        { label: "面额", numeric: true, cell: (c) => (c.kind === "percent" ? `${c.percent}%` : money(c.amount, data.currency)) },
        { label: "门槛", numeric: true, cell: (c) => money(c.min_spend, data.currency) }, { label: "到期", cell: (c) => when(c.ends) },
        { label: "状态", cell: (c) => COUPON_STATES[c.state] || c.state }, { label: "买家", key: "email" },
      ] }));
    };
    give.addEventListener("submit", (event) => {
      event.preventDefault();
      const amount = fen(give.elements.amount.value);
      if (!amount) return status("请输入面额，如 10 或 5.50", "error");
      const days = give.elements.days.value ? Number(give.elements.days.value) : undefined;
      return guarded(async () => {
        const given = await api("POST", `/api/owner/stations/${encodeURIComponent(station)}/coupons`,
          { email: give.elements.email.value.trim(), amount, days, reason: give.elements.reason.value.trim() || undefined });
        give.reset();
        await load();
        status(`已向 ${given.email} 发放优惠券 ${given.code}`, "ok");
      });
    });
    return { part, load };
  };

  const render = async (container, { station, me }) => {
    container.append(make("h2", { text: station === PLATFORM ? "资金" : `资金 · ${station}` }));
    if (station === PLATFORM) {
      container.append(make("p", { className: "hint", text: "请在右上角选择一个站点，查看其结算、提现和优惠券。" }));
      return;
    }
    const parts = [payouts(station, me), statement(station), withdrawals(station), coupons(station)];
    container.append(...parts.map((part) => part.part));
    await Promise.all(parts.map((part) => part.load()));
  };

  register("money", { label: "资金", render });
})();
