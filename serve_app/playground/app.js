// The AudioLasso playground: plain ES module, no build step, nothing loaded from outside the service.
// It talks to the same API a client does: upload, submit, follow the status stream, fetch the result.

const KEY_STORAGE = "audiolasso.apiKey";
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const $ = (id) => document.getElementById(id);

const state = {
  file: null,        // the chosen File
  mixture: null,     // Float32Array peaks source: the decoded mixture (mono), or null
  duration: 0,       // seconds, once known
  spans: [],         // [{start, end, include}]
  job: null,         // {id, stop: AbortController}
  result: null,      // {target: Float32Array, residual: Float32Array}
};

// ---------------------------------------------------------------- API calls

class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.type = error.type;
    this.field = error.field;
  }
}

function apiKey() {
  return $("api-key").value.trim();
}

// The API's links carry the service's public URL; the page came from the same service, so its own
// origin reaches the same routes (and stays inside the page's Content-Security-Policy).
function local(url) {
  const u = new URL(url, location.href);
  return u.pathname + u.search;
}

// A random Idempotency-Key; crypto.randomUUID needs a secure context, getRandomValues does not.
function idempotencyKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function api(method, path, { json, form, headers = {}, signal } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${apiKey()}`, ...headers }, signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  const response = await fetch(local(path), init);
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok && !(response.status === 409 && body && body.status)) {
    throw new ApiError(response.status, (body && body.error) || { message: `HTTP ${response.status}` });
  }
  return body;
}

// Server-Sent Events over fetch (EventSource cannot send an Authorization header). Resumes with
// Last-Event-ID after a dropped connection; returns when a terminal status arrives.
async function followStatus(url, onStatus, signal) {
  let lastId = null;
  for (;;) {
    const headers = { Authorization: `Bearer ${apiKey()}`, Accept: "text/event-stream" };
    if (lastId) headers["Last-Event-ID"] = lastId;
    try {
      const response = await fetch(local(url), { headers, signal });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new ApiError(response.status, body.error || { message: `HTTP ${response.status}` });
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = [];
          for (const line of event.split("\n")) {
            if (line.startsWith("id:")) lastId = line.slice(3).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (!data.length) continue; // a keep-alive comment
          const status = JSON.parse(data.join("\n"));
          onStatus(status);
          if (TERMINAL.has(status.status)) return status;
        }
      }
    } catch (error) {
      if (signal.aborted || error instanceof ApiError) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)); // dropped: resume where it stopped
  }
}

// ---------------------------------------------------------------- errors next to their fields

function clearErrors() {
  for (const el of document.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

// The API names the field at fault ("input.prompt", "input.spans[1].end", "file"): show the message
// next to the control that holds it, else under the form.
function showError(error) {
  const field = error.field || "";
  for (const el of document.querySelectorAll("[data-error-for]")) {
    const names = el.dataset.errorFor.split(" ");
    if (field && names.some((name) => field === name || field.startsWith(`${name}.`) || field.startsWith(`${name}[`))) {
      el.textContent = error.message;
      const control = document.querySelector(`[data-field="${el.dataset.errorFor}"]`);
      if (control) control.setAttribute("aria-invalid", "true");
      return;
    }
  }
  $("general-error").textContent = error.message || String(error);
}

// ---------------------------------------------------------------- waveform and spans

function monoPeaks(buffer) {
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < data.length; i++) out[i] += data[i] / buffer.numberOfChannels;
  }
  return out;
}

async function decode(arrayBuffer) {
  const context = new (window.AudioContext || window.webkitAudioContext)();
  try {
    return await context.decodeAudioData(arrayBuffer);
  } finally {
    context.close();
  }
}

function drawSignal(ctx, signal, width, height, color) {
  const mid = height / 2;
  const step = signal.length / width;
  ctx.fillStyle = color;
  for (let x = 0; x < width; x++) {
    let lo = 1, hi = -1;
    const from = Math.floor(x * step), to = Math.min(signal.length, Math.floor((x + 1) * step) + 1);
    for (let i = from; i < to; i++) {
      if (signal[i] < lo) lo = signal[i];
      if (signal[i] > hi) hi = signal[i];
    }
    if (hi < lo) continue;
    ctx.fillRect(x, mid - hi * mid, 1, Math.max(1, (hi - lo) * mid));
  }
}

function playingAudio() {
  return $(`${document.querySelector('input[name="listen"]:checked').value}-audio`);
}

function draw() {
  const canvas = $("wave");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  canvas.height = Math.round(140 * ratio);
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  if (!state.duration) return;
  for (const span of state.spans) {
    ctx.fillStyle = span.include ? "rgba(46, 160, 67, 0.25)" : "rgba(215, 58, 73, 0.25)";
    ctx.fillRect((span.start / state.duration) * width, 0, ((span.end - span.start) / state.duration) * width, height);
  }
  if (state.result) {
    drawSignal(ctx, state.result.mixture, width, height, "#9aa4ae");
    drawSignal(ctx, state.result.target, width, height, "#1f6feb");
  } else if (state.mixture) {
    drawSignal(ctx, state.mixture, width, height, "#57606a");
  }
  if (state.result) {
    const x = (playingAudio().currentTime / state.duration) * width;
    ctx.fillStyle = "#d29922";
    ctx.fillRect(x, 0, Math.max(1, ratio), height);
  }
}

function renderSpans() {
  const list = $("spans");
  list.replaceChildren();
  state.spans.forEach((span, index) => {
    const item = document.createElement("li");
    const number = (key) => {
      const input = document.createElement("input");
      Object.assign(input, { type: "number", step: "0.1", min: "0", value: span[key].toFixed(2) });
      input.setAttribute("aria-label", `span ${index + 1} ${key} (seconds)`);
      input.addEventListener("change", () => {
        span[key] = Math.max(0, Number(input.value));
        draw();
      });
      return input;
    };
    const kind = document.createElement("select");
    kind.setAttribute("aria-label", `span ${index + 1} kind`);
    kind.innerHTML = '<option value="1">sounds here</option><option value="0">absent here</option>';
    kind.value = span.include ? "1" : "0";
    kind.addEventListener("change", () => {
      span.include = kind.value === "1";
      draw();
    });
    const remove = document.createElement("button");
    Object.assign(remove, { type: "button", textContent: "Remove" });
    remove.addEventListener("click", () => {
      state.spans.splice(index, 1);
      renderSpans();
    });
    item.append(number("start"), " – ", number("end"), " s ", kind, remove);
    list.append(item);
  });
  draw();
}

function enableSpanDrawing() {
  const canvas = $("wave");
  let anchor = null;
  const timeAt = (event) => {
    const box = canvas.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * state.duration;
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (!state.duration) return;
    if (state.result) {
      // with a result on screen, a click seeks every track
      for (const audio of tracks()) audio.currentTime = timeAt(event);
      draw();
      return;
    }
    canvas.setPointerCapture(event.pointerId);
    const include = document.querySelector('input[name="draw"]:checked').value === "include";
    anchor = timeAt(event);
    state.spans.push({ start: anchor, end: anchor, include });
  });
  canvas.addEventListener("pointermove", (event) => {
    if (anchor === null) return;
    const t = timeAt(event), span = state.spans[state.spans.length - 1];
    [span.start, span.end] = [Math.min(anchor, t), Math.max(anchor, t)];
    draw();
  });
  canvas.addEventListener("pointerup", () => {
    if (anchor === null) return;
    anchor = null;
    const span = state.spans[state.spans.length - 1];
    if (span.end - span.start < 0.05) state.spans.pop(); // a click, not a drag
    renderSpans();
  });
}

// ---------------------------------------------------------------- the job

function tracks() {
  return ["target", "residual", "mixture"].map((name) => $(`${name}-audio`));
}

function describeReading(reading) {
  const what = reading.inverted ? `everything except "${reading.phrase}"` : `"${reading.phrase}"`;
  const parts = [`Target track: ${what}`, `read as ${reading.concept} (${reading.family}, confidence ${reading.confidence.toFixed(2)})`];
  if (reading.keep) parts.push(`keep: ${reading.keep.phrase}`);
  if (reading.remove) parts.push(`remove: ${reading.remove.phrase}`);
  parts.push(`separated by ${reading.backend} (${reading.method})`);
  return parts.join("; ") + ".";
}

function showStatus(status) {
  $("status").textContent = status.status;
  let detail = "";
  if (status.status === "IN_QUEUE" && status.queue_position != null) {
    detail = status.queue_position === 0 ? "next in the queue" : `${status.queue_position} job(s) ahead`;
  } else if (status.status === "IN_PROGRESS" && status.progress) {
    detail = `chunk ${status.progress.chunks_done} of ${status.progress.chunks_total}`;
    $("progress").value = status.progress.fraction;
  } else if (status.status === "COMPLETED") {
    $("progress").value = 1;
  } else if (status.error) {
    detail = status.error.message;
    showError(status.error);
  }
  if (status.cancel_requested && !TERMINAL.has(status.status)) detail += " (cancelling)";
  $("status-detail").textContent = detail;
  if (status.interpretation) {
    $("reading").hidden = false;
    $("reading-text").textContent = describeReading(status.interpretation);
  }
  if (status.warnings) {
    $("warnings").replaceChildren(...status.warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w })));
  }
}

async function loadResult(resultUrl) {
  const result = await api("GET", resultUrl);
  const base = state.file ? state.file.name.replace(/\.[^.]+$/, "") : "audio";
  const decoded = {};
  for (const name of ["target", "residual"]) {
    const track = result[name];
    const src = local(track.signed_url || track.url);
    $(`${name}-audio`).src = src;
    const link = $(`${name}-link`);
    link.href = src;
    link.download = `${base}.${name}.${track.file_name.split(".").pop()}`;
    const bytes = await (await fetch(src)).arrayBuffer();
    decoded[name] = monoPeaks(await decode(bytes));
  }
  const n = Math.min(decoded.target.length, decoded.residual.length);
  const mixture = new Float32Array(n);
  for (let i = 0; i < n; i++) mixture[i] = decoded.target[i] + decoded.residual[i];
  state.result = { ...decoded, mixture };
  state.duration = result.duration;
  const mixtureTrack = $("mixture-audio").closest(".track");
  mixtureTrack.hidden = !state.file;
  if (state.file) $("mixture-audio").src = URL.createObjectURL(state.file);
  $("results").hidden = false;
  draw();
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  if (!apiKey()) return showError({ field: "Authorization", message: "Paste an API key (`audiolasso keys create`, or the one `make run` printed)." });
  const useFile = document.querySelector('input[name="source"]:checked').value === "file";
  if (useFile && !state.file) return showError({ field: "file", message: "Choose an audio file." });
  localStorage.setItem(KEY_STORAGE, apiKey());
  resetJob();
  $("submit").disabled = true;
  const stop = new AbortController();
  try {
    const input = { prompt: $("prompt").value, output_format: $("format").value };
    if ($("backend").value) input.backend = $("backend").value;
    if (state.spans.length) input.spans = state.spans.map(({ start, end, include }) => ({ start: +start.toFixed(3), end: +end.toFixed(3), include }));
    if (useFile) {
      const form = new FormData();
      form.append("file", state.file, state.file.name);
      $("status").textContent = "uploading";
      $("job-view").hidden = false;
      input.file_id = (await api("POST", "/v1/files", { form, headers: { "Idempotency-Key": idempotencyKey() } })).file_id;
    } else {
      input.audio_url = $("audio-url").value.trim();
    }
    const job = await api("POST", "/v1/queue/audio/separate", { json: { input }, headers: { "Idempotency-Key": idempotencyKey() } });
    state.job = { id: job.request_id, stop, cancelUrl: `/v1/queue/requests/${job.request_id}/cancel` };
    $("request-id").textContent = job.request_id;
    $("job-view").hidden = false;
    $("cancel").disabled = false;
    showStatus(job);
    const final = await followStatus(job.stream_url, showStatus, stop.signal);
    if (final.status === "COMPLETED") await loadResult(job.result_url);
  } catch (error) {
    if (!stop.signal.aborted) showError(error);
  } finally {
    $("submit").disabled = false;
    $("cancel").disabled = true;
  }
}

function resetJob() {
  if (state.job) state.job.stop.abort();
  state.job = null;
  state.result = null;
  $("results").hidden = true;
  $("reading").hidden = true;
  $("warnings").replaceChildren();
  $("progress").value = 0;
  $("status-detail").textContent = "";
  for (const audio of tracks()) {
    audio.pause();
    audio.removeAttribute("src");
  }
  draw();
}

async function cancel() {
  if (!state.job) return;
  try {
    showStatus(await api("PUT", state.job.cancelUrl));
  } catch (error) {
    showError(error);
  }
}

// ---------------------------------------------------------------- playback: one clock for three tracks

function syncPlayback() {
  const all = tracks();
  for (const audio of all) {
    audio.addEventListener("pause", () => {
      if (all.every((a) => a.paused)) $("play").textContent = "Play";
    });
    audio.addEventListener("play", () => {
      $("play").textContent = "Pause";
      for (const other of all) if (other !== audio) other.pause();
      const tick = () => {
        draw();
        if (!audio.paused) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    audio.addEventListener("seeked", () => {
      for (const other of all) if (other !== audio && Math.abs(other.currentTime - audio.currentTime) > 0.05) other.currentTime = audio.currentTime;
      draw();
    });
  }
  for (const radio of document.querySelectorAll('input[name="listen"]')) {
    radio.addEventListener("change", () => {
      const playing = all.find((audio) => !audio.paused);
      const next = playingAudio();
      const at = (playing || next).currentTime;
      for (const audio of all) audio.currentTime = at;
      if (playing) next.play();
    });
  }
  $("play").addEventListener("click", () => {
    const audio = playingAudio();
    if (audio.paused) audio.play();
    else audio.pause();
  });
}

// ---------------------------------------------------------------- start-up

async function chooseFile() {
  resetJob();
  state.file = $("audio-file").files[0] || null;
  state.spans = [];
  state.mixture = null;
  state.duration = 0;
  $("wave-hint").hidden = false;
  if (state.file) {
    try {
      const buffer = await decode(await state.file.arrayBuffer());
      state.mixture = monoPeaks(buffer);
      state.duration = buffer.duration;
      $("wave-hint").hidden = true; // only now: spans can be drawn once the duration is known
    } catch {
      $("wave-hint").hidden = false;
      $("wave-hint").textContent = "This browser cannot decode the file to draw it; the service may still read it. Add spans by hand.";
    }
  }
  renderSpans();
}

async function loadBackends() {
  if (!apiKey()) return;
  try {
    const { backends } = await api("GET", "/v1/backends");
    const select = $("backend");
    select.replaceChildren(select.options[0]);
    for (const b of new Set(backends.filter((b) => b.available).map((b) => b.backend))) {
      select.append(new Option(b, b));
    }
  } catch (error) {
    if (error.status === 401) showError(error);
  }
}

function start() {
  $("api-key").value = localStorage.getItem(KEY_STORAGE) || "";
  $("api-key").addEventListener("change", () => {
    clearErrors();
    localStorage.setItem(KEY_STORAGE, apiKey());
    loadBackends();
  });
  $("forget-key").addEventListener("click", () => {
    localStorage.removeItem(KEY_STORAGE);
    $("api-key").value = "";
  });
  for (const radio of document.querySelectorAll('input[name="source"]')) {
    radio.addEventListener("change", () => {
      const file = radio.value === "file" && radio.checked;
      $("file-source").hidden = !file;
      $("url-source").hidden = file;
    });
  }
  $("audio-file").addEventListener("change", chooseFile);
  $("add-span").addEventListener("click", () => {
    const end = state.duration || 1;
    state.spans.push({ start: 0, end, include: true });
    renderSpans();
  });
  $("job").addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancel);
  window.addEventListener("resize", draw);
  enableSpanDrawing();
  syncPlayback();
  loadBackends();
  draw();
}

start();
