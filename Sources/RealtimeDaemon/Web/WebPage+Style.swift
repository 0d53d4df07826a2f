extension WebPage {
    static let style = #"""
    :root { --fg: #1d2126; --muted: #6a737d; --accent: #1f6feb; --bad: #c62828; --bg: #f6f8fa; --card: #fff; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: .75rem 1rem; background: var(--card); border-bottom: 1px solid #d0d7de; }
    h1 { font-size: 1.1rem; margin: 0; }
    main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
    .status { font-size: .85rem; padding: .15rem .6rem; border-radius: 1rem; background: #eaeef2; color: var(--muted); }
    .status[data-state="listening"] { background: #dafbe1; color: #116329; }
    .status[data-state="connecting"] { background: #fff8c5; color: #7d4e00; }
    .status[data-state="error"] { background: #ffebe9; color: var(--bad); }
    .controls { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 1rem; }
    #mic { display: inline-flex; align-items: center; gap: .6rem; font-size: 1.1rem; padding: .8rem 1.4rem; border: 0; border-radius: 2rem; background: var(--accent); color: #fff; cursor: pointer; min-height: 3rem; }
    #mic[aria-pressed="true"] { background: var(--bad); }
    #mic .dot { width: .8rem; height: .8rem; border-radius: 50%; background: #fff; opacity: .7; }
    #mic[aria-pressed="true"] .dot { animation: pulse 1s infinite; }
    @keyframes pulse { 50% { opacity: .2; } }
    #settings { flex: 1 1 14rem; font-size: .9rem; }
    #settings label { display: flex; justify-content: space-between; gap: .5rem; margin: .4rem 0; }
    #settings input, #settings select { flex: 1; max-width: 14rem; font: inherit; }
    .notice { background: #ffebe9; color: var(--bad); border: 1px solid #ffcecb; border-radius: .4rem; padding: .6rem .8rem; }
    .latency { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem 1.5rem; margin: 1rem 0; padding: .6rem .8rem; background: var(--card); border-radius: .4rem; border: 1px solid #d0d7de; }
    .latency .label { color: var(--muted); font-size: .85rem; }
    .latency .value { font-variant-numeric: tabular-nums; font-weight: 600; }
    #chart { width: 240px; height: 60px; }
    #chart .bar { fill: var(--accent); opacity: .75; }
    #chart .answer { fill: #444; }
    #chart .target { stroke: var(--bad); stroke-dasharray: 3 3; }
    .turns { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column-reverse; gap: .8rem; }
    .turn { background: var(--card); border: 1px solid #d0d7de; border-radius: .5rem; padding: .7rem .9rem; }
    .turn .user { font-weight: 600; }
    .turn .user.partial { color: var(--muted); font-style: italic; font-weight: 400; }
    .turn .thinking { color: var(--muted); font-size: .9rem; margin: .4rem 0; }
    .turn .thinking pre { white-space: pre-wrap; margin: .3rem 0 0; font: inherit; }
    .turn .answer { margin: .3rem 0; }
    .turn .meta { color: var(--muted); font-size: .8rem; font-variant-numeric: tabular-nums; }
    .turn .meta .interrupted { color: var(--bad); }
    .typed { display: flex; gap: .5rem; margin: 1rem 0; }
    .typed input { flex: 1; font: inherit; padding: .5rem; }
    .typed button { font: inherit; padding: .5rem 1rem; }
    .log pre { max-height: 16rem; overflow: auto; font-size: .75rem; background: var(--card); padding: .5rem; }
    @media (max-width: 30rem) { main { padding: .6rem; } #mic { width: 100%; justify-content: center; } #chart { width: 100%; } }
    """#
}
