// Stock: per-SKU counts and thresholds for every station; on the main station, which holds the supply,
// and for a substation's own goods, key files imported by upload and keys voided.
"use strict";
(() => {
  const { register, api, make, count, status, table, button, PLATFORM } = window.kamengConsole;

  // The browser sets these itself and refuses to be told.
  const BROWSER_HEADERS = new Set(["content-length", "host"]);
  const REJECTED_SHOWN = 50;

  const skuPicker = (skus, id) => make("select", { name: "sku", id, required: true },
    skus.map((row) => make("option", { value: row.sku, text: `${row.sku}${row.title ? " · " + row.title : ""}` })));

  const countsTable = (station, listing) => table({
    caption: "库存", rows: listing.skus, empty: "此站点没有 SKU",
    csv: `/api/owner/stations/${encodeURIComponent(station)}/stock?format=csv`,
    columns: [
      { label: "SKU", key: "sku" }, { label: "商品", key: "title" },
      { label: "可售", numeric: true, cell: (r) => count(r.available) }, { label: "已预留", numeric: true, cell: (r) => count(r.reserved) },
      { label: "已售", numeric: true, cell: (r) => count(r.sold) }, { label: "作废", numeric: true, cell: (r) => count(r.void) },
      { label: "低库存阈值", numeric: true, cell: (r) => `${count(r.low_stock)}${r.low_stock_set ? "（后台设置）" : ""}` },
      { label: "状态", cell: (r) => (r.low ? make("strong", { className: "low", text: "库存不足" }) : "正常") },
    ],
  });

  const form = (id, title, ...fields) => make("form", { className: "card stack", id }, make("h3", { text: title }), ...fields);
  const field = (text, control) => make("label", {}, make("span", { text }), control);

  const thresholdForm = (station, skus, reload) => {
    const sku = skuPicker(skus, "threshold-sku");
    const value = make("input", { name: "low_stock", type: "number", min: 0, step: 1, inputmode: "numeric", placeholder: "留空：恢复内容里的阈值" });
    const shown = () => {
      const row = skus.find((r) => r.sku === sku.value);
      value.value = row && row.low_stock_set ? row.low_stock : "";
    };
    sku.addEventListener("change", shown);
    shown();
    const element = form("stock-threshold", "低库存阈值", field("SKU", sku), field("可售低于此数时提醒", value),
      make("button", { type: "submit", text: "保存阈值" }));
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = value.value.trim();
      try {
        await api("POST", `/api/owner/stations/${encodeURIComponent(station)}/stock/thresholds`,
          { sku: sku.value, low_stock: text === "" ? null : Number(text) });
        await reload();
        status("阈值已保存", "ok");
      } catch (error) {
        status(error.message, "error");
      }
    });
    return element;
  };

  // Straight to storage (S3's presigned URL in production): the API never carries the file.
  const put = (target, file, progress) => new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(target.method || "PUT", target.url);
    for (const [name, value] of Object.entries(target.headers || {})) {
      if (!BROWSER_HEADERS.has(name.toLowerCase())) request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = event.loaded / event.total;
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      let message = `上传失败（HTTP ${request.status}）`;
      try {
        message = JSON.parse(request.responseText).error.message || message;
      } catch {
        // S3 answers in XML: the status says enough.
      }
      return reject(new Error(message));
    });
    request.addEventListener("error", () => reject(new Error("上传失败：无法连接存储，请检查网络后重试")));
    request.send(file);
  });

  const importReport = (report) => make("div", { className: "card", id: "import-report" },
    make("h3", { text: "导入结果" }),
    make("dl", { className: "facts" }, [["新增", report.added], ["重复（已有的卡密）", report.duplicates], ["无效行", report.rejected]]
      .map(([term, value]) => make("div", {}, make("dt", { text: term }), make("dd", { "data-count": term, text: count(value) })))),
    (report.rejected_lines || []).length ? make("ul", { className: "problems" }, report.rejected_lines.slice(0, REJECTED_SHOWN)
      .map((line) => make("li", { text: `第 ${line.line} 行：${line.reason}` }))) : "");

  const importForm = (skus, reload) => {
    const sku = skuPicker(skus, "import-sku");
    const file = make("input", { name: "file", type: "file", accept: ".txt,.csv,text/plain,text/csv", required: true });
    const progress = make("progress", { max: 1, value: 0, hidden: true });
    const result = make("div");
    const element = form("stock-import", "导入卡密文件", make("p", { className: "hint",
      text: ".txt：每行一张卡密；.csv：卡密,密码。最大 20 MB（约 50 万张）。已有的卡密会被跳过。" }),
    field("SKU", sku), field("文件", file), make("button", { type: "submit", text: "上传并导入" }), progress, result);
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = file.files[0];
      if (!chosen) return status("请选择卡密文件", "error");
      const submit = element.querySelector("button[type=submit]");
      submit.disabled = true;
      progress.hidden = false;
      progress.value = 0;
      result.replaceChildren();
      try {
        status("正在上传…");
        const target = await api("POST", "/api/owner/stock/uploads", { sku: sku.value, filename: chosen.name, size: chosen.size });
        await put(target, chosen, progress);
        status("上传完成，正在导入…");
        progress.removeAttribute("value");
        const report = await api("POST", "/api/owner/stock/imports", { upload_id: target.upload_id });
        result.replaceChildren(importReport(report));
        await reload();
        status(`已导入 ${count(report.added)} 张卡密`, "ok");
      } catch (error) {
        status(error.message, "error");
      } finally {
        submit.disabled = false;
        progress.hidden = true;
      }
      return undefined;
    });
    return element;
  };

  const voidForm = (skus, reload) => {
    const sku = skuPicker(skus, "void-sku");
    const codes = make("textarea", { name: "codes", rows: 5, autocomplete: "off", spellcheck: "false" });
    const result = make("div");
    const element = form("stock-void", "作废卡密", make("p", { className: "hint", text: "每行一张卡密，一次最多 1,000 张。只有可售的卡密会被作废；已预留或已售的会列出并保留。" }),
      field("SKU", sku), field("卡密", codes), make("button", { type: "submit", className: "danger", text: "作废" }), result);
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      const list = codes.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
      if (!list.length) return status("请粘贴要作废的卡密", "error");
      if (!confirm(`作废 ${list.length} 张卡密？此操作不可撤销。`)) return undefined;
      try {
        const done = await api("POST", "/api/owner/stock/void", { sku: sku.value, codes: list });
        codes.value = "";
        result.replaceChildren(make("ul", { className: "problems" },
          make("li", { text: `已作废 ${count(done.voided.length)} 张` }),
          done.held.map((held) => make("li", { text: `${held.key_id}：${held.status}，未作废` })),
          done.unknown.map((code) => make("li", { text: `${code}：此 SKU 没有这张卡密` }))));
        await reload();
        status(`已作废 ${count(done.voided.length)} 张卡密`, "ok");
      } catch (error) {
        status(error.message, "error");
      }
      return undefined;
    });
    return element;
  };

  const render = async (container, { station, me }) => {
    container.append(make("h2", { text: "库存" }));
    if (station === PLATFORM) {
      container.append(make("p", { className: "hint", text: "请在右上角选择一个站点查看其库存。" }));
      return;
    }
    const counts = make("div", { id: "stock-counts" });
    const listing = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/stock`);
    const skus = listing.skus;
    const reload = async () => {
      const fresh = await api("GET", `/api/owner/stations/${encodeURIComponent(station)}/stock`);
      skus.splice(0, skus.length, ...fresh.skus);
      counts.replaceChildren(countsTable(station, fresh));
    };
    counts.append(countsTable(station, listing));
    container.append(counts);
    if (!skus.length) return;
    const forms = make("div", { className: "forms" }, thresholdForm(station, skus, reload));
    // Keys live in the main station's supply; a substation sells them and only sees their counts, but
    // imports and voids the keys of its own goods (独立商品库).
    const own = station === me.main_station ? skus : skus.filter((row) => row.own_goods);
    if (own.length) forms.append(importForm(own, reload), voidForm(own, reload));
    container.append(forms);
    const refresh = button("刷新", "quiet");
    refresh.addEventListener("click", () => reload().catch((error) => status(error.message, "error")));
    container.append(refresh);
  };

  register("stock", { label: "库存", render });
})();
