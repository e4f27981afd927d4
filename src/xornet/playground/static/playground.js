// xornet playground: the page's logic, one for both of its front ends. It draws what the
// library's Session computes and sends the learner's choices back; no maths here: every number
// on the page comes from the Python library.
//
// The page talks to Python through a transport, an object with
//   send(message)        a message (an object) to the library;
//   onmessage            set by the page: called with each message from the library (an object)
//                        and its binary buffers (an array, often empty);
//   onstatus             set by the page: called with the connection's state, a key of
//                        STRINGS (connected, ...) and its arguments, shown in the page's language;
//   start(settings)      called once the page listens: connect, or ask for the first state;
//                        when usesUrl, the first state must be of these settings (the
//                        address's), so that the page never draws another run's first;
//   usesUrl              whether the page's settings live in its address (a tab of its own);
//   exportHref(id, name) a link to an export file, or null when the transport brings the
//                        file as a message ({type: "export", name, media} and its bytes).
// app.js gives it a WebSocket (xornet playground); widget.js the notebook widget's messages.
// Neither has any logic of the page's own.

const SETTINGS = ["dataset", "samples", "hidden", "shortcut", "activation", "init", "optimizer",
  "loss", "learning_rate", "batch_size", "seed"];
const INTEGER = new Set(["samples", "hidden", "seed", "batch_size"]);
const CLASS_COLOURS = ["#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#495057",
  "#e67700", "#0b7285", "#5c940d", "#862e9c"];
const EXPORTS = ["model.npz", "report.html", "boundary.png", "hidden.png", "loss.png",
  "network.png"];
const DASHES = [[], [8, 5], [2, 4], [8, 4, 2, 4]];
const SPEED_STEPS = [1, 1, 2, 5, 10, 25, 50, 100, 250, null]; // protocol.SPEEDS, as words
// Room around each plot for its axes: left, right, top, bottom (CSS pixels).
const MARGIN = [50, 10, 8, 38];
const SVG = "http://www.w3.org/2000/svg";

// ----------------------------------------------------------------------------- the page's words

// Every word the page shows, in English and Korean: the markup's (elements with data-t for
// their text, data-t-label for aria-label, data-t-title for title) and this file's. The
// explanation and the frame's summary come from Python (the summary in English only).
export const STRINGS = {
  title: { en: "xornet playground", ko: "xornet 놀이터" },
  connecting: { en: "connecting…", ko: "연결 중…" },
  connected: { en: "connected", ko: "연결됨" },
  disconnected: {
    en: (reason) => `disconnected${reason ? ` (${reason})` : ""}: reload the page to start again`,
    ko: (reason) => `연결 끊김${reason ? ` (${reason})` : ""}: 다시 시작하려면 페이지를 새로 고치세요`,
  },
  "kernel-connecting": { en: "connecting to the kernel…", ko: "커널에 연결 중…" },
  "kernel-connected": { en: "connected to the kernel", ko: "커널에 연결됨" },
  training: { en: "training", ko: "학습" },
  reset: { en: "reset", ko: "처음으로" },
  "reset-title": { en: "back to the same initial weights, step 0", ko: "같은 초기 가중치, 0단계로 돌아간다" },
  play: { en: "play", ko: "재생" },
  pause: { en: "pause", ko: "일시 정지" },
  "one-step": { en: "one step", ko: "한 단계" },
  "one-step-title": {
    en: "take exactly one step (the one “explain this step” shows)",
    ko: "꼭 한 단계만 학습한다 (“이 단계 설명”이 보여 주는 단계)",
  },
  "new-start": { en: "new start", ko: "새로 시작" },
  "new-start-title": { en: "new random initial weights (the next seed)", ko: "새 무작위 초기 가중치 (다음 시드)" },
  step: { en: "step", ko: "단계" },
  loss: { en: "loss", ko: "손실" },
  accuracy: { en: "accuracy", ko: "정확도" },
  verdict: { en: "verdict", ko: "판정" },
  "training-settings": { en: "training settings", ko: "학습 설정" },
  "learning-rate": { en: "learning rate", ko: "학습률" },
  activation: { en: "activation", ko: "활성화 함수" },
  sigmoid: { en: "sigmoid", ko: "시그모이드" },
  optimizer: { en: "optimizer", ko: "최적화 방법" },
  gd: { en: "gradient descent", ko: "경사 하강법" },
  momentum: { en: "momentum", ko: "모멘텀" },
  "loss-function": { en: "loss", ko: "손실 함수" },
  bce: { en: "cross-entropy (the post)", ko: "교차 엔트로피 (글)" },
  sse: { en: "squared error (1986)", ko: "제곱 오차 (1986)" },
  batch: { en: "batch", ko: "배치" },
  "full-batch": { en: "full batch", ko: "전체 배치" },
  "per-pattern": { en: "1 (per pattern)", ko: "1 (패턴마다)" },
  speed: { en: "speed", ko: "속도" },
  "speed-text": {
    en: (speed) => {
      const steps = SPEED_STEPS[speed - 1];
      const text = speed === 1 ? "1 step a quarter second"
        : steps === null ? "as many steps as fit in a frame"
          : `${steps} step${steps === 1 ? "" : "s"} a frame`;
      return `${speed} of 10: ${text}`;
    },
    ko: (speed) => {
      const steps = SPEED_STEPS[speed - 1];
      const text = speed === 1 ? "0.25초에 1단계"
        : steps === null ? "한 프레임에 들어가는 만큼" : `한 프레임에 ${steps}단계`;
      return `10 중 ${speed}: ${text}`;
    },
  },
  data: { en: "data", ko: "데이터" },
  dataset: { en: "dataset", ko: "데이터셋" },
  "noisy-xor": { en: "noisy XOR", ko: "잡음 섞인 XOR" },
  moons: { en: "moons", ko: "초승달" },
  circles: { en: "circles", ko: "동심원" },
  spiral: { en: "spiral", ko: "나선" },
  spiral3: { en: "spiral, 3 classes", ko: "나선, 클래스 3개" },
  "uploaded-csv": { en: "uploaded CSV", ko: "올린 CSV" },
  points: { en: "points", ko: "점 개수" },
  "samples-note": {
    en: "of a random set (moons, circles, spirals, noisy XOR)",
    ko: "무작위로 만드는 데이터의 점 (초승달, 동심원, 나선, 잡음 섞인 XOR)",
  },
  "your-csv": { en: "your own CSV file", ko: "내 CSV 파일" },
  "csv-note-1": { en: "a header row and a", ko: "머리글 행과, 클래스 번호가 든" },
  "csv-note-2": { en: "column of class numbers", ko: "열" },
  "start-note": { en: "starting from the weights given in Python", ko: "Python에서 준 가중치에서 시작했다" },
  "points-shown": { en: (n, all) => `${n} of ${all} points shown`, ko: (n, all) => `점 ${all}개 중 ${n}개를 그렸다` },
  "too-large": { en: (name, kb) => `${name}: larger than ${kb} kB`, ko: (name, kb) => `${name}: ${kb} kB보다 크다` },
  network: { en: "network", ko: "신경망" },
  "hidden-units": { en: "hidden units", ko: "은닉 유닛" },
  "fewer-hidden": { en: "one hidden unit fewer", ko: "은닉 유닛 하나 빼기" },
  "more-hidden": { en: "one hidden unit more", ko: "은닉 유닛 하나 더하기" },
  shortcut: { en: "shortcut: inputs wired straight to the output", ko: "지름길: 입력을 출력에 바로 잇는다" },
  "start-weights": { en: "start weights", ko: "시작 가중치" },
  "initial-weights": { en: "initial weights", ko: "초기 가중치" },
  normal: { en: "normal (the post)", ko: "정규 분포 (글)" },
  uniform: { en: "uniform ±1", ko: "균등 분포 ±1" },
  seed: { en: "seed", ko: "시드" },
  "network-caption": {
    en: "Each hidden unit shows its own output over the input plane (point at one, or focus "
      + "it, to see it large in the output); the output shows the network's. Lines are weights: "
      + "orange positive, blue negative, thicker larger (hover for the value).",
    ko: "은닉 유닛마다 입력 평면 위에서 자기 출력을 보여 준다 (하나를 가리키거나 포커스하면 출력 "
      + "보기에 크게 나온다). 출력 유닛은 신경망의 출력을 보여 준다. 선은 가중치다: 주황은 양수, "
      + "파랑은 음수, 굵을수록 크다 (마우스를 올리면 값이 보인다).",
  },
  "unit-label": {
    en: (n) => `hidden unit h${n}: show its output in the output view`,
    ko: (n) => `은닉 유닛 h${n}: 출력 보기에 이 유닛의 출력을 보인다`,
  },
  "unit-title": {
    en: (n, bias) => `hidden unit h${n}: its output over the input plane; bias b1[${n - 1}] = ${bias}`,
    ko: (n, bias) => `은닉 유닛 h${n}: 입력 평면 위 이 유닛의 출력; 바이어스 b1[${n - 1}] = ${bias}`,
  },
  "output-title": {
    en: (name, i, bias) => `output ${name}: bias b2[${i}] = ${bias}`,
    ko: (name, i, bias) => `출력 ${name}: 바이어스 b2[${i}] = ${bias}`,
  },
  "input-title": { en: (name, label) => `input ${name}: ${label}`, ko: (name, label) => `입력 ${name}: ${label}` },
  output: { en: "output", ko: "출력" },
  "boundary-label": {
    en: "decision boundary: the network's output over the input plane, with the data",
    ko: "결정 경계: 입력 평면 위 신경망의 출력과 데이터",
  },
  "boundary-caption": {
    en: "decision boundary: the network's output over the input plane",
    ko: "결정 경계: 입력 평면 위 신경망의 출력",
  },
  "unit-caption": {
    en: (n, [lo, hi]) => `hidden unit h${n}: its output over the input plane (blue ${lo}, `
      + `white ${(lo + hi) / 2}, orange ${hi})`,
    ko: (n, [lo, hi]) => `은닉 유닛 h${n}: 입력 평면 위 이 유닛의 출력 (파랑 ${lo}, `
      + `흰색 ${(lo + hi) / 2}, 주황 ${hi})`,
  },
  "no-boundary": {
    en: (d) => ["the boundary is drawn over 2 features;", `this data has ${d}`],
    ko: (d) => ["결정 경계는 특성이 2개일 때 그린다;", `이 데이터의 특성은 ${d}개`],
  },
  legend: { en: "legend", ko: "범례" },
  class: { en: (k) => `class ${k}`, ko: (k) => `클래스 ${k}` },
  "output-scale": { en: ["output 0", "1 (white: 0.5)"], ko: ["출력 0", "1 (흰색: 0.5)"] },
  "more-lines": { en: (n) => `and ${n} more lines`, ko: (n) => `그 밖의 선 ${n}개` },
  "loss-label": { en: "loss against steps, log scale", ko: "단계에 따른 손실, 로그 눈금" },
  "loss-caption": { en: "loss (log scale) against steps", ko: "단계에 따른 손실 (로그 눈금)" },
  "hidden-space": { en: "hidden space", ko: "은닉 공간" },
  "hidden-label": {
    en: "the samples where the hidden layer puts them, and the output unit's line",
    ko: "은닉층이 옮겨 놓은 자리의 샘플과 출력 유닛의 직선",
  },
  diverged: { en: "diverged", ko: "발산" },
  outcome: {
    en: (kind) => kind,
    ko: (kind) => ({ solved: "해결", plateau: "정체", improving: "나아지는 중",
      diverged: "발산", untrained: "학습 전" })[kind] || kind,
  },
  "explain-title": { en: "explain the next step", ko: "다음 단계 설명" },
  explain: { en: "explain this step", ko: "이 단계 설명" },
  language: { en: "language", ko: "언어" },
  layout: { en: "layout", ko: "배치" },
  "layout-library": { en: "xornet's (samples x features)", ko: "xornet의 배치 (샘플 x 특성)" },
  "layout-post": { en: "the post's (features x samples)", ko: "글의 배치 (특성 x 샘플)" },
  "post-not-applicable": {
    en: "The post's layout shows the post's network only (one sigmoid output, cross-entropy, "
      + "no shortcut): this step is in xornet's layout.",
    ko: "글의 배치는 글의 신경망(시그모이드 출력 하나, 교차 엔트로피, 지름길 없음)만 보여 준다: "
      + "이 단계는 xornet의 배치로 보인다.",
  },
  "explain-label": { en: "every number of the next step", ko: "다음 단계의 모든 숫자" },
  export: { en: "export:", ko: "내보내기:" },
  "export-model": { en: "model (.npz)", ko: "모델 (.npz)" },
  "export-report": { en: "report (HTML)", ko: "보고서 (HTML)" },
  "export-boundary": { en: "boundary", ko: "결정 경계" },
};

export const LANGUAGES = ["en", "ko"];

// A word of the page in a language (English for a language the table lacks).
export function word(lang, key, ...args) {
  const entry = STRINGS[key];
  const value = entry[lang] ?? entry.en;
  return typeof value === "function" ? value(...args) : value;
}

// ----------------------------------------------------------------------------- numbers and colours

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// p in [0, 1] -> blue (0) through white (0.5) to orange (1): the output's probability of class 1.
// `strength` is how far towards the full colour the ends go (lighter under the data's points).
function probabilityColour(p, strength = 0.85) {
  const [blue, orange] = [rgb(CLASS_COLOURS[0]), rgb(CLASS_COLOURS[1])];
  const end = p < 0.5 ? blue : orange;
  const t = Math.min(1, Math.abs(p - 0.5) * 2);
  return end.map((c) => Math.round(255 + (c - 255) * t * strength));
}

// About `count` round ticks (1, 2 or 5 times a power of ten) from lo to hi.
export function niceTicks(lo, hi, count, least = 0) {
  const rough = Math.max(hi - lo, 1e-12) / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const ratio = rough / power;
  // `least`: the smallest step that means something (1 on an axis of whole steps).
  const step = Math.max(least, (ratio >= 7.5 ? 10 : ratio >= 3.5 ? 5 : ratio >= 1.5 ? 2 : 1) * power);
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    ticks.push(k * step);
  }
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return ticks.map((v) => [v, (Math.abs(v) < step / 2 ? 0 : v).toFixed(Math.min(digits, 8))]);
}

// A power of ten, or a small multiple of one, as a person writes it: 1, 0.1, 0.02, 1e-3, 2e5.
export function formatPower(value) {
  const exponent = Math.floor(Math.log10(value) + 1e-9);
  if (exponent >= -2 && exponent <= 4) return String(Number(value.toPrecision(2)));
  return `${Math.round(value / 10 ** exponent)}e${exponent}`;
}

// Ticks of a log axis from 10^lo to 10^hi: the powers of ten, or, when the range holds fewer
// than two, also 2 and 5 times them (then every multiple).
export function logTicks(lo, hi) {
  let ticks = [];
  for (const multiples of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    ticks = [];
    for (let e = Math.floor(lo) - 1; e <= Math.ceil(hi); e += 1) {
      for (const m of multiples) {
        const v = m * 10 ** e;
        const at = Math.log10(v);
        if (at >= lo - 1e-9 && at <= hi + 1e-9) ticks.push([at, formatPower(v)]);
      }
    }
    if (ticks.length >= 2) break;
  }
  return ticks;
}

function formatSteps(value) {
  if (value >= 1e6 && value % 1e5 === 0) return `${value / 1e6}M`;
  if (value >= 1e4 && value % 1e3 === 0) return `${value / 1e3}k`;
  return String(value);
}

// ----------------------------------------------------------------------------- the page

export function mount(root, transport, { markup = null, prefix = "" } = {}) {
  if (markup !== null) root.innerHTML = markup; // the page's own markup (index.html's)
  const page = root.classList.contains("xornet-playground")
    ? root : root.querySelector(".xornet-playground");
  // Element ids are the page's names; in a notebook, where several widgets share a document,
  // each copy's ids carry its own prefix (and so do the labels that point at them).
  const elements = new Map();
  for (const element of page.querySelectorAll("[id]")) {
    elements.set(element.id, element);
    element.id = prefix + element.id;
  }
  if (prefix) {
    for (const name of ["for", "aria-labelledby", "aria-describedby", "aria-controls"]) {
      for (const element of page.querySelectorAll(`[${name}]`)) {
        const ids = element.getAttribute(name).split(/\s+/).filter(Boolean);
        element.setAttribute(name, ids.map((id) => prefix + id).join(" "));
      }
    }
  }
  const $ = (id) => elements.get(id);
  const fontFamily = getComputedStyle(page).fontFamily || "sans-serif";

  // State the tests and the benchmark read: frames drawn, the last frame, timings.
  const stats = { frames: 0, boundaryDraws: 0, firstFrameAt: null, lastFrame: null,
    session: null, explain: null, errors: [], boundaryUnit: null };
  window.xornet = stats;

  let data = null;
  let playing = false;
  let limits = { csv_bytes: 1000000 }; // the library's, from its hello
  let network = null; // the network view's elements, kept while its shape stays
  let shownUnit = null; // the hidden unit pointed at: the boundary view shows its output
  let destroyed = false;
  let lang = "en"; // the page's words and the explanation's (the language control)
  let status = ["connecting"]; // the connection's line: a key of STRINGS and its arguments
  const t = (key, ...args) => word(lang, key, ...args);

  // --------------------------------------------------------------------------- language

  // The markup's words in the page's language, and the language on the page (so that its
  // Korean font stack applies, and screen readers read it as Korean).
  function translateMarkup() {
    page.lang = lang;
    if (transport.usesUrl) { // a tab of its own: the document is the page's
      document.documentElement.lang = lang;
      document.title = t("title");
    }
    for (const element of page.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
    for (const element of page.querySelectorAll("[data-t-label]")) {
      element.setAttribute("aria-label", t(element.dataset.tLabel));
    }
    for (const element of page.querySelectorAll("[data-t-title]")) {
      element.setAttribute("title", t(element.dataset.tTitle));
    }
  }

  // Everything in the new language: the markup, the words this file writes, the views.
  function changeLanguage() {
    lang = LANGUAGES.includes($("lang").value) ? $("lang").value : "en";
    translateMarkup();
    showSpeed();
    showPlaying();
    showShown();
    $("connection").textContent = t(...status);
    network = null; // its names and titles are rebuilt
    if (stats.lastFrame && data) drawViews(stats.lastFrame);
  }

  // --------------------------------------------------------------------------- settings and URL

  // The address's settings into the controls. Returns the values a control could not hold (a
  // dataset no menu offers, text in a number box: the control would read "" or its first
  // choice), so that they go to the server as written and its error names them.
  function readUrl() {
    const params = new URLSearchParams(location.search);
    const refused = {};
    for (const name of SETTINGS) {
      if (!params.has(name)) continue;
      const raw = params.get(name);
      if (name === "shortcut") $(name).checked = raw === "true";
      else {
        $(name).value = raw;
        if ($(name).value !== raw) refused[name] = raw;
      }
    }
    for (const name of ["speed", "lang", "layout"]) {
      if (params.has(name)) $(name).value = params.get(name);
    }
    return refused;
  }

  // A setting's value as the server reads it, from a control's text.
  function settingValue(name, raw) {
    if (name === "batch_size" && raw === "") return null;
    if (!INTEGER.has(name) && name !== "learning_rate") return raw;
    const number = Number(raw);
    return Number.isNaN(number) ? raw : number; // text, not a number: named by the error
  }

  function settingsFromControls(refused = {}) {
    const out = {};
    for (const name of SETTINGS) {
      if (name === "shortcut") out[name] = $(name).checked;
      else out[name] = settingValue(name, name in refused ? refused[name] : $(name).value);
    }
    return out;
  }

  function writeUrl() {
    if (!transport.usesUrl) return; // a notebook's address is the notebook's
    const params = new URLSearchParams();
    for (const name of SETTINGS) {
      if (name === "dataset" && $(name).value === "csv") continue; // an upload cannot be shared
      params.set(name, name === "shortcut" ? String($(name).checked) : $(name).value);
    }
    for (const name of ["speed", "lang", "layout"]) params.set(name, $(name).value);
    history.replaceState(null, "", `${location.pathname}?${params}`);
  }

  function showSettings(settings) {
    for (const name of SETTINGS) {
      const value = settings[name];
      const text = value === null ? "" : String(value);
      if (name === "shortcut") $(name).checked = Boolean(value);
      else if ($(name).tagName === "SELECT" && ![...$(name).options].some((o) => o.value === text)) {
        $(name).append(new Option(text, text)); // a batch size from the address, not in the menu
      }
      if (name !== "shortcut") $(name).value = text;
    }
    $("dataset").querySelector('option[value="csv"]').disabled = settings.dataset !== "csv";
    $("samples").disabled = settings.dataset === "csv"; // an upload has its own points
    writeUrl();
  }

  function showSpeed() {
    const speed = Number($("speed").value);
    $("speed").setAttribute("aria-valuetext", t("speed-text", speed));
  }

  function showPlaying() {
    $("play").textContent = t(playing ? "pause" : "play");
    $("play").setAttribute("aria-pressed", String(playing));
  }

  // How many of the data's points the views draw, when not all of them.
  function showShown() {
    $("shown").textContent = data && data.X.length < data.samples
      ? t("points-shown", data.X.length, data.samples) : "";
  }

  function explain() {
    send({ type: "explain", lang, layout: $("layout").value });
  }

  // The explanation shown is of the step the page shows, not playing: another language or
  // layout shows it again.
  function explainAgain() {
    const shown = stats.explain;
    if (shown && !playing && stats.lastFrame && shown.step === stats.lastFrame.step) explain();
  }

  // --------------------------------------------------------------------------- messages

  function send(message) {
    if (!destroyed) transport.send(message);
  }

  function showError(message) {
    stats.errors.push(message);
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function clearError() {
    $("error").hidden = true;
  }

  function receive(message, buffers) {
    if (destroyed) return;
    if (message.type === "hello") {
      stats.session = message.session;
      limits = message.limits;
      for (const name of EXPORTS) {
        const link = $(`export-${name.split(".")[0]}`);
        const href = transport.exportHref(message.session, name);
        link.setAttribute("href", href === null ? "#" : href);
        link.dataset.export = name;
      }
      if (message.view) { // a notebook's Playground(lang=, layout=)
        $("layout").value = message.view.layout;
        if (message.view.lang !== $("lang").value) {
          $("lang").value = message.view.lang;
          changeLanguage();
        }
      }
      // The tab's address chose the speed (and the settings, which start() sent).
      if (transport.usesUrl) send({ type: "speed", value: Number($("speed").value) });
    } else if (message.type === "data") {
      data = message;
      showSettings(message.settings);
      showShown();
      $("start-note").hidden = message.start !== "given";
      network = null;
    } else if (message.type === "frame") {
      drawFrame(message);
    } else if (message.type === "state") {
      playing = message.playing;
      showPlaying();
      if (!transport.usesUrl) $("speed").value = String(message.speed);
      showSpeed();
    } else if (message.type === "explain") {
      stats.explain = message;
      $("explain-text").textContent = message.text;
      $("explain-text").lang = lang;
      // The post's layout asked for a network it does not describe: xornet's, and why.
      const fallBack = message.layout !== $("layout").value;
      $("explain-note").textContent = fallBack ? t("post-not-applicable") : "";
      $("explain-note").title = fallBack && message.note ? message.note : "";
      $("explain-note").hidden = !fallBack;
    } else if (message.type === "export") {
      download(message.name, message.media, buffers[0]);
    } else if (message.type === "error") {
      showError(message.message);
    }
  }

  function download(name, media, bytes) {
    const url = URL.createObjectURL(new Blob([bytes], { type: media }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    page.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // --------------------------------------------------------------------------- drawing

  function drawFrame(frame) {
    stats.frames += 1;
    stats.lastFrame = frame;
    if (stats.firstFrameAt === null) stats.firstFrameAt = performance.now();
    drawViews(frame);
  }

  function drawViews(frame) {
    show("step", String(frame.step));
    show("loss-value", frame.loss === null ? t("diverged") : frame.loss.toPrecision(4));
    show("accuracy", `${(100 * frame.accuracy).toFixed(1)}%`);
    show("outcome", t("outcome", frame.outcome)); // announced when it changes
    const summary = frame.diverged || [frame.summary, frame.ended].filter(Boolean).join(" ");
    show("summary", summary);
    $("summary").title = summary; // shown whole on hover; three lines at most on the page
    if (!data) return;
    drawBoundary(frame.boundary, frame.units);
    drawHidden(frame.hidden);
    drawNetwork(frame);
    drawLoss(frame.history);
  }

  // Text that changes only when it differs (a live region speaks each change).
  function show(id, text) {
    if ($(id).textContent !== text) $(id).textContent = text;
  }

  // A canvas ready to draw on in CSS pixels, as wide as it is shown (so its text keeps its
  // size in a narrow cell or on a phone) and sharp on any screen; its size in CSS pixels.
  function canvasContext(canvas) {
    if (!canvas.dataset.width) { // the markup's size: the default, and the shape kept
      canvas.dataset.width = canvas.width;
      canvas.dataset.height = canvas.height;
    }
    const [baseWidth, baseHeight] = [Number(canvas.dataset.width), Number(canvas.dataset.height)];
    const width = Math.round(canvas.clientWidth) || baseWidth;
    const height = Math.round((width * baseHeight) / baseWidth);
    const ratio = Math.min(Math.max(window.devicePixelRatio || 1, 1), 3);
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = `11px ${fontFamily}`;
    return [ctx, width, height];
  }

  // The plot area inside a canvas of this size, and a projection of data into it.
  function plotBox(width, height) {
    const [left, right, top, bottom] = MARGIN;
    return { x: left, y: top, w: width - left - right, h: height - top - bottom };
  }

  function projector(box, [x0, y0, x1, y1]) {
    return (x, y) => [box.x + ((x - x0) / (x1 - x0)) * box.w,
      box.y + box.h - ((y - y0) / (y1 - y0)) * box.h];
  }

  // Axes around a box: a frame, ticks with their numbers, and the two axes' names.
  function drawAxes(ctx, box, xTicks, yTicks, xName, yName) {
    ctx.save();
    ctx.strokeStyle = "#8a8f98";
    ctx.lineWidth = 1;
    ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w - 1, box.h - 1);
    ctx.fillStyle = "#3d434c";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const right = box.x + box.w + MARGIN[1];
    for (const [at, label] of xTicks) {
      ctx.beginPath();
      ctx.moveTo(at, box.y + box.h);
      ctx.lineTo(at, box.y + box.h + 4);
      ctx.stroke();
      const half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(at, right - half - 1), box.y + box.h + 6); // inside the canvas
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const [at, label] of yTicks) {
      ctx.beginPath();
      ctx.moveTo(box.x - 4, at);
      ctx.lineTo(box.x, at);
      ctx.stroke();
      ctx.fillText(label, box.x - 6, at);
    }
    ctx.font = `12px ${fontFamily}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    if (xName) ctx.fillText(xName, box.x + box.w / 2, box.y + box.h + 34);
    if (yName) {
      ctx.translate(11, box.y + box.h / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle";
      ctx.fillText(yName, 0, 0);
    }
    ctx.restore();
  }

  // Ticks of data coordinates placed in the box (x along its width, y up its height).
  function placedTicks(box, extent, axis, count) {
    const [lo, hi] = axis === "x" ? [extent[0], extent[2]] : [extent[1], extent[3]];
    const project = projector(box, extent);
    return niceTicks(lo, hi, count).map(([v, label]) =>
      [axis === "x" ? project(v, extent[1])[0] : project(extent[0], v)[1], label]);
  }

  function drawPoints(ctx, points, labels, project) {
    const radius = points.length > 100 ? 3.5 : 6.5;
    for (let i = 0; i < points.length; i += 1) {
      const [px, py] = project(points[i][0], points[i][1]);
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fillStyle = CLASS_COLOURS[labels[i] % CLASS_COLOURS.length];
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.beginPath(); // a thin dark ring: a point shows on a region of its own colour too
      ctx.arc(px, py, radius + 1.25, 0, 2 * Math.PI);
      ctx.lineWidth = 0.75;
      ctx.strokeStyle = "rgba(31, 35, 40, 0.7)";
      ctx.stroke();
    }
  }

  // The boundary's grid as a small image: row 0 of the grid (the lowest y) at the bottom.
  // `strength` as for probabilityColour: lighter behind the data's points.
  function boundaryImage(boundary, strength = 0.85) {
    const n = boundary.size;
    const small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    const smallCtx = small.getContext("2d");
    const image = smallCtx.createImageData(n, n);
    for (let row = 0; row < n; row += 1) {
      for (let col = 0; col < n; col += 1) {
        const k = row * n + col;
        let colour;
        if (boundary.class) {
          const base = rgb(CLASS_COLOURS[boundary.class[k] % CLASS_COLOURS.length]);
          const sure = boundary.p[k];
          colour = base.map((c) => Math.round(255 + (c - 255) * (0.25 + 0.6 * sure) * strength / 0.85));
        } else {
          colour = probabilityColour(boundary.p[k], strength);
        }
        image.data.set([...colour, 255], ((n - 1 - row) * n + col) * 4);
      }
    }
    smallCtx.putImageData(image, 0, 0);
    return small;
  }

  // Each hidden unit's levels (0 to 255 of the frame's range), decoded once per frame.
  const levelsOf = new WeakMap();
  function allLevels(units) {
    if (!levelsOf.has(units)) {
      const text = atob(units.levels);
      const bytes = new Uint8Array(text.length);
      for (let k = 0; k < text.length; k += 1) bytes[k] = text.charCodeAt(k);
      levelsOf.set(units, bytes);
    }
    return levelsOf.get(units);
  }

  function unitLevels(units, i) {
    const cells = units.size * units.size;
    return allLevels(units).subarray(i * cells, (i + 1) * cells);
  }

  function unitCount(units) {
    return units ? allLevels(units).length / (units.size * units.size) : 0;
  }

  // A hidden unit's grid as a small image, as boundaryImage draws the output's.
  function unitImage(units, i, strength = 0.85) {
    const small = document.createElement("canvas");
    paintUnit(small, unitLevels(units, i), units.size, strength);
    return small;
  }

  function drawBoundary(boundary, units) {
    const [ctx, width, height] = canvasContext($("boundary-view"));
    if (!boundary || !data.extent) {
      const box = plotBox(width, height);
      ctx.fillStyle = "#f1f3f5";
      ctx.fillRect(box.x, box.y, box.w, box.h);
      ctx.fillStyle = "#57606a";
      ctx.textAlign = "center";
      const [first, second] = t("no-boundary", data.features.length);
      ctx.fillText(first, box.x + box.w / 2, box.y + box.h / 2 - 8);
      ctx.fillText(second, box.x + box.w / 2, box.y + box.h / 2 + 8);
      showLegend($("boundary-legend"), false, []);
      return;
    }
    const box = plotBox(width, height);
    ctx.imageSmoothingEnabled = true;
    const unit = units && shownUnit !== null && shownUnit < unitCount(units) ? shownUnit : null;
    stats.boundaryUnit = unit;
    show("boundary-caption", unit === null
      ? t("boundary-caption") : t("unit-caption", unit + 1, units.range));
    const image = unit === null ? boundaryImage(boundary, 0.6) : unitImage(units, unit, 0.6);
    ctx.drawImage(image, box.x, box.y, box.w, box.h);
    drawPoints(ctx, data.X, data.y, projector(box, data.extent));
    drawAxes(ctx, box, placedTicks(box, data.extent, "x", 5), placedTicks(box, data.extent, "y", 5),
      data.features[0], data.features[1]);
    showLegend($("boundary-legend"), !boundary.class, []);
    stats.boundaryDraws += 1;
  }

  // The legend under a view: each class's colour, then (for one output) the colour scale of
  // the output's probability, then the lines drawn, each with its dash.
  function showLegend(list, scale, lines) {
    const key = JSON.stringify([lang, data && data.classes, scale, lines]);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren();
    if (!data) return;
    for (let k = 0; k < data.classes; k += 1) {
      const item = document.createElement("li");
      const dot = document.createElement("span");
      dot.className = `xp-dot xp-class-${k}`;
      item.append(dot, ` ${t("class", k)}`);
      list.appendChild(item);
    }
    if (scale) {
      const item = document.createElement("li");
      const ramp = document.createElement("span");
      ramp.className = "xp-ramp";
      const [low, high] = t("output-scale");
      item.append(`${low} `, ramp, ` ${high}`);
      list.appendChild(item);
    }
    const shown = lines.slice(0, 6);
    shown.forEach((label, i) => {
      const item = document.createElement("li");
      const sample = document.createElementNS(SVG, "svg");
      sample.setAttribute("viewBox", "0 0 28 8");
      sample.setAttribute("class", "xp-dash");
      sample.setAttribute("aria-hidden", "true");
      const line = document.createElementNS(SVG, "line");
      for (const [name, value] of Object.entries({ x1: 0, y1: 4, x2: 28, y2: 4,
        stroke: "#222", "stroke-width": 2, "stroke-dasharray": DASHES[i % DASHES.length].join(" ") || "none" })) {
        line.setAttribute(name, value);
      }
      sample.appendChild(line);
      item.append(sample, ` ${label}`);
      list.appendChild(item);
    });
    if (lines.length > shown.length) {
      const item = document.createElement("li");
      item.textContent = t("more-lines", lines.length - shown.length);
      list.appendChild(item);
    }
  }

  function drawHidden(hidden) {
    const [ctx, width, height] = canvasContext($("hidden-view"));
    if (!hidden) {
      showLegend($("hidden-legend"), false, []);
      return;
    }
    $("hidden-title").textContent = hidden.title || t("hidden-space");
    const xs = hidden.coords.map((c) => c[0]);
    const ys = hidden.coords.map((c) => c[1]);
    const pad = (lo, hi) => { const m = 0.15 * Math.max(hi - lo, 1e-3); return [lo - m, hi + m]; };
    const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
    const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
    const extent = [x0, y0, x1, y1];
    const box = plotBox(width, height);
    const project = projector(box, extent);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 2;
    hidden.lines.forEach(([a0, a1, c0], i) => {
      let p;
      let q;
      if (Math.abs(a1) > Math.abs(a0)) {
        p = [x0, -(c0 + a0 * x0) / a1];
        q = [x1, -(c0 + a0 * x1) / a1];
      } else if (Math.abs(a0) > 0) {
        p = [-(c0 + a1 * y0) / a0, y0];
        q = [-(c0 + a1 * y1) / a0, y1];
      } else return;
      ctx.setLineDash(DASHES[i % DASHES.length]);
      ctx.beginPath();
      ctx.moveTo(...project(...p));
      ctx.lineTo(...project(...q));
      ctx.stroke();
    });
    ctx.restore();
    drawPoints(ctx, hidden.coords, data.y, project);
    const flat = y1 - y0 < 1e-2 || hidden.labels[1] === "";
    drawAxes(ctx, box, placedTicks(box, extent, "x", 5), flat ? [] : placedTicks(box, extent, "y", 5),
      hidden.labels[0], hidden.labels[1]);
    showLegend($("hidden-legend"), false, hidden.lines.map((line) => line[3]));
  }

  function svg(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The network's picture: built once per shape, then each frame sets the weights' colours
  // and widths and repaints the units' thumbnails.
  function buildNetwork(frame) {
    const root = $("network-view");
    root.replaceChildren();
    shownUnit = null;
    const { W1, b1, b2, W3 } = frame.network;
    const [d, h, k] = [W1.length, b1.length, b2.length];
    const plane = Boolean(frame.units) && d === 2;
    const columns = Math.ceil(h / 16);
    const rows = Math.ceil(h / columns);
    const width = 360;
    const size = Math.max(16, Math.min(44, 300 / rows - 12)); // a hidden unit's square
    const gap = size >= 24 ? 17 : 6; // room for its name under it
    const side = Math.max(16, Math.min(36, 300 / d - 12)); // an input's square
    const height = Math.max(200, rows * (size + gap) + 30, d * (side + (plane ? 17 : 6)) + 30);
    root.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const place = (count, x, side) => Array.from({ length: count }, (_, i) =>
      [x, count === 1 ? height / 2 : 20 + side / 2 + (i * (height - 40 - side)) / (count - 1)]);
    const inputs = place(d, 44, side);
    const hidden = [];
    for (let c = 0; c < columns; c += 1) {
      const inColumn = Math.min(rows, h - c * rows);
      const x = columns === 1 ? 180 : 130 + (c * 100) / (columns - 1);
      hidden.push(...place(inColumn, x, size));
    }
    const outputs = place(k, 316, k === 1 ? 52 : 36);
    const edges = [];
    const connect = (from, to, W, name) => W.forEach((row, i) => row.forEach((_, j) => {
      const line = svg("line", { x1: from[i][0], y1: from[i][1], x2: to[j][0], y2: to[j][1],
        "stroke-opacity": 0.75, "data-weight": `${name}[${i},${j}]`,
        "stroke-dasharray": name === "W3" ? "6 4" : "none" });
      const title = svg("title", {});
      line.appendChild(title);
      root.appendChild(line);
      edges.push({ line, title, name, i, j });
    }));
    connect(inputs, hidden, W1, "W1");
    connect(hidden, outputs, frame.network.W2, "W2");
    if (W3) connect(inputs, outputs, W3, "W3"); // the shortcut, dashed
    const units = [];
    // The output's picture is the boundary: one output only (a softmax's has one per class).
    const pictured = (kind) => plane && (kind !== "output" || k === 1);
    const unit = ([x, y], side, name, label, kind) => {
      const group = svg("g", { "data-unit": name, class: `xp-node xp-${kind}` });
      const title = svg("title", {}, name);
      group.appendChild(title);
      let canvas = null;
      if (pictured(kind)) {
        const holder = svg("foreignObject", { x: x - side / 2, y: y - side / 2, width: side, height: side });
        canvas = document.createElement("canvas");
        canvas.className = "xp-thumb";
        holder.appendChild(canvas);
        group.appendChild(holder);
      }
      group.appendChild(svg("rect", { x: x - side / 2, y: y - side / 2, width: side, height: side,
        rx: 3, fill: canvas ? "none" : "#fff", stroke: "#3d434c", "stroke-width": 1 }));
      if (kind === "input" && canvas) { // its name under it, shortened (whole on hover)
        const short = label.length > 12 ? `${label.slice(0, 11)}…` : label;
        group.appendChild(svg("text", { x, y: y + side / 2 + 11, "text-anchor": "middle",
          class: "xp-node-label" }, short));
      } else if (kind === "input") { // x1, x2, ... inside it (the name on hover)
        group.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle",
          class: "xp-node-label" }, name));
      } else if (side >= 24 || !canvas) { // under a picture, or inside a plain box
        group.appendChild(svg("text", { x, y: canvas ? y + side / 2 + 11 : y + 4,
          "text-anchor": "middle", class: "xp-node-label" }, label));
      }
      root.appendChild(group);
      units.push({ canvas, title, kind, name, label });
      return units[units.length - 1];
    };
    inputs.forEach((p, i) => unit(p, side, `x${i + 1}`, (data && data.features[i]) || `x${i + 1}`, "input"));
    hidden.forEach((p, i) => {
      unit(p, size, `h${i + 1}`, `h${i + 1}`, "hidden");
      if (!plane) return;
      const group = root.lastChild; // point at a unit, or focus it: the output view shows it
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "button");
      group.setAttribute("aria-label", t("unit-label", i + 1));
      const point = (on) => () => {
        shownUnit = on ? i : null;
        if (stats.lastFrame) drawBoundary(stats.lastFrame.boundary, stats.lastFrame.units);
      };
      for (const name of ["mouseenter", "focus"]) group.addEventListener(name, point(true));
      for (const name of ["mouseleave", "blur"]) group.addEventListener(name, point(false));
    });
    outputs.forEach((p, i) => unit(p, k === 1 ? 52 : 36, k === 1 ? "p" : `p${i}`,
      k === 1 ? t("output") : `p${i}`, "output"));
    if (plane) paintInputs(units.filter((u) => u.kind === "input"));
    return { key: networkKey(frame), edges, units };
  }

  function networkKey(frame) {
    const { W1, b1, b2, W3 } = frame.network;
    return [W1.length, b1.length, b2.length, Boolean(W3), Boolean(frame.units)].join(",");
  }

  // An input's picture is its own value over the plane: x1 grows to the right, x2 upwards.
  function paintInputs(inputs) {
    const n = 16;
    inputs.forEach(({ canvas }, axis) => {
      canvas.width = n;
      canvas.height = n;
      const ctx = canvas.getContext("2d");
      const image = ctx.createImageData(n, n);
      for (let row = 0; row < n; row += 1) {
        for (let col = 0; col < n; col += 1) {
          const t = axis === 0 ? col / (n - 1) : 1 - row / (n - 1);
          image.data.set([...probabilityColour(t), 255], (row * n + col) * 4);
        }
      }
      ctx.putImageData(image, 0, 0);
    });
  }

  // A unit's levels (0 to 255, blue through white to orange) painted, the lowest y at the bottom.
  function paintUnit(canvas, levels, size, strength = 0.85) {
    if (canvas.width !== size) {
      canvas.width = size;
      canvas.height = size;
    }
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(size, size);
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1) {
        const colour = probabilityColour(levels[row * size + col] / 255, strength);
        image.data.set([...colour, 255], ((size - 1 - row) * size + col) * 4);
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  function drawNetwork(frame) {
    if (!network || network.key !== networkKey(frame)) network = buildNetwork(frame);
    const weights = frame.network;
    const all = [...weights.W1.flat(), ...weights.W2.flat(), ...(weights.W3 ? weights.W3.flat() : [])]
      .map(Math.abs);
    const scale = Math.max(...all, 1e-12);
    for (const { line, title, name, i, j } of network.edges) {
      const w = weights[name][i][j];
      line.setAttribute("stroke", w > 0 ? CLASS_COLOURS[1] : CLASS_COLOURS[0]);
      line.setAttribute("stroke-width", (0.5 + (6 * Math.abs(w)) / scale).toFixed(2));
      title.textContent = `${name}[${i},${j}] = ${w.toFixed(4)}`;
    }
    let hiddenIndex = 0;
    let outputIndex = 0;
    for (const unit of network.units) {
      if (unit.kind === "hidden") {
        const i = hiddenIndex++;
        unit.title.textContent = t("unit-title", i + 1, weights.b1[i].toFixed(4));
        if (unit.canvas && frame.units) {
          paintUnit(unit.canvas, unitLevels(frame.units, i), frame.units.size);
        }
      } else if (unit.kind === "output") {
        const i = outputIndex++;
        unit.title.textContent = t("output-title", unit.name, i, weights.b2[i].toFixed(4));
        if (unit.canvas && frame.boundary) {
          const ctx = unit.canvas.getContext("2d");
          const image = boundaryImage(frame.boundary);
          unit.canvas.width = image.width;
          unit.canvas.height = image.height;
          ctx.drawImage(image, 0, 0);
        }
      } else {
        unit.title.textContent = t("input-title", unit.name, unit.label);
      }
    }
  }

  function drawLoss(history) {
    const [ctx, width, height] = canvasContext($("loss-view"));
    const [steps, losses] = history;
    const points = steps.map((s, i) => [s, losses[i]]).filter(([, l]) => l > 0 && Number.isFinite(l));
    if (points.length < 1) return;
    const logs = points.map(([, l]) => Math.log10(l));
    let [lo, hi] = [Math.min(...logs), Math.max(...logs)];
    if (hi - lo < 0.3) { // less than a factor of 2: widen around it so the ticks mean something
      const middle = (hi + lo) / 2;
      [lo, hi] = [middle - 0.15, middle + 0.15];
    }
    const last = Math.max(points[points.length - 1][0], 1);
    const box = plotBox(width, height);
    const x = (s) => box.x + (s / last) * box.w;
    const y = (l) => box.y + ((hi - l) / (hi - lo)) * box.h;
    ctx.strokeStyle = "#e3e5e8";
    const yTicks = logTicks(lo, hi).map(([at, label]) => [y(at), label]);
    for (const [at] of yTicks) {
      ctx.beginPath();
      ctx.moveTo(box.x, at);
      ctx.lineTo(box.x + box.w, at);
      ctx.stroke();
    }
    ctx.strokeStyle = CLASS_COLOURS[0];
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach(([s], i) => {
      if (i === 0) ctx.moveTo(x(s), y(logs[i])); else ctx.lineTo(x(s), y(logs[i]));
    });
    ctx.stroke();
    ctx.lineWidth = 1;
    const xTicks = niceTicks(0, last, Math.max(2, Math.floor(box.w / 70)), 1)
      .map(([v]) => [x(v), formatSteps(v)]);
    drawAxes(ctx, box, xTicks, yTicks, t("step"), t("loss"));
  }

  // --------------------------------------------------------------------------- controls

  function changeSettings() {
    clearError();
    writeUrl();
    send({ type: "settings", settings: settingsFromControls() });
  }

  function wire() {
    for (const name of SETTINGS) {
      $(name).addEventListener("change", () => {
        if (name === "dataset" && $("dataset").value === "csv") return;
        changeSettings();
      });
    }
    for (const [id, by] of [["fewer-hidden", -1], ["more-hidden", 1]]) {
      $(id).addEventListener("click", () => {
        const input = $("hidden");
        const value = Math.min(Number(input.max), Math.max(Number(input.min), Number(input.value) + by));
        if (value === Number(input.value)) return;
        input.value = String(value);
        changeSettings();
      });
    }
    $("play").addEventListener("click", () => send({ type: playing ? "pause" : "play" }));
    $("step-once").addEventListener("click", () => send({ type: "step" }));
    $("reset").addEventListener("click", () => send({ type: "reset" }));
    $("new-start").addEventListener("click", () => send({ type: "new_start" }));
    $("explain").addEventListener("click", explain);
    for (const name of ["lang", "layout"]) {
      $(name).addEventListener("change", () => {
        writeUrl();
        if (name === "lang") changeLanguage();
        explainAgain();
      });
    }
    $("speed").addEventListener("input", () => {
      writeUrl();
      showSpeed();
      send({ type: "speed", value: Number($("speed").value) });
    });
    $("csv").addEventListener("change", async () => {
      const file = $("csv").files[0];
      if (!file) return;
      clearError();
      if (file.size > limits.csv_bytes) {
        showError(t("too-large", file.name, limits.csv_bytes / 1000));
        return;
      }
      send({ type: "csv", name: file.name, text: await file.text() });
    });
    for (const name of EXPORTS) {
      $(`export-${name.split(".")[0]}`).addEventListener("click", (event) => {
        if (transport.exportHref(stats.session, name) !== null) return; // a link: the browser fetches it
        event.preventDefault();
        send({ type: "export", name });
      });
    }
  }

  // Redraw when the page's width changes (a notebook's side panel opens, a phone turns).
  let pending = false;
  const resized = new ResizeObserver(() => {
    if (pending || !stats.lastFrame || !data) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (!destroyed) drawViews(stats.lastFrame);
    });
  });
  resized.observe(page);

  transport.onmessage = receive;
  transport.onstatus = (key, ...args) => {
    status = [key, ...args];
    if (!destroyed) $("connection").textContent = t(key, ...args);
  };
  const refused = transport.usesUrl ? readUrl() : {};
  changeLanguage();
  wire();
  transport.start(settingsFromControls(refused));
  return {
    stats,
    destroy() {
      destroyed = true;
      resized.disconnect();
    },
  };
}
