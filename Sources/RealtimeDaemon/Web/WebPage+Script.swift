extension WebPage {
    /// The page's client of the realtime protocol. Plain ES2020, no build step.
    static let script = #"""
    "use strict";

    // ---- Settings and state -------------------------------------------------------------
    const RATE = 24000;                 // the AudioContext runs at the protocol's PCM rate
    const FRAME = 480;                  // 20 ms at 24 kHz
    const JITTER_S = 0.06;              // playback starts this far ahead of the first packet
    const VOICE_LEVEL = 0.01;           // -40 dBFS: louder frames are the user's voice
    const $ = (id) => document.getElementById(id);
    const fragment = new URLSearchParams(location.hash.slice(1));

    const state = {
      ws: null, ctx: null, stream: null, source: null, worklet: null, encoder: null, decoder: null,
      format: null, wanted: false, opened: false, retryDelay: 1000, retryTimer: null,
      pending: new Float32Array(0), opusTimestamp: 0, lastVoiceAt: 0,
      turns: [], current: null, reply: null,
      // For people reading the log and for tests: what went over the wire.
      sent: [], received: {}, bargeIns: [], errors: [],
    };
    window.rtState = state;

    // ---- Small helpers ------------------------------------------------------------------
    function log(line) {
      const el = $("log");
      el.textContent = (el.textContent + line + "\n").split("\n").slice(-300).join("\n");
    }
    function setStatus(text, kind) { const s = $("status"); s.textContent = text; s.dataset.state = kind; }
    function notice(text) { const n = $("notice"); n.textContent = text || ""; n.hidden = !text; }
    function send(event) {
      if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
      state.ws.send(JSON.stringify(event));
      if (event.type !== "input_audio_buffer.append") { state.sent.push(event.type); log("→ " + event.type); }
      return true;
    }
    function base64FromPCM(samples) {
      const bytes = new Uint8Array(samples.length * 2);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < samples.length; i++) {
        const x = Math.max(-1, Math.min(1, samples[i]));
        view.setInt16(i * 2, x < 0 ? x * 32768 : x * 32767, true);
      }
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return btoa(text);
    }
    function pcmFromBase64(text) {
      const raw = atob(text);
      const out = new Float32Array(raw.length >> 1);
      for (let i = 0; i < out.length; i++) {
        let v = raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8);
        if (v >= 0x8000) v -= 0x10000;
        out[i] = v / 32768;
      }
      return out;
    }
    const ms = (x) => (x == null ? "–" : Math.round(x) + " ms");

    // ---- Audio format: Opus through WebCodecs where the browser has it ------------------
    async function chooseFormat() {
      const wanted = $("format").value;
      if (wanted === "pcm") return "pcm";
      const can = typeof AudioEncoder !== "undefined" && typeof AudioDecoder !== "undefined" &&
        (await AudioEncoder.isConfigSupported({ codec: "opus", sampleRate: RATE, numberOfChannels: 1 }).then((r) => r.supported, () => false)) &&
        (await AudioDecoder.isConfigSupported({ codec: "opus", sampleRate: 48000, numberOfChannels: 1 }).then((r) => r.supported, () => false));
      if (!can && wanted === "opus") notice("This browser cannot encode Opus (WebCodecs); using PCM.");
      return can ? "opus" : "pcm";
    }

    function setUpCodecs() {
      closeCodecs();
      if (state.format !== "opus") return;
      state.encoder = new AudioEncoder({
        output: (chunk) => {
          const packet = new Uint8Array(chunk.byteLength);
          chunk.copyTo(packet);
          if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(packet);
        },
        error: (e) => fail("Opus encoder: " + e.message),
      });
      state.encoder.configure({ codec: "opus", sampleRate: RATE, numberOfChannels: 1, bitrate: 32000, opus: { frameDuration: 20000 } });
      state.decoder = new AudioDecoder({
        output: (data) => {
          const samples = new Float32Array(data.numberOfFrames);
          data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
          play(samples, data.sampleRate);
          data.close();
        },
        error: (e) => fail("Opus decoder: " + e.message),
      });
      state.decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 1 });
    }
    function closeCodecs() {
      for (const c of [state.encoder, state.decoder]) if (c && c.state !== "closed") c.close();
      state.encoder = state.decoder = null;
    }

    // ---- The connection -------------------------------------------------------------------
    function connect() {
      clearTimeout(state.retryTimer);
      const token = $("token").value.trim();
      const protocols = ["realtime"];
      if (token) protocols.push("openai-insecure-api-key." + token);   // browsers cannot set headers
      // The page shows the thinking and the server's timings: it asks for those extensions.
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/realtime?extensions=reasoning,timings";
      setStatus("connecting…", "connecting");
      state.opened = false;
      const ws = new WebSocket(url, protocols);
      ws.binaryType = "arraybuffer";
      state.ws = ws;
      ws.onopen = () => {
        state.opened = true;
        state.retryDelay = 1000;
        notice("");
        const format = state.format === "opus" ? { type: "audio/opus", rate: 48000 } : { type: "audio/pcm", rate: RATE };
        send({ type: "session.update", session: { type: "realtime", reasoning: { mode: $("mode").value },
          audio: { input: { format }, output: { format } } } });  // the daemon's turn detection
      };
      ws.onmessage = (message) => {
        if (typeof message.data === "string") receive(JSON.parse(message.data));
        else if (state.decoder) receiveOpus(new Uint8Array(message.data));
      };
      ws.onclose = (event) => {
        if (state.ws !== ws) return;
        state.ws = null;
        if (!state.wanted) { setStatus("not connected", "idle"); return; }
        if (!state.opened) explainRefusal(); else lost(event);
      };
    }

    // A refused WebSocket handshake looks the same as a network failure to a page; a plain
    // request with the same token tells them apart (the token goes in a header, never in a URL).
    async function explainRefusal() {
      const token = $("token").value.trim();
      try {
        const r = await fetch("/v1/realtime", { headers: token ? { Authorization: "Bearer " + token } : {}, cache: "no-store" });
        if (r.status === 401) {
          stop();
          setStatus("refused", "error");
          notice("The daemon refused the connection: " + (token ? "the token is wrong." : "it needs a token (Settings → Token, or #token=… in the address)."));
          return;
        }
        if (r.status === 403) {
          stop();
          setStatus("refused", "error");
          notice("The daemon does not accept pages from this origin (server.allowed_origins).");
          return;
        }
        if (r.status === 503 || r.status === 429) { lost({ reason: "the daemon is busy" }); return; }
      } catch (e) { /* unreachable: fall through */ }
      lost({ reason: "the daemon cannot be reached" });
    }

    function lost(event) {
      const delay = state.retryDelay;
      state.retryDelay = Math.min(state.retryDelay * 2, 10000);
      setStatus("reconnecting…", "connecting");
      notice("Connection lost" + (event && event.reason ? " (" + event.reason + ")" : "") + "; reconnecting in " + Math.round(delay / 1000) + " s.");
      stopPlayback(false);
      state.retryTimer = setTimeout(() => { if (state.wanted) connect(); }, delay);
    }

    // ---- The microphone -------------------------------------------------------------------
    async function startMicrophone() {
      if (state.stream) return true;
      if (!navigator.mediaDevices || !window.isSecureContext) {
        stop();
        setStatus("no microphone", "error");
        notice("Browsers give the microphone only to https pages or to localhost. Open this page through an https " +
               "proxy or an SSH tunnel (ssh -L 8765:127.0.0.1:8765 host), or type your messages below.");
        return false;
      }
      try {
        state.stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
        });
      } catch (e) {
        stop();
        setStatus("no microphone", "error");
        notice(e && e.name === "NotAllowedError"
          ? "The browser did not allow the microphone. Allow it for this page (the icon in the address bar) and try again."
          : "No microphone could be opened (" + (e && e.message ? e.message : e) + ").");
        return false;
      }
      await state.ctx.audioWorklet.addModule("/capture-worklet.js");
      state.source = state.ctx.createMediaStreamSource(state.stream);
      state.worklet = new AudioWorkletNode(state.ctx, "capture");
      state.worklet.port.onmessage = (e) => capture(e.data);
      state.source.connect(state.worklet);
      return true;
    }

    function capture(block) {
      const joined = new Float32Array(state.pending.length + block.length);
      joined.set(state.pending); joined.set(block, state.pending.length);
      let offset = 0;
      for (; offset + FRAME <= joined.length; offset += FRAME) sendFrame(joined.subarray(offset, offset + FRAME));
      state.pending = joined.slice(offset);
    }

    function sendFrame(frame) {
      let energy = 0;
      for (let i = 0; i < frame.length; i++) energy += frame[i] * frame[i];
      if (Math.sqrt(energy / frame.length) > VOICE_LEVEL) state.lastVoiceAt = performance.now();
      if (!state.ws || state.ws.readyState !== WebSocket.OPEN || !state.opened) return;
      if (state.format === "opus") {
        if (!state.encoder || state.encoder.state !== "configured") return;
        const data = new AudioData({ format: "f32", sampleRate: RATE, numberOfFrames: frame.length, numberOfChannels: 1,
          timestamp: state.opusTimestamp, data: frame.slice(0) });
        state.opusTimestamp += Math.round(frame.length * 1e6 / RATE);
        state.encoder.encode(data);
        data.close();
      } else {
        send({ type: "input_audio_buffer.append", audio: base64FromPCM(frame) });
      }
    }

    // ---- Playback, with a small jitter buffer -------------------------------------------------
    function receiveOpus(packet) {
      if (!state.reply || state.decoder.state !== "configured") return;
      state.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: state.reply.opusTimestamp, data: packet }));
      state.reply.opusTimestamp += 20000;
    }

    function play(samples, rate) {
      const reply = state.reply;
      if (!reply || samples.length === 0) return;
      // Audio after a stop: the server resumed the reply (the words over it were only "mm-hmm",
      // or none); it sends nothing more for a reply it stopped.
      if (reply.stopped) { reply.stopped = false; if (reply.turn) { reply.turn.interruptedAfter = null; render(reply.turn); } }
      const buffer = state.ctx.createBuffer(1, samples.length, rate);
      buffer.copyToChannel(samples, 0);
      const node = state.ctx.createBufferSource();
      node.buffer = buffer;
      node.connect(state.ctx.destination);
      const now = state.ctx.currentTime;
      if (reply.playHead < now) reply.playHead = now + JITTER_S;       // first packet, or an underrun
      node.start(reply.playHead);
      reply.segments.push([reply.playHead, buffer.duration]);
      reply.playHead += buffer.duration;
      reply.nodes.push(node);
      reply.receivedSeconds += buffer.duration;
      const turn = reply.turn;
      if (turn && turn.firstAudioAt == null) {
        turn.firstAudioAt = performance.now();
        showLatency(turn);
      }
    }

    /// Milliseconds of the reply that have actually been heard.
    function playedMs(reply) {
      const now = state.ctx.currentTime;
      return reply.heardBeforeStop + 1000 * reply.segments.reduce((sum, [start, duration]) => sum + Math.max(0, Math.min(duration, now - start)), 0);
    }

    function isPlaying() { return !!(state.reply && !state.reply.stopped && state.ctx && state.reply.playHead > state.ctx.currentTime); }

    /// A reply the user may be talking over: audio still queued, or more of it still to come (a
    /// slow machine leaves gaps between clauses, and speech in a gap interrupts it just the same).
    function isReplyUnderway() {
      return !!(state.reply && !state.reply.stopped && state.reply.segments.length > 0 && (!state.reply.done || isPlaying()));
    }

    /// Stops the reply at once; on a barge-in, tells the server how much of it was heard.
    function stopPlayback(bargeIn) {
      const reply = state.reply;
      if (!reply || reply.stopped) return;
      const heard = playedMs(reply);
      reply.stopped = true;
      for (const node of reply.nodes) { try { node.stop(); } catch (e) { /* already ended */ } }
      // If the server resumes the reply, it does so from here.
      reply.heardBeforeStop = heard;
      reply.segments = [];
      reply.nodes = [];
      reply.playHead = 0;
      if (bargeIn && reply.itemId) {
        send({ type: "conversation.item.truncate", item_id: reply.itemId, content_index: 0, audio_end_ms: Math.round(heard) });
        state.bargeIns.push({ playedMs: Math.round(heard), at: performance.now() });
        if (reply.turn) { reply.turn.interruptedAfter = heard; render(reply.turn); }
      }
    }

    // ---- Server events ----------------------------------------------------------------------
    function receive(event) {
      state.received[event.type] = (state.received[event.type] || 0) + 1;
      if (event.type !== "response.output_audio.delta") log("← " + event.type + (event.type === "error" ? ": " + event.error.message : ""));
      switch (event.type) {
        case "session.created":
          break;
        case "session.updated":
          setStatus("listening", "listening");
          break;
        case "input_audio_buffer.speech_started":
          if (isReplyUnderway()) stopPlayback(true);     // barge-in: silence the reply at once
          state.current = newTurn();
          break;
        case "conversation.item.input_audio_transcription.delta":
          if (!state.current) state.current = newTurn();
          state.current.partial += event.delta;
          render(state.current);
          break;
        case "input_audio_buffer.speech_stopped":
          if (state.current) state.current.speechEndAt = state.lastVoiceAt || performance.now();
          break;
        case "conversation.item.input_audio_transcription.completed":
          if (!state.current) state.current = newTurn();
          state.current.transcript = event.transcript;
          render(state.current);
          break;
        case "response.created": {
          const turn = state.current && !state.current.responseId ? state.current : newTurn();
          turn.responseId = event.response.id;
          state.reply = { id: event.response.id, turn, itemId: null, nodes: [], segments: [], playHead: 0,
                          receivedSeconds: 0, opusTimestamp: 0, stopped: false, heardBeforeStop: 0 };
          break;
        }
        case "rtd.response.reasoning.delta":
          withTurn(event, (t) => { t.thinking += event.delta; });
          break;
        case "response.output_audio_transcript.delta":
          withTurn(event, (t) => {
            if (t.firstAnswerAt == null) { t.firstAnswerAt = performance.now(); showLatency(t); }
            t.answer += event.delta;
          });
          if (state.reply && state.reply.id === event.response_id) state.reply.itemId = event.item_id;
          break;
        case "response.output_audio.delta":
          if (state.reply && state.reply.id === event.response_id) {
            state.reply.itemId = event.item_id;
            play(pcmFromBase64(event.delta), RATE);
          }
          break;
        case "rtd.response.timings":
          withTurn({ response_id: event.response_id }, (t) => { t.serverTimings = event.timings_ms || {}; });
          break;
        case "response.done":
          if (state.reply && state.reply.id === event.response.id) state.reply.done = true;
          withTurn({ response_id: event.response.id }, (t) => { t.status = event.response.status; });
          if (state.current && state.current.responseId === event.response.id) state.current = null;
          break;
        case "conversation.item.truncated":
          withTurn({ response_id: state.reply && state.reply.id }, (t) => { t.truncatedAt = event.audio_end_ms; });
          break;
        case "error":
          state.errors.push(event.error.code || "error");
          if (event.error.code === "overloaded") notice("The daemon is overloaded: replies will be late. " + event.error.message);
          else notice("The daemon says: " + event.error.message);
          break;
      }
    }

    function withTurn(event, change) {
      const turn = state.turns.find((t) => t.responseId === event.response_id);
      if (turn) { change(turn); render(turn); }
    }

    // ---- Turns on the page --------------------------------------------------------------------
    function newTurn(text) {
      const el = document.createElement("li");
      el.className = "turn";
      el.innerHTML = '<div class="user partial"></div><details class="thinking" open hidden><summary>Thinking</summary><pre></pre></details>' +
                     '<div class="answer"></div><div class="meta"></div>';
      $("turns").appendChild(el);
      const turn = { el, partial: "", transcript: text == null ? null : text, thinking: "", answer: "", responseId: null,
                     speechEndAt: null, firstAudioAt: null, firstAnswerAt: null, status: null, interruptedAfter: null, truncatedAt: null };
      state.turns.push(turn);
      render(turn);
      return turn;
    }

    function render(turn) {
      const user = turn.el.querySelector(".user");
      user.textContent = turn.transcript != null ? turn.transcript : (turn.partial ? turn.partial + "…" : "…");
      user.classList.toggle("partial", turn.transcript == null);
      const thinking = turn.el.querySelector(".thinking");
      thinking.hidden = !turn.thinking;
      thinking.querySelector("pre").textContent = turn.thinking;
      turn.el.querySelector(".answer").textContent = turn.answer;
      const meta = [];
      const firstPacket = latency(turn, "firstAudioAt"), firstAnswer = latency(turn, "firstAnswerAt");
      if (firstPacket != null) meta.push("first packet " + ms(firstPacket));
      if (firstAnswer != null) meta.push("first answer token " + ms(firstAnswer));
      if (turn.status && turn.status !== "completed") meta.push(turn.status);
      const metaEl = turn.el.querySelector(".meta");
      metaEl.textContent = meta.join(" · ");
      if (turn.interruptedAfter != null) {
        const span = document.createElement("span");
        span.className = "interrupted";
        span.textContent = " · interrupted after " + ms(turn.interruptedAfter) + " of audio";
        metaEl.appendChild(span);
      }
      if (firstPacket != null) turn.el.dataset.firstPacketMs = Math.round(firstPacket);
    }

    /// Milliseconds from the end of the user's voice (as this page heard it) to an event.
    function latency(turn, key) {
      return turn[key] != null && turn.speechEndAt != null ? turn[key] - turn.speechEndAt : null;
    }

    function showLatency(turn) {
      render(turn);
      $("first-packet").textContent = ms(latency(turn, "firstAudioAt"));
      $("first-answer").textContent = ms(latency(turn, "firstAnswerAt"));
      drawChart();
    }

    function drawChart() {
      const turns = state.turns.filter((t) => latency(t, "firstAudioAt") != null).slice(-12);
      const svg = $("chart");
      const top = Math.max(1000, ...turns.map((t) => latency(t, "firstAudioAt")));
      const y = (v) => 56 - 52 * Math.min(v, top) / top;
      let out = '<line class="target" x1="0" x2="240" y1="' + y(1000) + '" y2="' + y(1000) + '"><title>1 s</title></line>';
      turns.forEach((t, i) => {
        const v = latency(t, "firstAudioAt"), a = latency(t, "firstAnswerAt");
        out += '<rect class="bar" x="' + (i * 20 + 2) + '" y="' + y(v) + '" width="16" height="' + (56 - y(v)) + '"><title>' + Math.round(v) + ' ms</title></rect>';
        if (a != null) out += '<rect class="answer" x="' + (i * 20 + 2) + '" y="' + (y(a) - 1) + '" width="16" height="2"></rect>';
      });
      svg.innerHTML = out;
    }

    // ---- Start and stop -----------------------------------------------------------------------
    async function start() {
      state.wanted = true;
      $("mic").setAttribute("aria-pressed", "true");
      $("mic-label").textContent = "Stop";
      notice("");
      if (!state.ctx) state.ctx = new AudioContext({ sampleRate: RATE, latencyHint: "interactive" });
      await state.ctx.resume();
      state.format = await chooseFormat();
      setUpCodecs();
      connect();
      // The microphone opens once the session is configured, so no word is lost before it.
      const wait = setInterval(async () => {
        if (!state.wanted) { clearInterval(wait); return; }
        if (state.opened && $("status").dataset.state === "listening") { clearInterval(wait); await startMicrophone(); }
      }, 20);
    }

    function stop() {
      state.wanted = false;
      clearTimeout(state.retryTimer);
      $("mic").setAttribute("aria-pressed", "false");
      $("mic-label").textContent = "Start talking";
      stopPlayback(false);
      if (state.stream) { for (const track of state.stream.getTracks()) track.stop(); state.stream = null; }
      if (state.source) { state.source.disconnect(); state.source = null; }
      if (state.worklet) { state.worklet.port.onmessage = null; state.worklet.disconnect(); state.worklet = null; }
      if (state.ws) { const ws = state.ws; state.ws = null; ws.close(1000); }
      closeCodecs();
      setStatus("not connected", "idle");
    }

    function fail(text) { state.errors.push(text); notice(text); }

    $("mic").addEventListener("click", () => (state.wanted ? stop() : start().catch((e) => fail(String(e)))));
    $("typed").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("typed-text").value.trim();
      if (!text) return;
      if (!state.ws) { notice("Press “Start talking” first: typed messages go over the same connection."); return; }
      if (isReplyUnderway()) stopPlayback(true);
      state.current = newTurn(text);
      send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text }] } });
      send({ type: "response.create" });
      state.current.speechEndAt = performance.now();
      $("typed-text").value = "";
    });

    // The token may come in the address's fragment (#token=…), which browsers never send.
    if (fragment.get("token")) $("token").value = fragment.get("token");
    if (["pcm", "opus", "auto"].includes(fragment.get("format"))) $("format").value = fragment.get("format");
    if (["speak_first", "think_first", "think_before_speaking"].includes(fragment.get("mode"))) $("mode").value = fragment.get("mode");
    """#
}
