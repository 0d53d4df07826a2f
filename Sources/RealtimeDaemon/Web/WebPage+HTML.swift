extension WebPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>realtime-daemon</title>
    <link rel="stylesheet" href="/style.css">
    <link rel="icon" href="data:,">
    </head>
    <body>
    <header>
      <h1>realtime-daemon</h1>
      <span id="status" class="status" data-state="idle">not connected</span>
    </header>
    <main>
      <section class="controls">
        <button id="mic" type="button" aria-pressed="false"><span class="dot"></span><span id="mic-label">Start talking</span></button>
        <details id="settings">
          <summary>Settings</summary>
          <label>Token <input id="token" type="password" autocomplete="off" placeholder="if the daemon has one"></label>
          <label>Audio <select id="format"><option value="auto">auto (Opus if the browser can)</option><option value="opus">Opus</option><option value="pcm">PCM 24 kHz</option></select></label>
          <label>Reasoning <select id="mode"><option value="speak_first">speak first</option><option value="think_first">think first</option><option value="think_before_speaking">think before speaking</option></select></label>
        </details>
      </section>
      <p id="notice" class="notice" role="alert" hidden></p>
      <section class="latency" aria-label="Latency">
        <div><span class="label">first packet</span> <span id="first-packet" class="value">–</span></div>
        <div><span class="label">first answer token</span> <span id="first-answer" class="value">–</span></div>
        <svg id="chart" viewBox="0 0 240 60" role="img" aria-label="first-packet latency of the last turns"></svg>
      </section>
      <ol id="turns" class="turns" aria-live="polite"></ol>
      <form id="typed" class="typed" autocomplete="off">
        <input id="typed-text" placeholder="…or type a message" aria-label="Type a message">
        <button type="submit">Send</button>
      </form>
      <details class="log"><summary>Protocol log</summary><pre id="log"></pre></details>
    </main>
    <script src="/app.js"></script>
    </body>
    </html>
    """#
}
