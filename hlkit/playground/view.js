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

function image(values, res, colour, pool, key) {   // res x res cells -> an offscreen canvas, row 0 at the bottom
  let off = pool[key];   // reused from paint to paint: making canvases is what costs, not filling them
  if (!off || off.width !== res) {
    off = pool[key] = document.createElement("canvas");
    off.width = off.height = res;
  }
  const ctx = off.getContext("2d");
  const img = ctx.createImageData(res, res);
  for (let row = 0; row < res; row++) {
    for (let col = 0; col < res; col++) {
      const rgb = colour(row * res + col), k = ((res - 1 - row) * res + col) * 4;
      img.data[k] = rgb[0]; img.data[k + 1] = rgb[1]; img.data[k + 2] = rgb[2]; img.data[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return off;
}

function paintBoundary(model, parts) {
  const res = model.get("resolution"), rgb = bytes(model, "boundary");
  const ctx = parts.boundaryCtx;
  ctx.clearRect(0, 0, SIZE, SIZE);
  if (!res || rgb.length !== res * res * 3) return false;
  const off = image(rgb, res, i => [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]], parts.pool, "boundary");
  parts.boundaryImage = off;          // read back by the browser tests (the painted grid, cell by cell)
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, SIZE, SIZE);
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
  const cx = l => 20 + NODE / 2 + l * (W - 40 - NODE) / Math.max(cols - 1, 1);
  const cy = (n, i) => 30 + (tall - n) * (NODE + GAP) / 2 + i * (NODE + GAP) + NODE / 2;
  let big = 1e-9;
  for (const v of w) big = Math.max(big, Math.abs(v));
  let k = 0;
  for (let l = 0; l + 1 < cols; l++) {
    for (let o = 0; o < shown[l + 1]; o++) {
      for (let i = 0; i < shown[l]; i++, k++) {
        const v = w[k], c = v >= 0 ? BLUE : ORANGE;
        ctx.strokeStyle = `rgba(${c[0]},${c[1]},${c[2]},${0.35 + 0.65 * Math.abs(v) / big})`;
        ctx.lineWidth = 0.5 + 4 * Math.abs(v) / big;
        ctx.beginPath(); ctx.moveTo(cx(l), cy(shown[l], i)); ctx.lineTo(cx(l + 1), cy(shown[l + 1], o)); ctx.stroke();
      }
    }
  }
  ctx.fillStyle = "#333"; ctx.font = "10px sans-serif"; ctx.textAlign = "center";
  let m = 0;
  for (let l = 0; l < cols; l++) {
    const name = l === 0 ? "input" : l === cols - 1 ? "output" : "hidden " + l;
    const size = (layers.sizes || shown)[l];
    ctx.fillText(name, cx(l), 11);
    ctx.fillText(size + (size !== shown[l] ? " (" + shown[l] + " shown)" : ""), cx(l), 23);
    for (let i = 0; i < shown[l]; i++, m++) {
      const x = cx(l) - NODE / 2, y = cy(shown[l], i) - NODE / 2;
      if (r && maps.length >= (m + 1) * r * r) {
        const off = image(maps, r, j => signed(maps[m * r * r + j]), parts.pool, "map" + m);
        ctx.drawImage(off, x, y, NODE, NODE);
      }
      ctx.strokeStyle = "#333"; ctx.lineWidth = 1; ctx.strokeRect(x, y, NODE, NODE);
      if (l === 0 && layers.names) ctx.fillText(layers.names[i] || "", cx(l), y + NODE + 9);
    }
  }
  ctx.textAlign = "start";
  parts.geometry = { cx, cy, shown, node: NODE, width: W, height: H };   // where the nodes are: interactions()
  return true;
}

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
                  pool: {} };
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
    pending = false;
    status.textContent = model.get("status");
    const drawn = [["boundary", paintBoundary], ["loss", paintLoss], ["network", paintNetwork]]
      .filter(p => shown.includes(p[0])).map(p => p[1](model, parts));
    root.dataset.frame = String(model.get("frame"));
    root.dataset.drawn = String(drawn.filter(Boolean).length);
    root.dataset.paints = String(Number(root.dataset.paints || 0) + 1);
    // when each paint happened and what it showed: benchmarks/browser.py reads it (bounded)
    parts.log.push([performance.now(), model.get("frame"), status.textContent]);
    if (parts.log.length > 4000) parts.log.splice(0, 2000);
    for (const after of parts.afterPaint) after();
  }
  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(paint); }
  }
  model.on("change", schedule);
  paint();
  return () => { model.off("change", schedule); stopInteractions(); };
}

export default { render };
