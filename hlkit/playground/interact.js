// What a person can do with the Playground's live view (issue 13): hover or focus a neuron to see its map large on the
// boundary canvas; click (or Enter on) a neuron or a link to read and edit its bias and incoming weights (the
// kernel sets them, training goes on from there); a colour legend; a one-line explanation on every element; text
// alternatives for the canvases and a throttled live region for the status line. Only adds elements around the
// canvases: view.js paints them and knows nothing of this but interactions() (called by its render) and
// parts.geometry (where paintNetwork put the nodes). view.py joins view.js and this file into one ES module, so
// view.js's helpers (bytes, floats, image, SIGNED) are in scope here.

const LABEL_MS = 2000;      // canvases' aria-labels: at most one update per 2 s while training
const ANNOUNCE_MS = 5000;   // the live region: at most one announcement per 5 s while training
const EXPLAIN = {
  boundary: "Decision boundary: the colour at each point of the input plane is the class the network predicts " +
    "there, paler where it is less sure (see the legend). Dots are training points, diamonds test points.",
  loss: "Loss curve: loss (solid lines, scale on the left) and accuracy (dashed, scale on the right) on the " +
    "training data (dark) and the test data (red), per epoch.",
  network: "The network, inputs on the left, output on the right. Each square is a neuron's map: its output at " +
    "every point of the input plane (the same square as the decision boundary), blue where positive, orange " +
    "where negative, white near zero. Lines are weights: blue positive, orange negative, thicker = larger. " +
    "Hover or focus a neuron to see its map large; click a neuron or a line to edit it.",
  status: "The run now: epoch, state (training, paused, done), loss and accuracy on the training and test " +
    "points, time per epoch, number of parameters. Screen readers announce it at most every 5 s.",
  input: "the value of this input feature at every point of the input plane (blue high, orange low).",
  hidden: "this neuron's output at every point of the input plane, the square of the decision boundary: blue " +
    "positive, orange negative, white zero. Click or press Enter to edit its bias and incoming weights.",
  output: "the network's answer at every point of the input plane: the decision boundary. Click or press Enter " +
    "to edit its bias and incoming weights.",
};
let hlInstances = 0;         // element ids stay unique when a notebook shows several views

function neuronName(layers, l, i) {
  const shown = layers.shown || [], last = shown.length - 1;
  if (l === 0) return "input " + ((layers.names || [])[i] || "x" + (i + 1));
  if (l === last) return shown[l] === 1 ? "output neuron" : "output neuron " + (i + 1) + " (class " + i + ")";
  return "hidden layer " + l + ", neuron " + (i + 1);
}

function percent(v) {
  return Math.round(100 * v) + " %";
}

function lastRow(model) {   // [epoch, loss train, loss test, accuracy train, accuracy test] of the newest epoch
  const rows = floats(model, "loss"), n = rows.length / 5;
  return n >= 1 ? Array.from(rows.slice(5 * (n - 1), 5 * n)) : null;
}

function runState(model) {   // "training", "paused", "done", ... from the status line
  const m = /\(([^)]*)\)/.exec(model.get("status") || "");
  return m ? m[1] : "";
}

function weightAt(model, layers, l, o, i) {   // weight into neuron o of column l from neuron i of column l - 1
  const shown = layers.shown, w = floats(model, "weights");
  let k = 0;
  for (let j = 1; j < l; j++) k += shown[j] * shown[j - 1];
  return w[k + o * shown[l - 1] + i];
}

function biasAt(model, layers, l, o) {
  const shown = layers.shown, b = floats(model, "biases");
  let k = 0;
  for (let j = 1; j < l; j++) k += shown[j];
  return b[k + o];
}

function describe(model) {   // the canvases' text alternatives, from the model's newest state
  const row = lastRow(model), layers = model.get("layers"), sizes = layers.sizes || [];
  const text = model.get("status") || "";   // its numbers win: after an edit they are the edited network's
  const loss = /loss train ([\d.]+) \/ test ([\d.]+)/.exec(text);
  const acc = /accuracy train ([\d.]+)% \/ test ([\d.]+)%/.exec(text);
  if (row && loss) { row[1] = +loss[1]; row[2] = +loss[2]; }
  if (row && acc) { row[3] = acc[1] / 100; row[4] = acc[2] / 100; }
  const edited = text.includes("edited: ") ? "edited by hand, " : "";
  const epochs = model.get("epochs"), state = runState(model);
  const at = row ? "epoch " + row[0] + " of " + epochs + (state ? " (" + state + ")" : "") : "not trained yet";
  const classes = sizes.length ? Math.max(2, sizes[sizes.length - 1]) : 0;
  const boundary = "decision boundary: " + edited + (row ? "test accuracy " + percent(row[4]) +
    ", training accuracy " + percent(row[3]) + ", " : "") + at + (classes ? ", " + classes + " classes" : "");
  const curve = "loss curve: " + (row ? "training loss " + row[1].toFixed(3) + ", test loss " + row[2].toFixed(3) +
    ", accuracy training " + percent(row[3]) + ", test " + percent(row[4]) + ", " : "") + at;
  let network = "network diagram";
  if (sizes.length) {
    const hidden = sizes.slice(1, -1), w = floats(model, "weights");
    let lo = Infinity, hi = -Infinity;
    for (const v of w) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    network = "network: " + sizes[0] + " inputs (" + (layers.names || []).join(", ") + "), " +
      (hidden.length ? "hidden layers of " + hidden.join(", ") + " neurons, " : "no hidden layer, ") +
      sizes[sizes.length - 1] + " output" + (sizes[sizes.length - 1] > 1 ? "s" : "") +
      "; each neuron shows its output over the input plane" +
      (w.length ? "; weights from " + lo.toFixed(2) + " to " + hi.toFixed(2) : "");
  }
  return { boundary, loss: curve, network };
}

function wrap(element, style) {   // put a positioned box around element, where it was
  const box = document.createElement("div");
  Object.assign(box.style, style);
  element.replaceWith(box);
  box.append(element);
  return box;
}

function interactions(model, parts, { root, status, boundary, loss }) {
  const id = "hl-" + (++hlInstances) + "-";
  const timers = {};
  parts.afterPaint = parts.afterPaint || [];

  const style = document.createElement("style");
  style.textContent = `
    .hl-live .hl-node { position: absolute; background: transparent; border: 0; padding: 0; margin: 0;
      cursor: pointer; pointer-events: auto; border-radius: 2px; }
    .hl-live .hl-node:hover { outline: 2px solid #111; outline-offset: 1px; }
    .hl-live .hl-node:focus-visible, .hl-live .hl-editor :focus-visible {
      outline: 3px solid #111; outline-offset: 2px; box-shadow: 0 0 0 5px #fff; }
    .hl-live .hl-editor { position: absolute; z-index: 3; background: #fff; border: 1px solid #555;
      border-radius: 4px; padding: 6px 8px; font: 12px sans-serif; box-shadow: 0 2px 6px rgba(0,0,0,.25);
      min-width: 220px; }
    .hl-live .hl-editor label { display: flex; justify-content: space-between; gap: 8px; margin: 2px 0; }
    .hl-live .hl-editor input { width: 6em; font: 12px monospace; }
    .hl-live .hl-editor input[aria-invalid="true"] { border: 2px solid #b00020; }
    .hl-live .hl-editor .hl-edit-message { min-height: 1.2em; max-width: 260px; margin-top: 4px; }
    .hl-live .hl-editor .hl-edit-message.hl-refused { color: #b00020; }
    .hl-live .hl-hint { position: absolute; z-index: 2; pointer-events: none; background: #fff;
      border: 1px solid #777; padding: 2px 5px; font: 11px sans-serif; max-width: 250px; }
    .hl-live .hl-visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
      clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
    .hl-live .hl-legend { font: 11px sans-serif; color: #333; margin-top: 4px; max-width: 340px; }
    .hl-live .hl-legend .hl-bar { display: inline-block; width: 90px; height: 10px; vertical-align: middle;
      border: 1px solid #999; margin: 0 4px; }
    .hl-live .hl-legend .hl-swatch { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px;
      vertical-align: middle; border: 1px solid #999; }
    .hl-live .hl-focus-caption { position: absolute; left: 0; top: 0; right: 0; padding: 3px 6px;
      background: rgba(255,255,255,.88); font: 12px sans-serif; color: #111; }`;
  root.append(style);

  // -- text alternatives and explanations --------------------------------------------------------------------
  boundary.setAttribute("role", "img");
  loss.setAttribute("role", "img");
  status.title = EXPLAIN.status;
  boundary.title = EXPLAIN.boundary;
  loss.title = EXPLAIN.loss;
  const announcer = document.createElement("div");   // the status line, announced at most every ANNOUNCE_MS
  announcer.className = "hl-status-live hl-visually-hidden";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  announcer.setAttribute("aria-atomic", "true");
  status.after(announcer);
  let labelled = 0, labelledState = null, announced = 0, announcedState = null;

  function label() {   // throttled: every LABEL_MS while training, at once when the state changes
    clearTimeout(timers.label);
    const now = performance.now(), state = runState(model);
    if (state === "training" && state === labelledState && now - labelled < LABEL_MS) {
      timers.label = setTimeout(label, LABEL_MS - (now - labelled));
      return;
    }
    labelled = now; labelledState = state;
    const text = describe(model);
    boundary.setAttribute("aria-label", text.boundary);
    loss.setAttribute("aria-label", text.loss);
    parts.net.setAttribute("aria-label", text.network);
  }

  function announce() {
    clearTimeout(timers.announce);
    const now = performance.now(), state = runState(model), text = model.get("status") || "";
    if (text === announcer.textContent) return;
    if (state === announcedState && now - announced < ANNOUNCE_MS) {
      timers.announce = setTimeout(announce, ANNOUNCE_MS - (now - announced));
      return;
    }
    announced = now; announcedState = state;
    announcer.textContent = text;
  }

  // -- the boundary canvas: a neuron's map shown large over it -------------------------------------------------
  const boundaryBox = wrap(boundary, { display: "flex", flexDirection: "column" });
  const frame = wrap(boundary, { position: "relative", lineHeight: "0" });
  const focusView = document.createElement("canvas");
  focusView.className = "hl-focus";
  focusView.setAttribute("role", "img");
  Object.assign(focusView.style, { position: "absolute", left: "0", top: "0", width: "100%", height: "100%",
                                   display: "none" });
  const caption = document.createElement("div");
  caption.className = "hl-focus-caption";
  caption.id = id + "caption";
  caption.style.display = "none";
  caption.style.lineHeight = "normal";
  frame.append(focusView, caption);
  const legend = document.createElement("div");
  legend.className = "hl-legend";
  legend.id = id + "legend";
  legend.style.maxWidth = boundary.style.width;   // as wide as the boundary: wider, it pushed the output column down
  boundaryBox.append(legend);
  boundary.setAttribute("aria-describedby", legend.id);
  let focused = null;   // [l, i] of the neuron shown large, or null

  function showNeuron(node) {
    focused = node;
    const layers = model.get("layers"), shown = layers.shown || [];
    if (!node || node[0] >= shown.length || node[1] >= shown[node[0]]) {
      focused = null;
      focusView.style.display = caption.style.display = "none";
      parts.focusImage = null;
      root.dataset.focus = "";
      return;
    }
    const [l, i] = node, name = neuronName(layers, l, i);
    let m = i;
    for (let j = 0; j < l; j++) m += shown[j];
    const maps = bytes(model, "maps"), r = model.get("map_resolution");
    const output = l === shown.length - 1;
    if (output || !r || maps.length < (m + 1) * r * r) {   // the output's map is the boundary itself
      focusView.style.display = "none";
      parts.focusImage = null;
      caption.textContent = name + ": the decision boundary below";
    } else {
      const off = image(r, r, parts.pool, "focus", j => SIGNED[maps[m * r * r + j]]);
      parts.focusImage = off;   // read back by the browser tests
      focusView.width = focusView.height = r;
      focusView.getContext("2d").drawImage(off, 0, 0);
      focusView.style.display = "block";
      caption.textContent = name + (l === 0 ? ": its value" : ": its output") +
        " over the input plane (blue positive, orange negative, white zero)";
      focusView.setAttribute("aria-label", "map of " + name + ": " + (l === 0 ? EXPLAIN.input : EXPLAIN.hidden));
    }
    caption.style.display = "block";
    root.dataset.focus = name;
  }

  function legendHtml() {
    const layers = model.get("layers"), sizes = layers.sizes || [], colors = model.get("colors");
    const k = sizes.length ? Math.max(2, sizes[sizes.length - 1]) : 2;
    const sharp = model.get("discretize"), key = k + colors.join() + sharp;
    if (legend.dataset.key === key) return;
    legend.dataset.key = key;
    const esc = t => String(t).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
    let html;
    if (k === 2) {
      html = `Background: class 0<span class="hl-bar" style="background: linear-gradient(to right, ` +
        `${esc(colors[0])}, #e8eaeb, ${esc(colors[1])})"></span>class 1 (white: unsure, 50 / 50).`;
      if (sharp) html = `Background: the predicted class, <span class="hl-swatch" style="background:` +
        `${esc(colors[0])}"></span>class 0 <span class="hl-swatch" style="background:${esc(colors[1])}"></span>` +
        `class 1 (discretized: without the shades of confidence).`;
    } else {
      html = "Background: the predicted class" + (sharp ? " (discretized)" : ", paler where unsure") + ":" +
        Array.from({ length: k }, (_, c) =>
        `<span class="hl-swatch" style="background:${esc(colors[c % colors.length])}"></span>class ${c}`).join("") + ".";
    }
    legend.innerHTML = html + " ● training point, ◆ test point. Neuron maps and weights: " +
      "blue positive, orange negative.";
  }

  // -- the network canvas: a focusable button over each node, a hint over each link, an editor ------------------
  const netBox = wrap(parts.net, { position: "relative", lineHeight: "0" });
  const nodes = document.createElement("div");
  nodes.className = "hl-nodes";
  nodes.setAttribute("role", "group");
  nodes.setAttribute("aria-label", "neurons of the network: arrow keys move between them, Enter edits one");
  Object.assign(nodes.style, { position: "absolute", left: "0", top: "0", pointerEvents: "none" });
  const hint = document.createElement("div");
  hint.className = "hl-hint";
  hint.style.display = "none";
  hint.style.lineHeight = "normal";
  netBox.append(nodes, hint);
  let nodesKey = "", current = [1, 0], editor = null, requests = 0, lastNet = null;

  function button(l, i) {
    return nodes.querySelector(`[data-l="${l}"][data-i="${i}"]`);
  }

  function moveTo(l, i) {
    const shown = (model.get("layers").shown || []);
    l = Math.max(0, Math.min(shown.length - 1, l));
    i = Math.max(0, Math.min(shown[l] - 1, i));
    const old = button(current[0], current[1]);
    if (old) old.tabIndex = -1;
    current = [l, i];
    const b = button(l, i);
    if (b) { b.tabIndex = 0; b.focus(); }
  }

  function placeNodes() {   // after each paint: the buttons follow the nodes (rebuilt when the layout changes)
    const g = parts.geometry, layers = model.get("layers");
    if (parts.net !== lastNet) {   // paintNetwork makes a new canvas when the network's size changes
      lastNet = parts.net;
      parts.net.setAttribute("role", "img");
      parts.net.title = EXPLAIN.network;
      labelledState = null;
    }
    if (!g) return;
    const key = JSON.stringify([g.shown, g.width, g.height, layers.names]);
    if (key === nodesKey) return;
    nodesKey = key;
    closeEditor(false);
    nodes.replaceChildren();
    nodes.style.width = g.width + "px";
    nodes.style.height = g.height + "px";
    const h = g.node / 2;
    for (let l = 0; l < g.shown.length; l++) {
      for (let i = 0; i < g.shown[l]; i++) {
        const b = document.createElement("button");
        const kind = l === 0 ? "input" : l === g.shown.length - 1 ? "output" : "hidden";
        b.type = "button";
        b.className = "hl-node";
        b.dataset.l = l; b.dataset.i = i;
        b.tabIndex = -1;
        b.setAttribute("aria-label", neuronName(layers, l, i));
        b.title = neuronName(layers, l, i) + ": " + EXPLAIN[kind];
        Object.assign(b.style, { left: (g.cx(l) - h) + "px", top: (g.cy(g.shown[l], i) - h) + "px",
                                 width: g.node + "px", height: g.node + "px" });
        b.addEventListener("mouseenter", () => showNeuron([l, i]));
        b.addEventListener("mouseleave", () => showNeuron(nodes.contains(document.activeElement) &&
          document.activeElement.dataset.l !== undefined ? [+document.activeElement.dataset.l,
            +document.activeElement.dataset.i] : null));
        b.addEventListener("focus", () => { current = [l, i]; showNeuron([l, i]); });
        b.addEventListener("blur", () => showNeuron(null));
        b.addEventListener("click", () => { if (l > 0) openEditor(l, i, null); });
        b.addEventListener("keydown", e => {
          const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
          if (moves[e.key]) {
            e.preventDefault();
            moveTo(l + moves[e.key][0], i + moves[e.key][1]);
          } else if (e.key === "Escape") {
            showNeuron(null);
          }
        });
        nodes.append(b);
      }
    }
    if (current[0] >= g.shown.length || current[1] >= g.shown[current[0]]) current = [Math.min(1, g.shown.length - 1), 0];
    const first = button(current[0], current[1]);
    if (first) first.tabIndex = 0;
  }

  function linkAt(x, y) {   // the link under (x, y) in CSS pixels of the network canvas: [l, o, i] or null
    const g = parts.geometry;
    if (!g) return null;
    let best = null, bestD = 4;
    for (let l = 1; l < g.shown.length; l++) {
      const x0 = g.cx(l - 1), x1 = g.cx(l);
      if (x < x0 || x > x1) continue;
      for (let o = 0; o < g.shown[l]; o++) {
        for (let i = 0; i < g.shown[l - 1]; i++) {
          const y0 = g.cy(g.shown[l - 1], i), y1 = g.cy(g.shown[l], o);
          const dx = x1 - x0, dy = y1 - y0, t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
          const d = Math.hypot(x - x0 - t * dx, y - y0 - t * dy);
          if (d < bestD) { bestD = d; best = [l, o, i]; }
        }
      }
    }
    return best;
  }

  function linkText(link) {
    const layers = model.get("layers"), [l, o, i] = link;
    return "weight from " + neuronName(layers, l - 1, i) + " to " + neuronName(layers, l, o) + ": " +
      weightAt(model, layers, l, o, i).toFixed(3) + " (blue positive, orange negative, thicker = larger; " +
      "click to edit)";
  }

  function onMove(e) {
    if (e.target !== parts.net || editor) { hint.style.display = "none"; return; }
    const r = parts.net.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    const link = linkAt(x, y);
    parts.net.style.cursor = link ? "pointer" : "";
    if (!link) { hint.style.display = "none"; return; }
    hint.textContent = linkText(link);
    hint.style.left = Math.min(x + 12, Math.max(0, r.width - 250)) + "px";
    hint.style.top = (y + 14) + "px";
    hint.style.display = "block";
  }

  function onClick(e) {
    if (e.target !== parts.net) return;
    const r = parts.net.getBoundingClientRect(), link = linkAt(e.clientX - r.left, e.clientY - r.top);
    if (link) { hint.style.display = "none"; openEditor(link[0], link[1], link[2]); }
  }

  netBox.addEventListener("mousemove", onMove);
  netBox.addEventListener("mouseleave", () => { hint.style.display = "none"; });
  netBox.addEventListener("click", onClick);

  function fmt(v) {
    return Number.isFinite(v) ? String(+v.toFixed(4)) : String(v);
  }

  function openEditor(l, o, source) {   // the bias and incoming weights of neuron o of column l
    closeEditor(false);
    const layers = model.get("layers"), g = parts.geometry, name = neuronName(layers, l, o);
    editor = document.createElement("div");
    editor.className = "hl-editor";
    editor.setAttribute("role", "group");
    editor.setAttribute("aria-label", "edit " + name);
    editor.style.lineHeight = "normal";
    const title = document.createElement("div");
    title.innerHTML = "<strong></strong>";
    title.firstChild.textContent = name;
    const help = document.createElement("div");
    help.textContent = "Type a number, then Enter: training goes on from it. Escape closes.";
    help.id = id + "edit-help";
    const message = document.createElement("div");
    message.className = "hl-edit-message";
    message.id = id + "edit-message";
    message.setAttribute("role", "status");
    message.setAttribute("aria-live", "polite");
    editor.append(title, help);
    const fields = [[null, "bias"]];
    for (let i = 0; i < layers.shown[l - 1]; i++) fields.push([i, "weight from " + neuronName(layers, l - 1, i)]);
    let focusMe = null;
    for (const [i, text] of fields) {
      const row = document.createElement("label"), input = document.createElement("input");
      row.append(document.createTextNode(text), input);
      input.type = "text";
      input.inputMode = "decimal";
      input.className = "hl-edit";
      input.dataset.source = i === null ? "bias" : String(i);
      input.setAttribute("aria-describedby", help.id + " " + message.id);
      input.value = fmt(i === null ? biasAt(model, layers, l, o) : weightAt(model, layers, l, o, i));
      input.addEventListener("input", () => { input.dataset.dirty = "1"; });
      input.addEventListener("keydown", e => {
        if (e.key === "Enter") { e.preventDefault(); apply(input, l, o, i, message, text); }
        if (e.key === "Escape") { e.preventDefault(); closeEditor(true); }
      });
      editor.append(row);
      if (i === source) focusMe = input;
    }
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "close";
    close.addEventListener("click", () => closeEditor(true));
    editor.append(message, close);
    editor.dataset.l = l; editor.dataset.o = o;
    const left = g ? g.cx(l) + g.node / 2 + 6 : 0, top = g ? g.cy(g.shown[l], o) - g.node / 2 : 0;
    editor.style.left = Math.max(0, Math.min(left, (g ? g.width : 240) - 240)) + "px";
    editor.style.top = Math.max(0, top) + "px";
    netBox.append(editor);
    (focusMe || editor.querySelector("input")).focus();
    root.dataset.editing = name;
  }

  function closeEditor(refocus) {
    if (!editor) return;
    const l = +editor.dataset.l, o = +editor.dataset.o;
    editor.remove();
    editor = null;
    root.dataset.editing = "";
    if (refocus) moveTo(l, o);
  }

  function refuse(input, message, text) {
    input.setAttribute("aria-invalid", "true");
    message.classList.add("hl-refused");
    message.textContent = text;
  }

  function apply(input, l, o, source, message, what) {
    const text = input.value.trim().replace("\u2212", "-");
    const value = /^[+-]?inf(inity)?$/i.test(text) ? Infinity : Number(text);   // Python's spelling too
    if (text === "" || Number.isNaN(value)) {
      refuse(input, message, what + ": '" + input.value + "' is not a number; type one such as 0.5 or -1.2");
      return;
    }
    if (!Number.isFinite(value)) {
      refuse(input, message, what + ": " + input.value + " is not allowed; type a finite number such as 0.5");
      return;
    }
    const request = ++requests;
    input.dataset.request = String(request);
    message.classList.remove("hl-refused");
    message.textContent = "setting " + what + "…";
    model.send({ type: "edit", id: request, layer: l - 1, neuron: o, source, value: text });
  }

  function onMessage(content) {   // the kernel's answer to an edit
    if (!content || content.type !== "edited" || !editor) return;
    const input = editor.querySelector(`input[data-request="${content.id}"]`);
    const message = editor.querySelector(".hl-edit-message");
    if (!input) return;
    if (content.ok) {
      input.setAttribute("aria-invalid", "false");
      input.dataset.dirty = "";
      message.classList.remove("hl-refused");
      message.textContent = input.parentElement.firstChild.textContent + " " + content.message +
        "; training goes on from it";
    } else {
      refuse(input, message, content.message);
    }
  }
  model.on("msg:custom", onMessage);

  function refreshEditor() {   // the fields nobody is typing in follow the training
    if (!editor) return;
    const layers = model.get("layers"), l = +editor.dataset.l, o = +editor.dataset.o;
    for (const input of editor.querySelectorAll("input")) {
      if (input.dataset.dirty === "1" || input === document.activeElement) continue;
      const s = input.dataset.source;
      input.value = fmt(s === "bias" ? biasAt(model, layers, l, o) : weightAt(model, layers, l, o, +s));
    }
  }

  parts.afterPaint.push(() => {
    placeNodes();
    legendHtml();
    if (focused) showNeuron(focused);
    refreshEditor();
    label();
    announce();
  });

  return () => {
    model.off("msg:custom", onMessage);
    for (const t of Object.values(timers)) clearTimeout(t);
  };
}
