// Audit log: a station's entries (the platform owner: every station's, and a check of the whole chain),
// page by page, with the CSV export that carries each entry's hashes.
"use strict";
(() => {
  const { register, api, make, count, status, table, when, button, PLATFORM } = window.kamengConsole;

  const PAGE_SIZE = 50;
  const shown = (value) => (value === null || value === undefined ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value));
  const change = (entry) => make("span", { className: "change" }, make("code", { text: shown(entry.before) }), " → ", make("code", { text: shown(entry.after) }));

  const verifier = () => {
    const check = button("校验哈希链");
    check.id = "audit-verify";
    const answer = make("p", { id: "audit-verified", role: "status" });
    check.addEventListener("click", async () => {
      check.disabled = true;
      try {
        const result = await api("GET", "/api/owner/platform/audit/verify");
        answer.className = result.whole ? "notice" : "problem";
        answer.replaceChildren(result.whole ? `哈希链完整：共 ${count(result.entries)} 条记录。` : `哈希链断裂（共 ${count(result.entries)} 条记录）：`,
          result.whole ? "" : make("ul", { className: "problems" }, result.problems.map((problem) => make("li", { text: problem }))));
      } catch (error) {
        status(error.message, "error");
      } finally {
        check.disabled = false;
      }
    });
    return make("div", { className: "card" }, make("p", { className: "hint", text: "逐条重算整个审计日志的哈希链，与 kameng audit verify 相同；任何被修改、删除或插入的记录都会指出。" }), check, answer);
  };

  const render = async (container, { station }) => {
    const platform = station === PLATFORM;
    const base = platform ? "/api/owner/platform/audit" : `/api/owner/stations/${encodeURIComponent(station)}/audit`;
    container.append(make("h2", { text: platform ? "审计日志 · 全平台" : `审计日志 · ${station}` }));
    if (platform) container.append(verifier());
    const entries = [];
    let after = 0;
    const results = make("div", { id: "audit-entries" });
    const more = button("加载更多", "quiet");
    const columns = [
      { label: "#", key: "seq", numeric: true }, { label: "时间", cell: (e) => when(e.at) }, { label: "操作人", key: "actor" },
      ...(platform ? [{ label: "站点", key: "station" }] : []),
      { label: "操作", cell: (e) => make("code", { text: e.action }) }, { label: "对象", key: "subject" },
      { label: "之前 → 之后", cell: change },
    ];
    const load = async () => {
      const page = await api("GET", `${base}?after=${after}&limit=${PAGE_SIZE}`);
      entries.push(...page.entries);
      more.hidden = page.next_after === null || page.next_after === undefined;
      if (!more.hidden) after = page.next_after;
      results.replaceChildren(table({ caption: "记录（最早的在前）", rows: entries, empty: "还没有审计记录", csv: `${base}?format=csv`, columns }));
    };
    more.addEventListener("click", () => load().catch((error) => status(error.message, "error")));
    container.append(results, more);
    await load();
  };

  register("audit", { label: "审计日志", render });
})();
