// The Playground's live view (hlkit/playground/view.py): paints the boundary with the points, the loss curve and
// the network (each node shows its neuron's map) on canvases, from the binary traits of the model.
// Repaints at most once per animation frame, always from the model's newest state: frames that arrive while the
// page is busy are simply never painted (latest wins), and a view made late paints the final state.

const ORANGE = [245, 147, 34], BLUE = [8, 119, 189], WHITE = [232, 234, 235];
// sizes in CSS pixels, from the window the page opens in, so that the controls (about 300 px tall, 730 px wide
// with JupyterLab's margins), the network (at most 1.15 x SIZE wide) and the output (SIZE x 1.45 SIZE) fit one
// screen: a 297 px boundary at 1366 x 768, 538 px at 1920 x 1080; a narrow window stacks the pictures instead
const SIZE = Math.round(Math.min(Math.max(Math.min((window.innerHeight - 300) / 1.45,
                                                   (window.innerWidth - 728) / 2.15), 220), 600));
const LOSS_HEIGHT = Math.round(SIZE * 0.45);              // the loss curve under the boundary, as wide
const NODE = Math.round(SIZE / 11), GAP = Math.round(SIZE / 40);   // network: node size and vertical gap
const LEVELS = 16;             // network: edge strengths drawn (width and opacity), per sign

function bytes(model, name) {
  const v = model.get(name);
  if (!v) return new Uint8Array(0);
  if (v instanceof DataView) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(0);
}

function floats(model, name) {
  const u8 = bytes(model, name);
  return new Float32Array(u8.slice().buffer);   // a copy: the buffer may not be 4-byte aligned
}

function hex(color) {
  return [1, 3, 5].map(i => parseInt(color.slice(i, i + 2), 16));
}

function signed(v) {   // 0..255 (127.5 = zero) -> orange, white, blue
  const t = (v - 127.5) / 127.5, c = t < 0 ? ORANGE : BLUE, a = Math.abs(t);
  return [0, 1, 2].map(i => Math.round(WHITE[i] + a * (c[i] - WHITE[i])));
}

function canvas(width, height, cls) {
  const c = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  c.width = Math.round(width * ratio);
  c.height = Math.round(height * ratio);
  c.style.width = width + "px";
  c.style.height = height + "px";
  c.className = cls;
  const ctx = c.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return [c, ctx];
}

// colours as one 32-bit RGBA word per pixel, in the byte order of this machine's ImageData
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function word(r, g, b) {
  return (LITTLE ? (255 << 24 | b << 16 | g << 8 | r) : (r << 24 | g << 16 | b << 8 | 255)) >>> 0;
}
const SIGNED = Uint32Array.from({ length: 256 }, (_, v) => word(...signed(v)));

function image(width, height, pool, key, pixel) {
  // width x height cells -> an offscreen canvas (rows of each width x width block bottom-up: row 0 at the bottom).
  // Canvas, ImageData and its 32-bit view are reused from paint to paint: making them is what costs.
  let off = pool[key];
  if (!off || off.canvas.width !== width || off.canvas.height !== height) {
    const c = document.createElement("canvas");
    c.width = width; c.height = height;
    const ctx = c.getContext("2d"), data = ctx.createImageData(width, height);
    off = pool[key] = { canvas: c, ctx, data, words: new Uint32Array(data.data.buffer) };
  }
  const words = off.words, blocks = height / width;
  for (let b = 0, src = 0; b < blocks; b++) {
    for (let row = 0; row < width; row++) {
      const dst = (b * width + width - 1 - row) * width;
      for (let col = 0; col < width; col++, src++) words[dst + col] = pixel(src);
    }
  }
  off.ctx.putImageData(off.data, 0, 0);
  return off.canvas;
}

function same(a, b) {   // the traits a picture was painted from, unchanged? (unchanged traits keep their objects)
  return !!b && a.length === b.length && a.every((v, i) => v === b[i]);
}

function pointsLayer(model, parts) {   // the points change only with new data: drawn once on their own canvas
  const key = ["points", "labels", "colors", "show_test", "extent"].map(name => model.get(name));
  if (parts.pointsKey && same(key, parts.pointsKey)) return parts.pointsLayer;
  const ratio = window.devicePixelRatio || 1;
  const layer = parts.pointsLayer || document.createElement("canvas");
  layer.width = layer.height = Math.round(SIZE * ratio);
  const ctx = layer.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, SIZE, SIZE);
  const extent = model.get("extent"), xy = floats(model, "points"), labels = bytes(model, "labels");
  const colors = model.get("colors").map(hex), showTest = model.get("show_test");
  const px = v => (v + extent) / (2 * extent) * SIZE, py = v => SIZE - (v + extent) / (2 * extent) * SIZE;
  for (let i = 0; i < labels.length; i++) {
    const test = labels[i] >= 128, c = colors[(labels[i] & 127) % colors.length];
    if (test && !showTest) continue;
    const x = px(xy[2 * i]), y = py(xy[2 * i + 1]);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.strokeStyle = test ? "#000" : "#fff";
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (test) { ctx.moveTo(x, y - 4); ctx.lineTo(x + 4, y); ctx.lineTo(x, y + 4); ctx.lineTo(x - 4, y); ctx.closePath(); }
    else ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
  parts.pointsLayer = layer;
  parts.pointsKey = key;
  return layer;
}

function paintBoundary(model, parts) {
  const res = model.get("resolution"), rgb = bytes(model, "boundary");
  const ctx = parts.boundaryCtx;
  ctx.clearRect(0, 0, SIZE, SIZE);
  if (!res || rgb.length !== res * res * 3) return false;
  const off = image(res, res, parts.pool, "boundary", i => word(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]));
  parts.boundaryImage = off;          // read back by the browser tests (the painted grid, cell by cell)
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, SIZE, SIZE);
  ctx.drawImage(pointsLayer(model, parts), 0, 0, SIZE, SIZE);
  return true;
}

function paintLoss(model, parts) {
  const rows = floats(model, "loss"), n = rows.length / 5, ctx = parts.lossCtx;
  const rowsB = floats(model, "loss_b"), nB = rowsB.length / 5, names = model.get("names") || [];   // hl.compare
  const W = parts.lossSize[0], H = parts.lossSize[1], L = 40, R = 34, T = 10, B = 26;
  ctx.clearRect(0, 0, W, H);
  if (n < 1) return false;
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, rows[5 * i + 1], rows[5 * i + 2]);
  for (let i = 0; i < nB; i++) top = Math.max(top, rowsB[5 * i + 1], rowsB[5 * i + 2]);
  top = isFinite(top) && top > 0 ? top * 1.05 : 1;
  const last = Math.max(model.get("epochs"), 1);
  const x = e => L + e / last * (W - L - R), yl = v => T + (1 - Math.min(v, top) / top) * (H - T - B);
  const ya = v => T + (1 - v / 1.05) * (H - T - B);
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  ctx.fillStyle = "#333"; ctx.font = "10px sans-serif";
  ctx.fillText(top.toFixed(2), 2, T + 8); ctx.fillText("0", L - 10, H - B);
  ctx.fillText("epoch " + last, W - R - 52, H - 8); ctx.fillText("loss", 2, H / 2);
  if (!nB) { ctx.fillText("acc.", W - R + 4, H / 2); ctx.fillText("1", W - R + 4, ya(1) + 4); }
  let series = [[1, "#333", [], yl], [2, "#d62728", [], yl], [3, "#333", [2, 3], ya], [4, "#d62728", [2, 3], ya]];
  parts.lossRuns = nB ? 2 : 1;   // read by the browser tests
  if (nB) {   // two runs: losses only, A solid, B dashed; dark = train, red = test
    series = [[1, "#333", [], yl], [2, "#d62728", [], yl], [1, "#333", [7, 4], yl, rowsB], [2, "#d62728", [7, 4], yl, rowsB]];
    ctx.fillText(`${names[0] || "A"} solid, ${names[1] || "B"} dashed · dark: train, red: test`, L + 4, T + 10);
  }
  for (const [col, colour, dash, y, data = rows] of series) {
    ctx.strokeStyle = colour; ctx.setLineDash(dash); ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let i = 0; i < data.length / 5; i++) {
      const X = x(data[5 * i]), Y = y(data[5 * i + col]);
      if (i === 0) ctx.moveTo(X, Y); else ctx.lineTo(X, Y);
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  return true;
}

function paintNetwork(model, parts) {
  const layers = model.get("layers"), shown = layers.shown || [], w = floats(model, "weights");
  const maps = bytes(model, "maps"), r = model.get("map_resolution");
  const tall = Math.max(1, ...shown), cols = shown.length;
  const W = Math.max(Math.min(cols * NODE * 3, SIZE * 1.15), 200), H = tall * (NODE + GAP) + 44;
  if (parts.netSize[0] !== W || parts.netSize[1] !== H) {
    const [c, ctx] = canvas(W, H, "hl-network");
    parts.net.replaceWith(c);
    parts.net = c; parts.netCtx = ctx; parts.netSize = [W, H];
  }
  const ctx = parts.netCtx;
  ctx.clearRect(0, 0, W, H);
  if (!cols) return false;
  const left = layers.names ? 40 : 20;   // room for the input names, left of their nodes
  const cx = l => left + NODE / 2 + l * (W - left - 20 - NODE) / Math.max(cols - 1, 1);
  const cy = (n, i) => 30 + (tall - n) * (NODE + GAP) / 2 + i * (NODE + GAP) + NODE / 2;
  let big = 1e-9;
  for (const v of w) big = Math.max(big, Math.abs(v));
  // one path per sign and strength level (LEVELS each) instead of one stroke per edge: hundreds of strokes
  // were most of a big network's paint
  const paths = [];
  let k = 0;
  for (let l = 0; l + 1 < cols; l++) {
    for (let o = 0; o < shown[l + 1]; o++) {
      for (let i = 0; i < shown[l]; i++, k++) {
        const v = w[k], level = Math.min(LEVELS - 1, Math.floor(Math.abs(v) / big * LEVELS));
        const b = (v >= 0 ? LEVELS : 0) + level;
        (paths[b] = paths[b] || []).push(cx(l), cy(shown[l], i), cx(l + 1), cy(shown[l + 1], o));
      }
    }
  }
  paths.forEach((lines, b) => {
    const c = b >= LEVELS ? BLUE : ORANGE, a = (b % LEVELS + 0.5) / LEVELS;
    ctx.strokeStyle = `rgba(${c[0]},${c[1]},${c[2]},${0.35 + 0.65 * a})`;
    ctx.lineWidth = 0.5 + 4 * a;
    ctx.beginPath();
    for (let j = 0; j < lines.length; j += 4) { ctx.moveTo(lines[j], lines[j + 1]); ctx.lineTo(lines[j + 2], lines[j + 3]); }
    ctx.stroke();
  });
  const total = shown.reduce((a, b) => a + b, 0);
  const atlas = r && maps.length >= total * r * r ? image(r, total * r, parts.pool, "maps", j => SIGNED[maps[j]]) : null;
  ctx.fillStyle = "#333"; ctx.font = "10px sans-serif"; ctx.textAlign = "center";
  let m = 0;
  const frames = new Path2D();
  for (let l = 0; l < cols; l++) {
    const name = l === 0 ? "input" : l === cols - 1 ? "output" : "hidden " + l;
    const size = (layers.sizes || shown)[l];
    ctx.fillText(name, cx(l), 11);
    ctx.fillText(size + (size !== shown[l] ? " (" + shown[l] + " shown)" : ""), cx(l), 23);
    for (let i = 0; i < shown[l]; i++, m++) {
      const x = cx(l) - NODE / 2, y = cy(shown[l], i) - NODE / 2;
      if (atlas) ctx.drawImage(atlas, 0, m * r, r, r, x, y, NODE, NODE);
      frames.rect(x, y, NODE, NODE);
      if (l === 0 && layers.names) {   // beside the node: below it, a name ran into the next node
        ctx.textAlign = "right"; ctx.fillText(layers.names[i] || "", x - 3, y + NODE / 2 + 3); ctx.textAlign = "center";
      }
    }
  }
  ctx.strokeStyle = "#333"; ctx.lineWidth = 1; ctx.stroke(frames);
  ctx.textAlign = "start";
  parts.geometry = { cx, cy, shown, node: NODE, width: W, height: H };   // where the nodes are: interactions()
  return true;
}

// Tells the kernel whether this view is on screen (scrolled into view, its tab shown): while no view is, the kernel
// draws a frame only now and then (runner.UNWATCHED_FRAME_SECONDS) and trains on; back on screen, it redraws at once.
function watching(model, root) {
  const id = Math.random().toString(36).slice(2);
  let intersecting = true, last = null;
  const send = (closed = false) => {
    const visible = intersecting && document.visibilityState !== "hidden";
    if (!closed && visible === last) return;
    last = visible;
    try { model.send({ type: "visible", view: id, visible, closed }); } catch (e) { /* the comm is gone */ }
  };
  const observer = typeof IntersectionObserver === "function"
    ? new IntersectionObserver(entries => { intersecting = entries[entries.length - 1].isIntersecting; send(); })
    : null;
  if (observer) observer.observe(root);
  const onVisibility = () => send();
  document.addEventListener("visibilitychange", onVisibility);
  return () => {
    if (observer) observer.disconnect();
    document.removeEventListener("visibilitychange", onVisibility);
    send(true);
  };
}

const PICTURES = [
  ["boundary", paintBoundary, ["boundary", "resolution", "points", "labels", "colors", "show_test", "extent"]],
  ["loss", paintLoss, ["loss", "epochs", "loss_b", "names"]],
  ["network", paintNetwork, ["weights", "maps", "layers", "map_resolution"]],
];

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "hl-live";
  const status = document.createElement("div");
  status.className = "hl-status";
  status.style.fontFamily = "monospace";
  const row = document.createElement("div");
  row.style.display = "flex"; row.style.flexWrap = "wrap"; row.style.gap = "12px"; row.style.alignItems = "flex-start";
  const output = document.createElement("div");   // the network, then its output: boundary over loss
  output.style.display = "flex"; output.style.flexDirection = "column"; output.style.gap = "4px";
  const [boundary, boundaryCtx] = canvas(SIZE, SIZE, "hl-boundary");
  const [loss, lossCtx] = canvas(SIZE, LOSS_HEIGHT, "hl-loss");
  const [net, netCtx] = canvas(200, 100, "hl-network");
  const parts = { boundaryCtx, lossCtx, lossSize: [SIZE, LOSS_HEIGHT], net, netCtx, netSize: [200, 100], log: [],
                  pool: {}, keys: {}, drawn: {} };
  const shown = model.get("panels");   // hl.compare shows fewer canvases
  output.append(...[[boundary, "boundary"], [loss, "loss"]].filter(p => shown.includes(p[1])).map(p => p[0]));
  if (shown.includes("network")) row.append(net);
  if (output.childElementCount) row.append(output);
  root.append(status, row);
  el.append(root);
  el.hlParts = parts;   // the browser tests read the painted boundary image here
  const stopInteractions = interactions(model, parts, { root, status, boundary, loss });

  let pending = false;
  function paint() {
    const t0 = performance.now();
    pending = false;
    status.textContent = model.get("status");
    // a picture is painted again only when one of its traits changed (a message sends only changed traits)
    const drawn = PICTURES.filter(p => shown.includes(p[0])).map(([name, fn, traits]) => {
      const key = traits.map(t => model.get(t));
      if (!same(key, parts.keys[name])) { parts.keys[name] = key; parts.drawn[name] = fn(model, parts); }
      return parts.drawn[name];
    });
    root.dataset.frame = String(model.get("frame"));
    root.dataset.drawn = String(drawn.filter(Boolean).length);
    root.dataset.paints = String(Number(root.dataset.paints || 0) + 1);
    // when each paint happened, what it showed and how long it took (ms): benchmarks/browser.py reads it (bounded)
    parts.log.push([t0, model.get("frame"), status.textContent, performance.now() - t0]);
    if (parts.log.length > 4000) parts.log.splice(0, 2000);
    for (const after of parts.afterPaint) after();
  }
  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(paint); }
  }
  model.on("change", schedule);
  paint();
  const stopWatching = watching(model, root);
  return () => { model.off("change", schedule); stopInteractions(); stopWatching(); };
}

export default { render };
