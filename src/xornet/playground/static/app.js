// xornet playground: draws what the server's Session computes. No maths here: every number
// on the page comes from the Python library over the WebSocket.

const SETTINGS = ["dataset", "samples", "hidden", "shortcut", "activation", "init", "optimizer",
  "loss", "learning_rate", "batch_size", "seed"];
const INTEGER = new Set(["samples", "hidden", "seed", "batch_size"]);
const CLASS_COLOURS = ["#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#495057",
  "#e67700", "#0b7285", "#5c940d", "#862e9c"];

const $ = (id) => document.getElementById(id);
// State the tests and the benchmark read: frames drawn, the last frame, timings.
const stats = { frames: 0, boundaryDraws: 0, firstFrameAt: null, lastFrame: null, session: null,
  explain: null, errors: [] };
window.xornet = stats;

let socket = null;
let data = null;
let playing = false;
let limits = { csv_bytes: 1000000 }; // the server's, from its hello

// ----------------------------------------------------------------------------- settings and URL

function readUrl() {
  const params = new URLSearchParams(location.search);
  for (const name of SETTINGS) {
    if (!params.has(name)) continue;
    if (name === "shortcut") $(name).checked = params.get(name) === "true";
    else $(name).value = params.get(name);
  }
  if (params.has("speed")) $("speed").value = params.get("speed");
  if (params.has("lang")) $("lang").value = params.get("lang");
}

function settingsFromControls() {
  const out = {};
  for (const name of SETTINGS) {
    const raw = $(name).value;
    if (name === "shortcut") out[name] = $(name).checked;
    else if (name === "batch_size") out[name] = raw === "" ? null : Number(raw);
    else if (INTEGER.has(name)) out[name] = Number(raw);
    else if (name === "learning_rate") out[name] = Number(raw);
    else out[name] = raw;
  }
  return out;
}

function writeUrl() {
  const params = new URLSearchParams();
  for (const name of SETTINGS) {
    if (name === "dataset" && $(name).value === "csv") continue; // an upload cannot be shared
    params.set(name, name === "shortcut" ? String($(name).checked) : $(name).value);
  }
  params.set("speed", $("speed").value);
  params.set("lang", $("lang").value);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function showSettings(settings) {
  for (const name of SETTINGS) {
    const value = settings[name];
    if (name === "shortcut") $(name).checked = Boolean(value);
    else $(name).value = value === null ? "" : String(value);
  }
  $("dataset").querySelector('option[value="csv"]').disabled = settings.dataset !== "csv";
  writeUrl();
}

// ----------------------------------------------------------------------------- the socket

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function showError(message) {
  stats.errors.push(message);
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = () => { $("connection").textContent = "connected"; };
  socket.onclose = (event) => {
    $("connection").textContent = `disconnected${event.reason ? ` (${event.reason})` : ""}: `
      + "reload the page to start again";
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "hello") {
      stats.session = message.session;
      limits = message.limits;
      for (const name of ["model.npz", "report.html"]) {
        $(`export-${name.split(".")[0]}`).href = `/session/${message.session}/${name}`;
      }
      for (const name of ["boundary", "hidden", "loss", "network"]) {
        $(`export-${name}`).href = `/session/${message.session}/${name}.png`;
      }
      send({ type: "speed", value: Number($("speed").value) });
      send({ type: "settings", settings: settingsFromControls() });
    } else if (message.type === "data") {
      data = message;
      showSettings(message.settings);
      $("shown").textContent = message.X.length < message.samples
        ? `${message.X.length} of ${message.samples} points shown` : "";
    } else if (message.type === "frame") {
      drawFrame(message);
    } else if (message.type === "state") {
      playing = message.playing;
      $("play").textContent = playing ? "pause" : "play";
    } else if (message.type === "explain") {
      stats.explain = message;
      $("explain-text").textContent = message.text;
    } else if (message.type === "error") {
      showError(message.message);
    }
  };
}

// ----------------------------------------------------------------------------- drawing

function drawFrame(frame) {
  stats.frames += 1;
  stats.lastFrame = frame;
  if (stats.firstFrameAt === null) stats.firstFrameAt = performance.now();
  $("step").textContent = String(frame.step);
  $("loss-value").textContent = frame.loss === null ? "diverged" : frame.loss.toPrecision(4);
  $("accuracy").textContent = `${(100 * frame.accuracy).toFixed(1)}%`;
  $("outcome").textContent = frame.outcome;
  $("summary").textContent = frame.diverged || [frame.summary, frame.ended].filter(Boolean).join(" ");
  if (!data) return;
  drawBoundary(frame.boundary);
  drawHidden(frame.hidden);
  drawNetwork(frame.network);
  drawLoss(frame.history);
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// p in [0, 1] -> blue (0) through white (0.5) to orange (1).
function probabilityColour(p) {
  const [blue, orange] = [rgb(CLASS_COLOURS[0]), rgb(CLASS_COLOURS[1])];
  const end = p < 0.5 ? blue : orange;
  const t = Math.abs(p - 0.5) * 2;
  return end.map((c) => Math.round(255 + (c - 255) * t * 0.85));
}

function toPixel(extent, width, height) {
  const [x0, y0, x1, y1] = extent;
  return (x, y) => [((x - x0) / (x1 - x0)) * width, height - ((y - y0) / (y1 - y0)) * height];
}

function drawPoints(ctx, points, labels, project) {
  for (let i = 0; i < points.length; i += 1) {
    const [px, py] = project(points[i][0], points[i][1]);
    ctx.beginPath();
    ctx.arc(px, py, points.length > 100 ? 3.5 : 7, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLOURS[labels[i] % CLASS_COLOURS.length];
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }
}

function drawBoundary(boundary) {
  const canvas = $("boundary-view");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!boundary || !data.extent) {
    ctx.fillStyle = "#555";
    ctx.fillText("the boundary needs 2 features", 20, 30);
    return;
  }
  const n = boundary.size;
  const image = ctx.createImageData(n, n);
  for (let row = 0; row < n; row += 1) {
    for (let col = 0; col < n; col += 1) {
      const k = row * n + col;
      let colour;
      if (boundary.class) {
        const base = rgb(CLASS_COLOURS[boundary.class[k] % CLASS_COLOURS.length]);
        const sure = boundary.p[k];
        colour = base.map((c) => Math.round(255 + (c - 255) * (0.25 + 0.6 * sure)));
      } else {
        colour = probabilityColour(boundary.p[k]);
      }
      const at = ((n - 1 - row) * n + col) * 4; // row 0 is the lowest y: draw it at the bottom
      image.data.set([...colour, 255], at);
    }
  }
  const small = document.createElement("canvas");
  small.width = n;
  small.height = n;
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  drawPoints(ctx, data.X, data.y, toPixel(data.extent, canvas.width, canvas.height));
  stats.boundaryDraws += 1;
}

function drawHidden(hidden) {
  const canvas = $("hidden-view");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!hidden) return;
  $("hidden-title").textContent = hidden.title || "hidden space";
  const xs = hidden.coords.map((c) => c[0]);
  const ys = hidden.coords.map((c) => c[1]);
  const pad = (lo, hi) => { const m = 0.15 * Math.max(hi - lo, 1e-3); return [lo - m, hi + m]; };
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const project = toPixel([x0, y0, x1, y1], canvas.width, canvas.height);
  ctx.strokeStyle = "#222";
  ctx.lineWidth = 2;
  const dashes = [[], [8, 5], [2, 4], [8, 4, 2, 4]];
  hidden.lines.forEach(([a0, a1, c0], i) => {
    let p, q;
    if (Math.abs(a1) > Math.abs(a0)) {
      p = [x0, -(c0 + a0 * x0) / a1];
      q = [x1, -(c0 + a0 * x1) / a1];
    } else if (Math.abs(a0) > 0) {
      p = [-(c0 + a1 * y0) / a0, y0];
      q = [-(c0 + a1 * y1) / a0, y1];
    } else return;
    ctx.setLineDash(dashes[i % dashes.length]);
    ctx.beginPath();
    ctx.moveTo(...project(...p));
    ctx.lineTo(...project(...q));
    ctx.stroke();
  });
  ctx.setLineDash([]);
  drawPoints(ctx, hidden.coords, data.y, project);
  ctx.fillStyle = "#555";
  ctx.fillText(hidden.labels[0], 8, canvas.height - 6);
}

function svg(name, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawNetwork(network) {
  const root = $("network-view");
  root.replaceChildren();
  const { W1, b1, W2, b2, W3 } = network;
  const [width, height] = [360, 300];
  const column = (count, x) => Array.from({ length: count }, (_, i) =>
    [x, count === 1 ? height / 2 : 30 + (i * (height - 60)) / (count - 1)]);
  const inputs = column(W1.length, 40);
  const hiddenUnits = column(b1.length, 180);
  const outputs = column(b2.length, 320);
  const all = [...W1.flat(), ...W2.flat(), ...(W3 ? W3.flat() : [])].map(Math.abs);
  const scale = Math.max(...all, 1e-12);
  const edges = (from, to, W, name) => W.forEach((row, i) => row.forEach((w, j) => {
    const line = svg("line", { x1: from[i][0], y1: from[i][1], x2: to[j][0], y2: to[j][1],
      stroke: w > 0 ? CLASS_COLOURS[1] : CLASS_COLOURS[0], "stroke-width": 0.5 + 6 * Math.abs(w) / scale,
      "stroke-opacity": 0.8, "data-weight": `${name}[${i},${j}]`,
      "stroke-dasharray": name === "W3" ? "6 4" : "none" });
    line.appendChild(svg("title", {}, `${name}[${i},${j}] = ${w.toFixed(4)}`));
    root.appendChild(line);
  }));
  edges(inputs, hiddenUnits, W1, "W1");
  edges(hiddenUnits, outputs, W2, "W2");
  if (W3) edges(inputs, outputs, W3, "W3"); // the shortcut, dashed
  const units = (points, label, biases) => points.forEach(([x, y], i) => {
    const group = svg("g", {});
    group.appendChild(svg("circle", { cx: x, cy: y, r: 13, fill: "#fff", stroke: "#333" }));
    group.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle", "font-size": 10 }, label(i)));
    if (biases) group.appendChild(svg("title", {}, `bias ${biases[i].toFixed(4)}`));
    root.appendChild(group);
  });
  units(inputs, (i) => (data && data.features[i]) || `x${i + 1}`);
  units(hiddenUnits, (i) => `h${i + 1}`, b1);
  units(outputs, (i) => (b2.length === 1 ? "p" : `p${i}`), b2);
}

function drawLoss(history) {
  const canvas = $("loss-view");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const [steps, losses] = history;
  const points = steps.map((s, i) => [s, losses[i]]).filter(([, l]) => l > 0 && Number.isFinite(l));
  if (points.length < 2) return;
  const logs = points.map(([, l]) => Math.log10(l));
  const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
  const last = points[points.length - 1][0] || 1;
  const [left, bottom] = [40, canvas.height - 20];
  ctx.strokeStyle = "#999";
  ctx.strokeRect(left, 5, canvas.width - left - 5, bottom - 5);
  ctx.strokeStyle = CLASS_COLOURS[0];
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach(([s], i) => {
    const x = left + (s / last) * (canvas.width - left - 5);
    const y = 5 + ((hi - logs[i]) / Math.max(hi - lo, 1e-9)) * (bottom - 5);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#555";
  ctx.fillText(`1e${hi.toFixed(1)}`, 2, 14);
  ctx.fillText(`1e${lo.toFixed(1)}`, 2, bottom);
  ctx.fillText(`step ${last}`, canvas.width - 80, canvas.height - 4);
}

// ----------------------------------------------------------------------------- controls

function wire() {
  for (const name of SETTINGS) {
    $(name).addEventListener("change", () => {
      if (name === "dataset" && $("dataset").value === "csv") return;
      clearError();
      writeUrl();
      send({ type: "settings", settings: settingsFromControls() });
    });
  }
  $("play").addEventListener("click", () => send({ type: playing ? "pause" : "play" }));
  $("step-once").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("new-start").addEventListener("click", () => send({ type: "new_start" }));
  $("explain").addEventListener("click", () => send({ type: "explain", lang: $("lang").value }));
  $("lang").addEventListener("change", writeUrl);
  $("speed").addEventListener("input", () => {
    writeUrl();
    send({ type: "speed", value: Number($("speed").value) });
  });
  $("csv").addEventListener("change", async () => {
    const file = $("csv").files[0];
    if (!file) return;
    clearError();
    if (file.size > limits.csv_bytes) {
      showError(`${file.name}: larger than ${limits.csv_bytes / 1000} kB`);
      return;
    }
    send({ type: "csv", name: file.name, text: await file.text() });
  });
}

readUrl();
wire();
connect();
