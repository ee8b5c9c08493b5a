// Search of the dataset listing (/datasets/, /en/datasets/): Pagefind's index of the dataset and API pages,
// facets (the type facet tells datasets from APIs), results.
// Progressive enhancement: without JavaScript, or without an index, the page stays the plain listing that
// every search form of the site submits to. The state lives in the URL (?q=word&organization=Name&tag=x),
// so a search can be bookmarked, shared and navigated with the browser's back button.

const FACETS = ["type", "organization", "tag", "format", "access", "license", "frequency", "hvd"];
const SHOWN = 5; // facet values shown before "Show all"
const PAGE = 20; // results per "More results"

const app = document.getElementById("search-app");
const strings = JSON.parse(app.dataset.strings);
const form = document.querySelector(".search-page-form");
const input = form.querySelector("input[name=q]");
const facetsBox = document.getElementById("search-facets");
let facetsList = null; // inside a <details>, open on wide screens, closed on phones (results come first)
const statusBox = document.getElementById("search-status");
const resultsBox = document.getElementById("search-results");
const listing = document.getElementById("dataset-listing");

let pagefind = null;
let allFilters = {};
let current = null; // the running search's results
let shown = 0;
let generation = 0; // drops the answers of searches overtaken by newer ones

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const facet of FACETS) {
    const values = params.getAll(facet);
    if (values.length) filters[facet] = values;
  }
  return { q: (params.get("q") || "").trim(), filters };
}

function stateFromForm() {
  const filters = {};
  for (const box of facetsBox.querySelectorAll("input[type=checkbox]:checked")) {
    (filters[box.name] ||= []).push(box.value);
  }
  return { q: input.value.trim(), filters };
}

function urlOf(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const [facet, values] of Object.entries(state.filters)) for (const v of values) params.append(facet, v);
  const query = params.toString();
  return location.pathname + (query ? `?${query}` : "");
}

// Pagefind's excerpt is HTML with <mark> around the words found: rebuild it as text nodes and <mark>
// elements, so nothing else from the index can ever become markup.
function excerptNodes(html) {
  const parser = new DOMParser();
  return html.split(/(<mark>.*?<\/mark>)/).map((part) => {
    const marked = part.startsWith("<mark>");
    const text = parser.parseFromString(marked ? part.slice(6, -7) : part, "text/html").body.textContent;
    return marked ? el("mark", { text }) : document.createTextNode(text);
  });
}

function renderFacets(state, counts) {
  const focused = facetsBox.contains(document.activeElement) ? document.activeElement : null;
  const open = new Set([...facetsBox.querySelectorAll("fieldset.expanded")].map((f) => f.dataset.facet));
  facetsList.replaceChildren();
  for (const facet of FACETS) {
    const totals = allFilters[facet] || {};
    const chosen = new Set(state.filters[facet] || []);
    const countOf = (value) => (counts && counts[facet] ? counts[facet][value] || 0 : totals[value]);
    const values = Object.keys(totals)
      .filter((value) => chosen.has(value) || countOf(value) > 0) // values that would give no result are left out
      .sort((a, b) => countOf(b) - countOf(a) || a.localeCompare(b));
    if (!values.length) continue;
    const fieldset = el("fieldset", { class: "facet", "data-facet": facet }, el("legend", { text: strings[facet] }));
    const list = el("ul");
    values.forEach((value, i) => {
      const id = `facet-${facet}-${i}`;
      const count = countOf(value);
      const box = el("input", { type: "checkbox", id, name: facet, value });
      box.checked = chosen.has(value);
      const item = el(
        "li",
        {},
        box,
        el("label", { for: id }, value, " ", el("span", { class: "facet-count", text: `(${count})` })),
      );
      if (i >= SHOWN && !chosen.has(value)) item.classList.add("facet-extra");
      list.append(item);
    });
    fieldset.append(list);
    if (values.length > SHOWN) {
      const toggle = el("button", { type: "button", class: "link-button", "aria-expanded": "false" });
      const expand = (on) => {
        fieldset.classList.toggle("expanded", on);
        toggle.setAttribute("aria-expanded", String(on));
        toggle.textContent = on ? strings.fewer : `${strings.more} (${values.length})`;
      };
      toggle.addEventListener("click", () => expand(!fieldset.classList.contains("expanded")));
      expand(open.has(facet));
      fieldset.append(toggle);
    }
    facetsList.append(fieldset);
  }
  const clear = el("button", { type: "button", class: "button-secondary", text: strings.clear });
  clear.addEventListener("click", () => {
    input.value = "";
    for (const box of facetsBox.querySelectorAll("input:checked")) box.checked = false;
    update(true);
  });
  facetsList.append(clear);
  if (focused && focused.type === "checkbox") {
    // the list was rebuilt with new counts: give the keyboard focus back to the same checkbox
    for (const box of facetsBox.querySelectorAll(`input[name="${focused.name}"]`)) {
      if (box.value === focused.value) box.focus();
    }
  }
}

async function showMore() {
  const batch = current.results.slice(shown, shown + PAGE);
  const mine = generation;
  const data = await Promise.all(batch.map((r) => r.data()));
  if (mine !== generation) return;
  for (const item of data) {
    const link = el("a", { href: item.url, text: item.meta.title || item.url });
    resultsBox.append(
      el(
        "li",
        { class: "card search-result" },
        el("h2", { class: "card-title" }, link),
        el("p", { class: "card-meta", text: [item.meta.kind, item.meta.organization].filter(Boolean).join(" · ") }),
        el("p", { class: "search-excerpt" }, ...excerptNodes(item.excerpt || "")),
      ),
    );
  }
  shown += batch.length;
  document.getElementById("search-more")?.remove();
  if (shown < current.results.length) {
    const more = el("button", { type: "button", id: "search-more", text: strings.next });
    more.addEventListener("click", async () => {
      const first = shown;
      await showMore();
      resultsBox.children[first]?.querySelector("a")?.focus();
    });
    resultsBox.after(more);
  }
}

async function run(state) {
  const mine = ++generation;
  const active = state.q || Object.keys(state.filters).length;
  if (!active) {
    current = null;
    resultsBox.hidden = true;
    resultsBox.replaceChildren();
    document.getElementById("search-more")?.remove();
    listing.hidden = false;
    statusBox.textContent = "";
    renderFacets(state, null);
    return;
  }
  const filters = Object.fromEntries(Object.entries(state.filters).map(([k, v]) => [k, { any: v }]));
  const search = await pagefind.search(state.q || null, { filters });
  if (mine !== generation || !search) return;
  current = search;
  shown = 0;
  listing.hidden = true;
  resultsBox.hidden = false;
  resultsBox.replaceChildren();
  document.getElementById("search-more")?.remove();
  const n = search.results.length;
  statusBox.textContent = n === 0 ? strings.none : n === 1 ? strings.one : strings.many.replace("{n}", n);
  renderFacets(state, search.filters);
  await showMore();
}

function update(push) {
  const state = stateFromForm();
  const url = urlOf(state);
  if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
  return run(state);
}

// The index may be in shards (a Pagefind bundle each, named by content): shards.json lists their folders.
// The first is opened, the others are merged into it (Pagefind combines their results and filter counts and
// loads the WebAssembly once). A site without the list has the one bundle of old.
async function shardFolders() {
  try {
    const response = await fetch(`${app.dataset.bundle}shards.json`);
    if (response.ok) return (await response.json()).shards;
  } catch {
    // no list: the one bundle
  }
  return [""];
}

async function start() {
  try {
    const [first, ...others] = await shardFolders();
    pagefind = await import(`${app.dataset.bundle}${first}pagefind.js`);
    await pagefind.options({ baseUrl: app.dataset.base });
    await pagefind.init();
    const merge = (folder) => pagefind.mergeIndex(`${app.dataset.bundle}${folder}`, { baseUrl: app.dataset.base });
    await Promise.all(others.map(merge));
    allFilters = await pagefind.filters();
  } catch {
    return; // no index (built without Pagefind): the plain listing stays
  }
  const state = stateFromUrl();
  input.value = state.q;
  facetsList = el("div", { class: "facets-list" });
  const details = el("details", {}, el("summary", { class: "facets-title", text: strings.filters }), facetsList);
  details.open = window.matchMedia("(min-width: 50rem)").matches;
  facetsBox.append(details);
  facetsBox.hidden = false;
  app.classList.add("is-enhanced");
  let timer = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    update(true);
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => update(false), 250);
  });
  facetsBox.addEventListener("change", () => update(true));
  window.addEventListener("popstate", () => {
    const s = stateFromUrl();
    input.value = s.q;
    run(s);
  });
  await run(state);
  app.dataset.ready = "true"; // for the tests: the index is loaded and the first state shown
}

start();
