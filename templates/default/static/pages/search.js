// The search page: filters the station's /search.json as the shopper types. Every term must occur somewhere
// in a product's text, as a substring: Chinese is written without spaces, so nothing is split into words.
// Products whose title holds every term come first. Text is set with textContent, never as HTML.
"use strict";
(() => {
  const input = document.getElementById("search-q");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  if (!input || !list || !status) return;
  const { make } = window.kameng;
  const everything = status.textContent;
  const fold = (value) => value.toLocaleLowerCase();
  const termsOf = (query) => fold(query).split(/\s+/).filter(Boolean);

  const render = (products, query) => {
    const terms = termsOf(query);
    const matches = [];
    for (const product of products) {
      if (!terms.every((term) => product.text.includes(term))) continue;
      matches.push({ product, inTitle: terms.every((term) => product.title.includes(term)) });
    }
    // Array.prototype.sort is stable: within each group the station's own order stays.
    matches.sort((a, b) => Number(b.inTitle) - Number(a.inTitle));
    list.replaceChildren(...matches.map(({ product }) => row(product.entry)));
    const template = matches.length ? status.dataset.tFound : status.dataset.tNone;
    status.textContent = terms.length ? template.replace("{count}", String(matches.length)) : everything;
  };

  const row = (entry) => {
    const link = make("a");
    link.href = entry.url;
    link.append(make("span", "result-title", entry.title));
    if (entry.summary) link.append(" ", make("span", "card-summary", entry.summary));
    const item = make("li");
    item.append(link, " ", make("span", "card-price", entry.price));
    return item;
  };

  const start = (entries) => {
    const products = entries.map((entry) => ({
      entry,
      title: fold(entry.title),
      text: fold([entry.title, entry.summary, entry.category, ...entry.tags].join("\n")),
    }));
    // What the shopper typed while the index was loading wins over the address's q.
    if (!input.value) input.value = new URLSearchParams(location.search).get("q") || "";
    if (input.value.trim()) render(products, input.value);
    input.addEventListener("input", () => {
      const url = new URL(location.href);
      if (input.value.trim()) url.searchParams.set("q", input.value);
      else url.searchParams.delete("q");
      // Back and a shared link bring the same results.
      history.replaceState(null, "", url);
      render(products, input.value);
    });
    input.form.addEventListener("submit", (event) => {
      event.preventDefault();
      render(products, input.value);
    });
  };

  fetch("/search.json", { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .then(start)
    // Without the index the page keeps listing every product: the form still leads somewhere.
    .catch(() => {});
})();
