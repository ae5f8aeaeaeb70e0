// The vox-raga playground: the transformer's public routes from a browser, nothing else.
// Whatever a person or the server sends is put on the page as text (textContent), never HTML.
"use strict";

const KEY_STORAGE = "vox-raga-api-key";
const WS_ROUTE = "v1/audio/speech/stream";
const MAX_TEXT_FRAME = 16000; // characters per WebSocket text frame (the server reads 64 K)
const LEAD_SECONDS = 0.05; // scheduling headroom before the first chunk plays
const TICK_MS = 40;
const HTTP_PCM_RATE = 24000;
const EXTENSIONS = { mp3: "mp3", opus: "opus", aac: "aac", flac: "flac", wav: "wav", ogg: "ogg", pcm: "pcm" };
const MEDIA_TYPES = {
  mp3: "audio/mpeg", opus: "audio/ogg; codecs=opus", aac: "audio/aac", flac: "audio/flac",
  wav: "audio/wav", ogg: "audio/ogg; codecs=vorbis",
};

// What the page did, for people debugging it and for the browser tests.
const state = {
  mode: null, // "websocket", "http" (streamed file) or "captions"
  phase: "idle", // idle, loading, speaking, playing, done, stopped, error
  error: null,
  sampleRate: null,
  chunks: 0,
  samplesScheduled: 0,
  audioContextSeconds: 0,
  sentences: [],
  sentencesLit: 0,
  words: [],
  wordsLit: 0,
  voices: [],
  model: null,
  download: null,
  upload: null,
};
window.playground = state;

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

// The server's own message: OpenAI's {"error": {"message"}}, the guard's {"error": "..."},
// FastAPI's {"detail": ...}, or the body as text.
async function errorMessage(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    const error = body.error ?? body.detail;
    if (typeof error === "string") return error;
    if (error && typeof error.message === "string") return error.message;
    if (error !== undefined) return JSON.stringify(error);
  } catch (_) {
    // not JSON: the text itself
  }
  return text || `HTTP ${response.status} ${response.statusText}`;
}

async function api(path, { method = "GET", json, form, signal } = {}) {
  const headers = {};
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body, signal });
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  return response;
}

function setStatus(text) {
  $("status").textContent = text;
}

function showError(message) {
  state.error = message;
  state.phase = "error";
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  setStatus("");
}

function clearError() {
  state.error = null;
  $("error").hidden = true;
  $("error").textContent = "";
}

function isSsml(text) {
  return text.trimStart().startsWith("<speak");
}

// The options every route shares, as the speech route names them.
function speechOptions() {
  const options = {};
  const voice = $("voice").value;
  if (voice) options.voice = voice;
  const language = $("language").value.trim();
  if (language) options.language = language;
  const speed = Number($("speed").value);
  if (speed !== 1) options.speed = speed;
  if (state.model) options.model = state.model;
  return options;
}

// The text to say, or null (and the reason shown) when there is none.
function inputText() {
  const text = $("text").value;
  if (!text.trim()) {
    showError("type some text first");
    return null;
  }
  return text;
}

// ---- the current run: one at a time; Stop or a new run ends the last ------------------------

let current = null;

class Run {
  constructor(mode) {
    this.mode = mode;
    this.abort = new AbortController();
    this.timers = [];
    this.closers = [];
    this.stopped = false;
  }

  every(ms, fn) {
    this.timers.push(setInterval(fn, ms));
  }

  onStop(fn) {
    this.closers.push(fn);
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.timers.forEach(clearInterval);
    for (const close of this.closers) {
      try {
        close();
      } catch (_) {
        // already closed
      }
    }
  }
}

function startRun(mode) {
  if (current) current.stop();
  clearError();
  const player = $("player");
  player.pause();
  player.hidden = true;
  Object.assign(state, {
    mode, phase: "loading", sampleRate: null, chunks: 0, samplesScheduled: 0,
    audioContextSeconds: 0, sentences: [], sentencesLit: 0, words: [], wordsLit: 0,
  });
  $("transcript").replaceChildren();
  current = new Run(mode);
  return current;
}

function finish(run, phase, status) {
  if (run.stopped) return;
  run.stop();
  state.phase = phase;
  setStatus(status);
}

function fail(run, error) {
  if (run.stopped) return; // stopped by a person or a newer run: its errors are not news
  run.stop();
  showError(error instanceof Error ? error.message : String(error));
}

// ---- PCM through Web Audio: each chunk scheduled right after the last ----------------------

class PcmPlayer {
  constructor(context, sampleRate) {
    this.context = context;
    this.sampleRate = sampleRate;
    this.leftover = null; // an odd byte carried to the next chunk
    this.received = 0; // seconds of audio received: the output's timeline
    this.nextTime = 0; // context time where the next chunk starts
    this.segments = []; // {from, to} on the output's timeline, at context time `at`
  }

  push(data) {
    let bytes = new Uint8Array(data);
    if (this.leftover) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.leftover;
      joined.set(bytes, 1);
      bytes = joined;
      this.leftover = null;
    }
    const count = bytes.length >> 1;
    if (bytes.length % 2) this.leftover = bytes[bytes.length - 1];
    if (!count) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
    const buffer = this.context.createBuffer(1, count, this.sampleRate);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < count; i++) samples[i] = view.getInt16(2 * i, true) / 32768;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    // A chunk late for its turn starts now (a gap), never in the past.
    const at = Math.max(this.nextTime, this.context.currentTime + LEAD_SECONDS);
    source.start(at);
    const seconds = count / this.sampleRate;
    this.segments.push({ from: this.received, to: this.received + seconds, at });
    this.received += seconds;
    this.nextTime = at + seconds;
    state.chunks += 1;
    state.samplesScheduled += count;
  }

  // The context time at which the output's second `t` plays, or null before its audio came.
  // `atEnd`: t ends something, so a boundary belongs to the segment before it.
  timeOf(t, atEnd = false) {
    for (const s of this.segments) {
      const inside = atEnd ? s.from < t && t <= s.to + 1e-3 : s.from - 1e-3 <= t && t < s.to;
      if (inside) return s.at + Math.max(0, t - s.from);
    }
    return null;
  }
}

// Lights the sentence whose audio is playing; `sentences` are {text, start, end, element}.
function lightSentences(player, sentences) {
  const now = player.context.currentTime;
  state.audioContextSeconds = now;
  for (const sentence of sentences) {
    const from = player.timeOf(sentence.start);
    const to = player.timeOf(sentence.end, true);
    const playing = from !== null && now >= from && (to === null || now < to);
    const over = to !== null && now >= to;
    if (playing && !sentence.lit) {
      sentence.lit = true;
      state.sentencesLit += 1;
    }
    sentence.element.classList.toggle("current", playing);
    sentence.element.classList.toggle("spoken", over);
  }
}

function addSentence(sentences, frame) {
  const element = document.createElement("span");
  element.className = "sentence";
  element.textContent = frame.text;
  const transcript = $("transcript");
  if (transcript.childNodes.length) transcript.append(" ");
  transcript.append(element);
  const sentence = { text: frame.text, start: frame.start, end: frame.end, element, lit: false };
  sentences.push(sentence);
  state.sentences.push({ text: frame.text, start: frame.start, end: frame.end });
}

async function newAudioContext(run) {
  const context = new AudioContext();
  run.onStop(() => context.close());
  await context.resume();
  return context;
}

// Speak: the WebSocket where it can be used (no key, plain text), else the streamed file.
async function speak() {
  const text = inputText();
  if (text === null) return;
  if (apiKey() || isSsml(text)) {
    await speakOverHttp(text);
  } else {
    await speakOverWebSocket(text);
  }
}

async function speakOverWebSocket(text) {
  const run = startRun("websocket");
  let context;
  try {
    context = await newAudioContext(run);
  } catch (error) {
    fail(run, error);
    return;
  }
  const url = new URL(WS_ROUTE, document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  run.onStop(() => socket.close());
  const sentences = [];
  let player = null;
  let done = false;
  let ended = false; // the server sent an error or closed
  setStatus("connecting…");

  socket.onopen = () => {
    const start = { type: "start", response_format: "pcm", ...speechOptions() };
    socket.send(JSON.stringify(start));
    for (let i = 0; i < text.length; i += MAX_TEXT_FRAME) {
      socket.send(JSON.stringify({ type: "text", text: text.slice(i, i + MAX_TEXT_FRAME) }));
    }
    socket.send(JSON.stringify({ type: "close" }));
    state.phase = "speaking";
    setStatus("speaking…");
  };
  socket.onmessage = (event) => {
    if (event.data instanceof ArrayBuffer) {
      if (player) player.push(event.data);
      return;
    }
    const frame = JSON.parse(event.data);
    if (frame.type === "ready") {
      state.sampleRate = frame.sample_rate;
      player = new PcmPlayer(context, frame.sample_rate);
      run.every(TICK_MS, () => {
        lightSentences(player, sentences);
        if (done && context.currentTime >= player.nextTime) {
          finish(run, "done", `played ${playedSeconds(player)} s`);
        }
      });
    } else if (frame.type === "sentence") {
      addSentence(sentences, frame);
    } else if (frame.type === "done") {
      done = true;
      state.phase = "playing";
      setStatus("playing…");
    } else if (frame.type === "error") {
      ended = true;
      fail(run, frame.message);
    }
  };
  socket.onclose = (event) => {
    if (done || ended || run.stopped) return;
    fail(
      run,
      event.code === 1006
        ? "the WebSocket was refused or lost. Where the server needs an API key, enter it " +
            "above: Speak then plays the streamed file (a browser cannot send the key on a " +
            "WebSocket)."
        : `the WebSocket closed (${event.code}) ${event.reason}`.trim(),
    );
  };
}

function playedSeconds(player) {
  return player.received.toFixed(1);
}

// The streamed file as raw PCM over fetch (which can send the key), played as it arrives.
async function speakOverHttp(text) {
  const run = startRun("http");
  try {
    const context = await newAudioContext(run);
    state.sampleRate = HTTP_PCM_RATE;
    const player = new PcmPlayer(context, HTTP_PCM_RATE);
    const element = document.createElement("span");
    element.className = "sentence";
    element.textContent = text;
    $("transcript").append(element);
    state.phase = "speaking";
    setStatus("speaking… (streamed file: no sentence times)");
    const response = await api("v1/audio/speech", {
      method: "POST",
      json: { input: text, response_format: "pcm", sample_rate: HTTP_PCM_RATE, ...speechOptions() },
      signal: run.abort.signal,
    });
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      player.push(value);
    }
    state.phase = "playing";
    run.every(TICK_MS, () => {
      state.audioContextSeconds = context.currentTime;
      element.classList.toggle("current", context.currentTime < player.nextTime);
      if (context.currentTime >= player.nextTime) {
        element.classList.add("spoken");
        finish(run, "done", `played ${playedSeconds(player)} s`);
      }
    });
  } catch (error) {
    fail(run, error);
  }
}

// ---- Captions: the whole file and its word times, played word by word -----------------------

function playableFormat() {
  const chosen = $("format").value;
  const probe = document.createElement("audio");
  return MEDIA_TYPES[chosen] && probe.canPlayType(MEDIA_TYPES[chosen]) ? chosen : "wav";
}

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// Words grouped under their sentences, each a span of its own.
function renderCaptions(sentences, words) {
  const transcript = $("transcript");
  const wordItems = [];
  const sentenceItems = [];
  let w = 0;
  sentences.forEach((sentence, index) => {
    const element = document.createElement("span");
    element.className = "sentence";
    const last = index === sentences.length - 1;
    while (w < words.length && (last || words[w].start < sentence.end)) {
      if (element.childNodes.length) element.append(" ");
      const span = document.createElement("span");
      span.className = "word";
      span.textContent = words[w].word;
      element.append(span);
      wordItems.push({ ...words[w], element: span, lit: false });
      w += 1;
    }
    if (!element.childNodes.length) element.textContent = sentence.text;
    if (transcript.childNodes.length) transcript.append(" ");
    transcript.append(element);
    sentenceItems.push({ ...sentence, element, lit: false });
  });
  for (; w < words.length; w++) {
    // words with no sentence (none came back): shown on their own
    const span = document.createElement("span");
    span.className = "word";
    span.textContent = words[w].word;
    transcript.append(" ", span);
    wordItems.push({ ...words[w], element: span, lit: false });
  }
  return { wordItems, sentenceItems };
}

function lightWords(now, wordItems, sentenceItems) {
  let currentWord = -1;
  wordItems.forEach((word, i) => {
    if (now >= word.start) {
      currentWord = i;
      if (!word.lit) {
        word.lit = true;
        state.wordsLit += 1;
      }
    }
  });
  wordItems.forEach((word, i) => {
    word.element.classList.toggle("current", i === currentWord && now < word.end + 0.2);
    word.element.classList.toggle("spoken", i < currentWord);
  });
  for (const sentence of sentenceItems) {
    const playing = now >= sentence.start && now < sentence.end;
    if (playing && !sentence.lit) {
      sentence.lit = true;
      state.sentencesLit += 1;
    }
  }
}

async function captions() {
  const text = inputText();
  if (text === null) return;
  const run = startRun("captions");
  const player = $("player");
  try {
    setStatus("making the file and its word times…");
    const response = await api("v1/audio/speech/timestamps", {
      method: "POST",
      json: { input: text, response_format: playableFormat(), ...speechOptions() },
      signal: run.abort.signal,
    });
    const body = await response.json();
    const words = body.words || [];
    const sentences = body.sentences || [];
    state.words = words.map((w) => w.word);
    state.sentences = sentences.map((s) => ({ text: s.text, start: s.start, end: s.end }));
    const { wordItems, sentenceItems } = renderCaptions(sentences, words);
    const url = URL.createObjectURL(new Blob([decodeBase64(body.audio)], { type: body.content_type }));
    run.onStop(() => {
      player.pause();
      URL.revokeObjectURL(url);
    });
    const tick = () => {
      state.audioContextSeconds = player.currentTime;
      lightWords(player.currentTime, wordItems, sentenceItems);
    };
    player.onended = () => {
      tick();
      finish(run, "done", `played ${player.duration.toFixed(1)} s, ${words.length} words`);
    };
    player.src = url;
    player.hidden = false;
    run.every(TICK_MS, tick);
    state.phase = "playing";
    setStatus("playing…");
    await player.play();
  } catch (error) {
    fail(run, error);
  }
}

// ---- Download: the whole file in the chosen format -----------------------------------------

async function download() {
  clearError();
  const text = inputText();
  if (text === null) return;
  const format = $("format").value;
  setStatus(`making the ${format} file…`);
  try {
    const response = await api("v1/audio/speech", {
      method: "POST",
      json: { input: text, response_format: format, stream: false, ...speechOptions() },
    });
    const blob = await response.blob();
    const link = $("download-link");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = `speech.${EXTENSIONS[format]}`;
    link.textContent = `speech.${EXTENSIONS[format]} (${Math.ceil(blob.size / 1024)} KiB)`;
    link.hidden = false;
    state.download = { format, bytes: blob.size, contentType: blob.type };
    link.click();
    setStatus(`downloaded speech.${EXTENSIONS[format]}`);
  } catch (error) {
    showError(error.message);
  }
}

// ---- Voices ---------------------------------------------------------------------------------

function isStoredVoice(id) {
  return id.startsWith("voice_");
}

async function loadVoices(select) {
  const list = $("voice");
  const keep = select ?? list.value;
  try {
    const body = await (await api("v1/audio/voices")).json();
    const voices = (body.data || []).filter((v) => v && typeof v.id === "string");
    state.voices = voices.map((v) => v.id);
    const options = [new Option("default", "")];
    for (const voice of voices) {
      if (voice.id === "default") continue;
      const label = voice.name && voice.name !== voice.id ? `${voice.name} (${voice.id})` : voice.id;
      options.push(new Option(label, voice.id)); // Option() sets text, not HTML
      for (const language of [].concat(voice.languages || voice.language || [])) {
        addLanguage(language);
      }
    }
    list.replaceChildren(...options);
    if ([...list.options].some((o) => o.value === keep)) list.value = keep;
  } catch (error) {
    $("upload-status").textContent = `voices: ${error.message}`;
  }
  $("delete-voice").disabled = !isStoredVoice(list.value);
}

function addLanguage(language) {
  if (typeof language !== "string") return;
  const datalist = $("languages");
  if ([...datalist.options].some((o) => o.value === language)) return;
  const option = document.createElement("option");
  option.value = language;
  datalist.append(option);
}

async function loadModel() {
  try {
    const body = await (await api("v1/models")).json();
    const model = (body.data || [])[0];
    if (model && typeof model.id === "string") {
      state.model = model.id;
      $("model").textContent = `model: ${model.id}`;
    }
  } catch (_) {
    // the page works without it: any model name is accepted
  }
}

async function upload(event) {
  event.preventDefault();
  clearError();
  const status = $("upload-status");
  const form = new FormData();
  form.append("name", $("voice-name").value.trim());
  const file = $("voice-file").files[0];
  if (file) form.append("audio_sample", file, file.name);
  const consent = $("voice-consent").value.trim();
  if (consent) form.append("consent", consent);
  status.textContent = "uploading…";
  try {
    const voice = await (await api("v1/audio/voices", { method: "POST", form })).json();
    state.upload = { id: voice.id, name: voice.name };
    status.textContent = `added ${voice.name} (${voice.id})`;
    $("upload").reset();
    await loadVoices(voice.id);
  } catch (error) {
    state.upload = { error: error.message };
    status.textContent = "";
    showError(error.message);
  }
}

async function deleteVoice() {
  const id = $("voice").value;
  if (!isStoredVoice(id)) return;
  clearError();
  try {
    await api(`v1/audio/voices/${encodeURIComponent(id)}`, { method: "DELETE" });
    $("upload-status").textContent = `deleted ${id}`;
    await loadVoices("");
  } catch (error) {
    showError(error.message);
  }
}

// ---- wiring ---------------------------------------------------------------------------------

function stop() {
  if (current) current.stop();
  $("player").pause();
  state.phase = "stopped";
  setStatus("stopped");
}

function init() {
  $("speak").addEventListener("click", speak);
  $("captions").addEventListener("click", captions);
  $("download").addEventListener("click", download);
  $("stop").addEventListener("click", stop);
  $("upload").addEventListener("submit", upload);
  $("delete-voice").addEventListener("click", deleteVoice);
  $("voice").addEventListener("change", () => {
    $("delete-voice").disabled = !isStoredVoice($("voice").value);
  });
  const speed = $("speed");
  speed.addEventListener("input", () => {
    $("speed-value").textContent = Number(speed.value).toFixed(2);
  });
  const key = $("api-key");
  key.value = apiKey();
  key.addEventListener("change", () => {
    const value = key.value.trim();
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
    loadVoices();
    loadModel();
  });
  $("forget-key").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORAGE);
    key.value = "";
  });
  Promise.all([loadVoices(), loadModel()]).then(() => {
    document.body.dataset.ready = "true";
  });
}

init();
