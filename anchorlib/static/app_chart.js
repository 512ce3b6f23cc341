// The workshop apps' chart widget (anchorlib/apps/app_chart.py). The kernel sends a Vega spec compiled
// from the Altair chart (`spec`), embedded once; when a later chart differs only in its data and title
// text, the kernel sends `updates` instead: rows for named datasets, values for the title signals and
// the ARIA description, applied to the live Vega view, so a widget change redraws without building a new view.
// vl-convert's javascript_bundle supplies `vegaEmbed` (apps/chart_bundle.py); nothing is fetched.
// After each drawing the chart's element counts it in `data-al-drawn` (benchmarks and tests wait on it).

function render({ model, el }) {
  let api = null;
  let queue = Promise.resolve();
  let base = new Map(); // dataset or signal name (or "description") -> its value in the spec: {kind, value}
  let shown = new Map(); // name -> JSON of the value the view shows

  const drawn = () => {
    el.dataset.alDrawn = String(Number(el.dataset.alDrawn || 0) + 1);
  };

  // the view to the spec's datasets and signals overlaid with `updates`: only what differs from what it
  // shows is changed (an update back to the spec's own rows is an empty list)
  async function apply() {
    if (api == null) return false;
    const target = new Map(base);
    for (const u of model.get("updates") ?? []) {
      if (u.description !== undefined) target.set("description", { kind: "description", value: u.description });
      else if (u.signal !== undefined) target.set(u.signal, { kind: "signal", value: u.value });
      else target.set(u.data, { kind: "data", value: u.values });
    }
    let changed = false;
    for (const [name, { kind, value }] of target) {
      const json = JSON.stringify(value);
      if (shown.get(name) === json) continue;
      if (kind === "description") {
        api.view.description(value);
      } else if (kind === "signal") {
        api.view.signal(name, value);
      } else {
        api.view.change(name, api.view.changeset().remove(() => true).insert(structuredClone(value)));
      }
      shown.set(name, json);
      changed = true;
    }
    if (changed) await api.view.resize().runAsync(); // resize: lay out again for the new labels' widths
    return changed;
  }

  async function embed() {
    if (api != null) {
      api.finalize();
      api = null;
    }
    el.replaceChildren();
    const spec = model.get("spec");
    if (spec == null) return;
    api = await vegaEmbed(el, structuredClone(spec), model.get("embed_options") ?? undefined);
    // vega-embed's action menu opens from an icon-only <summary>: give it a name screen readers announce
    // (axe: summary-name)
    const menu = el.querySelector("details > summary");
    if (menu) menu.setAttribute("aria-label", "Chart menu: save the chart as SVG or PNG, view its source");
    base = new Map();
    for (const d of spec.data ?? []) if (d.values !== undefined) base.set(d.name, { kind: "data", value: d.values });
    for (const s of spec.signals ?? []) if (s.value !== undefined) base.set(s.name, { kind: "signal", value: s.value });
    if (spec.description !== undefined) base.set("description", { kind: "description", value: spec.description });
    shown = new Map([...base].map(([name, { value }]) => [name, JSON.stringify(value)]));
    await apply();
    drawn();
  }

  async function update() {
    if (await apply()) drawn();
  }

  const fail = (error) => {
    console.error(error);
    el.textContent = "This chart could not be drawn: " + error.message;
  };
  // one step at a time: an update waits for the embedding before it (both read the model's latest state)
  const enqueue = (step) => (queue = queue.then(step).catch(fail));

  model.on("change:spec", () => enqueue(embed));
  model.on("change:updates", () => enqueue(update));
  return enqueue(embed).then(() => () => {
    if (api != null) api.finalize();
  });
}

export default { render };
