#!/usr/bin/env python3
"""Drive the daemon's web page in headless Chromium (Debian's package) with a WAV file as the
fake microphone, through Playwright. Prints one JSON object: what the page shows, what it sent
and received, console errors, and where the screenshot is.

    browser_session.py --page http://127.0.0.1:PORT/#token=T --audio question.wav --screenshot out.png
                       [--format opus|pcm] [--scenario turn|barge-in|refused] [--timeout 90]

Scenarios: `turn` waits for the first reply to be done; `barge-in` waits until the page has
stopped a reply and the server confirmed the truncation; `refused` waits for the page to say
that the daemon refused the connection.
"""
import argparse, json, sys, time

from playwright.sync_api import sync_playwright


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--page", required=True)
    p.add_argument("--audio", required=True, help="WAV played once as the microphone")
    p.add_argument("--screenshot", required=True)
    p.add_argument("--format", default="auto")
    p.add_argument("--scenario", default="turn", choices=["turn", "barge-in", "refused"])
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--timeout", type=float, default=90)
    args = p.parse_args()

    console_errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=[
            "--no-sandbox",
            "--use-fake-ui-for-media-stream",           # grant the microphone without a prompt
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={args.audio}%noloop",
            "--autoplay-policy=no-user-gesture-required",
        ])
        page = browser.new_page(viewport={"width": 412, "height": 915})   # a phone-sized screen
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
        page.goto(args.page + ("&" if "#" in args.page else "#") + f"format={args.format}")
        page.click("#mic")

        def snapshot():
            return page.evaluate("""() => ({
                status: document.querySelector('#status').textContent,
                notice: document.querySelector('#notice').hidden ? '' : document.querySelector('#notice').textContent,
                format: window.rtState.format,
                firstPacket: document.querySelector('#first-packet').textContent,
                firstAnswer: document.querySelector('#first-answer').textContent,
                chartBars: document.querySelectorAll('#chart rect.bar').length,
                turns: window.rtState.turns.map(t => ({
                    shownUser: t.el.querySelector('.user').textContent,
                    shownThinking: t.el.querySelector('.thinking pre').textContent,
                    thinkingVisible: !t.el.querySelector('.thinking').hidden,
                    shownAnswer: t.el.querySelector('.answer').textContent,
                    shownMeta: t.el.querySelector('.meta').textContent,
                    status: t.status, truncatedAt: t.truncatedAt,
                })),
                replySeconds: window.rtState.reply ? window.rtState.reply.receivedSeconds : 0,
                playing: !!(window.rtState.reply && !window.rtState.reply.stopped && window.rtState.ctx &&
                            window.rtState.reply.playHead > window.rtState.ctx.currentTime),
                sent: window.rtState.sent,
                received: window.rtState.received,
                bargeIns: window.rtState.bargeIns,
                errors: window.rtState.errors,
            })""")

        deadline = time.time() + args.timeout
        state = snapshot()
        while time.time() < deadline:
            state = snapshot()
            if args.scenario == "barge-in":
                done = bool(state["bargeIns"]) and state["received"].get("conversation.item.truncated", 0) > 0
            elif args.scenario == "refused":
                done = state["status"] == "refused"
            else:
                done = any(t["status"] for t in state["turns"])
            if done:
                break
            time.sleep(0.2)
        time.sleep(0.5)   # let the last events render
        state = snapshot()
        page.screenshot(path=args.screenshot, full_page=True)
        browser.close()
    state["console_errors"] = console_errors
    state["screenshot"] = args.screenshot
    print(json.dumps(state))


if __name__ == "__main__":
    main()
