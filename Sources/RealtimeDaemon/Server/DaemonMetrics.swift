import Engine
import RemoteEngine
import Prometheus
import Synchronization
import AudioIO
import Streaming

/// What `/metrics` shows, in Prometheus text: sessions, turns, errors, and the latency of
/// each stage of a reply (as `timings_ms` reports it) as histograms.
final class DaemonMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let sessionsActive: Gauge
    let sessionsTotal: Counter
    let sessionsRefused: Counter
    let protocolViolations: Counter
    let connectionsClosed: @Sendable (String) -> Counter
    let responses: @Sendable (String) -> Counter
    let errors: @Sendable (String) -> Counter
    let stageSeconds: @Sendable (String) -> ValueHistogram
    let audioXruns: Counter
    let audioDeviceFailures: Counter
    let audioDroppedSamples: Counter
    let echoEnhancement: Gauge
    let echoDelay: Gauge
    let remoteFirstToken: ValueHistogram
    let remoteErrors: @Sendable (String) -> Counter

    static let buckets: [Double] = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10]

    init() {
        let r = registry
        sessionsActive = r.makeGauge(descriptor: Self.name("sessions_active", "Sessions open now."))
        sessionsTotal = r.makeCounter(descriptor: Self.name("sessions_total", "Sessions opened."))
        sessionsRefused = r.makeCounter(descriptor: Self.name("sessions_refused_total", "Connections refused because server.max_sessions were open."))
        protocolViolations = r.makeCounter(descriptor: Self.name("ws_protocol_violations_total", "Connections closed for breaking the WebSocket framing rules."))
        connectionsClosed = { reason in r.makeCounter(descriptor: Self.name("connections_closed_total", "Connections the server closed itself, by reason."), labels: [("reason", reason)]) }
        audioXruns = r.makeCounter(descriptor: Self.name("audio_xruns_total", "ALSA overruns and underruns of the local voice loop."))
        audioDeviceFailures = r.makeCounter(descriptor: Self.name("audio_device_failures_total", "Local audio devices that failed and were reopened."))
        audioDroppedSamples = r.makeCounter(descriptor: Self.name("audio_dropped_samples_total", "Reply samples the speaker's full queue could not take."))
        echoEnhancement = r.makeGauge(descriptor: Self.name("echo_return_loss_enhancement_db",
            "Local voice loop, audio.echo=cancel: how much the canceller lowers the microphone while the speaker plays (ERLE estimate, ~1 s average)."))
        echoDelay = r.makeGauge(descriptor: Self.name("echo_alignment_delay", unit: "seconds",
            "Local voice loop, audio.echo=cancel: how far behind what was sent to the speaker the canceller pairs the microphone."))
        responses = { status in r.makeCounter(descriptor: Self.name("responses_total", "Responses by final status."), labels: [("status", status)]) }
        errors = { code in r.makeCounter(descriptor: Self.name("errors_total", "error events sent, by code."), labels: [("code", code)]) }
        remoteFirstToken = r.makeValueHistogram(
            descriptor: Self.name("remote_first_token", unit: "seconds", "Remote engine: from a request to its first streamed token."), buckets: Self.buckets)
        remoteErrors = { kind in
            r.makeCounter(descriptor: Self.name("remote_errors_total", "Remote engine requests that failed, by kind."), labels: [("kind", kind)])
        }
        stageSeconds = { stage in
            r.makeValueHistogram(descriptor: Self.name("reply_stage", unit: "seconds", "Time from the end of the user's turn (or response.create) to each stage of the reply."),
                                 labels: [("stage", stage)], buckets: Self.buckets)
        }
    }

    /// Records what a session output says about the service (errors, finished responses).
    func observe(_ event: ServerEvent) {
        switch event {
        case .error(let error):
            errors(error.code).increment()
        case .responseDone(let summary):
            responses(summary.status.rawValue).increment()
            for (stage, ms) in summary.timingsMs { stageSeconds(stage).record(ms / 1000) }
        default:
            break
        }
    }

    /// The remote engine's hooks into these metrics.
    var remoteObserver: RemoteObserver {
        RemoteObserver(firstToken: { [remoteFirstToken] in remoteFirstToken.record($0) },
                       failure: { [remoteErrors] in remoteErrors($0).increment() })
    }

    static func name(_ metric: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "rtd", metricName: metric, unitName: unit, helpText: help)
    }

    /// The engine's scheduler and batcher, read at each scrape (set once the models are loaded).
    let engine = Mutex<(scheduler: EngineScheduler, batcher: DecodeBatcher?)?>(nil)

    func text() -> String {
        guard let (scheduler, batcher) = engine.withLock({ $0 }) else { return registry.emitToString() }
        var lines: [String] = []
        let stats = scheduler.statistics
        lines.append("# HELP rtd_engine_work_seconds_total Time the engine spent on each kind of work.")
        lines.append("# TYPE rtd_engine_work_seconds_total counter")
        for priority in WorkPriority.allCases { lines.append("rtd_engine_work_seconds_total{priority=\"\(priority)\"} \(stats[priority]?.runSeconds ?? 0)") }
        lines.append("# HELP rtd_engine_wait_seconds_total Time work waited for its turn, by kind.")
        lines.append("# TYPE rtd_engine_wait_seconds_total counter")
        for priority in WorkPriority.allCases { lines.append("rtd_engine_wait_seconds_total{priority=\"\(priority)\"} \(stats[priority]?.waitSeconds ?? 0)") }
        lines.append("# HELP rtd_engine_longest_hold_seconds The longest the cores were held by one kind of work without a pause for more urgent work.")
        lines.append("# TYPE rtd_engine_longest_hold_seconds gauge")
        for priority in WorkPriority.allCases { lines.append("rtd_engine_longest_hold_seconds{priority=\"\(priority)\"} \(stats[priority]?.longestHoldSeconds ?? 0)") }
        lines.append("# HELP rtd_engine_work_total Pieces of work by kind and outcome (shed: skipped because the machine was busy).")
        lines.append("# TYPE rtd_engine_work_total counter")
        for priority in WorkPriority.allCases {
            let s = stats[priority] ?? .init()
            for (outcome, n) in [("ran", s.ran), ("shed", s.shed), ("cancelled", s.cancelled)] {
                lines.append("rtd_engine_work_total{priority=\"\(priority)\",outcome=\"\(outcome)\"} \(n)")
            }
        }
        if let batcher {
            let (steps, rows) = batcher.statistics
            lines.append("# HELP rtd_reasoner_decode_steps_total Batched decode steps, and the rows they computed (rows/steps: the batching).")
            lines.append("# TYPE rtd_reasoner_decode_steps_total counter")
            lines.append("rtd_reasoner_decode_steps_total \(steps)")
            lines.append("rtd_reasoner_decode_rows_total \(rows)")
        }
        return registry.emitToString() + lines.joined(separator: "\n") + "\n"
    }
}
