import Engine
import ModelStore
import Foundation
import Logging
import AudioIO
import Streaming
import TTS

/// `doctor`'s short self-benchmark (about 15 s): the processor's matrix and memory rates
/// against its peak, each engine's speed against what a first packet under one second needs,
/// and one spoken turn through a real session.
struct DoctorBenchmark {
    let cpu: CPUInfo
    let config: DaemonConfiguration
    let logger: Logger
    var problems: [DoctorReport.Problem] = []

    /// What each engine must reach for the first packet to come within a second of the end of
    /// speech (the design's budget: ~450 ms of silence, then a final Whisper pass, the first
    /// clause's tokens and its audio, with room for a second session).
    enum Need {
        static let decodeTokensPerSecond = 80.0
        static let prefillTokensPerSecond = 200.0
        static let recogniserRealTimeFactor = 0.15
        static let voiceRealTimeFactor = 0.15
        static let firstPacketMs = 1000.0
        /// Below this share of the peak, the matrix kernels are not the right ones (or the cores are busy).
        static let sgemmShareOfPeak = 0.4
    }

    var threads: Int { config.engineThreads }

    mutating func run() -> [DoctorReport.Measure] {
        var measures = [sgemm(), memoryBandwidth()]
        do {
            let services = try ModelSet.load(config, logger: logger)
            if config.remote == nil { measures += try reasoner(bandwidth: measures[1].value) }
            guard let speech = services.voice as? SpeechReplyVoice else { return measures }
            let (voiceMeasure, sentence) = try voice(speech.voice)
            measures.append(voiceMeasure)
            measures.append(try recogniser(services.transcriber, sentence: sentence, rate: speech.voice.sampleRate))
            measures.append(try turn(services, voice: speech.voice))
        } catch {
            problems.append(.init(severity: .error, problem: "the engines could not be benchmarked: \(error)",
                                  fix: "see the models section above; realtime-daemon models verify"))
        }
        for m in measures where !m.ok {
            problems.append(.init(severity: .warning, problem: "\(m.name) is slower than expected (\(m.detail))",
                                  fix: "check the BLAS section and that no other process keeps the cores busy (top); engine.threads=\(threads) of \(cpu.cores) cores"))
        }
        return measures
    }

    /// One large single-precision product on the engine's threads, against the cores' peak.
    func sgemm() -> DoctorReport.Measure {
        let n = 512
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let layer = DenseLayer(weight: b, bias: nil, outputs: n, inputs: n)
        var best = Double.infinity
        for _ in 0..<5 {
            let t = ContinuousClock.now
            a.withUnsafeBufferPointer { x in c.withUnsafeMutableBufferPointer { y in layer.apply(x.baseAddress!, rows: n, into: y.baseAddress!, threads: threads) } }
            best = min(best, (ContinuousClock.now - t).seconds)
        }
        let gflops = 2 * Double(n * n * n) / best / 1e9
        let peak = cpu.peakGigaflops(threads: threads)
        let share = peak > 0 ? gflops / peak : 1
        return .init(name: "sgemm \(n)³ (\(BLAS.coreName) kernels)", value: gflops, unit: "GFLOP/s",
                     expected: String(format: "≥ %.0f, %.0f%% of the %.0f GFLOP/s peak of %d cores", Need.sgemmShareOfPeak * peak, Need.sgemmShareOfPeak * 100, peak, threads),
                     ok: share >= Need.sgemmShareOfPeak, detail: String(format: "%.0f%% of peak", share * 100))
    }

    /// Reading 256 MB on the engine's threads: what single-token decoding is bound by.
    func memoryBandwidth() -> DoctorReport.Measure {
        let count = 64 << 20
        let data = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: count / 16)
        defer { data.deallocate() }
        data.initialize(repeating: SIMD16(repeating: 1), count: count / 16)
        var best = Double.infinity
        var checksum: Float = 0
        for _ in 0..<3 {
            let t = ContinuousClock.now
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
            sums.initialize(repeating: 0, count: threads)
            Parallel.chunks(count / 16, threads: threads) { range in
                var acc = SIMD16<Float>()
                for i in range { acc += data[i] }
                sums[range.lowerBound * threads / (count / 16)] += acc.sum()
            }
            best = min(best, (ContinuousClock.now - t).seconds)
            for i in 0..<threads { checksum += sums[i] }
            sums.deallocate()
        }
        let gbps = Double(count * 4) / best / 1e9
        return .init(name: "memory read", value: gbps, unit: "GB/s", expected: "the reasoner's ceiling", ok: checksum > 0,
                     detail: "\(threads) threads over 256 MB")
    }

    /// Prefill of 64 tokens and decoding of 64, with the weights streamed once per token.
    func reasoner(bandwidth: Double) throws -> [DoctorReport.Measure] {
        let store = ModelStore(directory: config.modelsDirectory)
        let path = store.path(role: .reasoner, endingWith: ".gguf")?.path ?? ""
        let llm = try LlamaModel(path: path, threads: threads)
        let tokenizer = try Tokenizer(llm.file)
        let hello = tokenizer.encode(" hello", parseSpecial: false).first ?? 0
        let prompt = [tokenizer.bos ?? 0] + Array(repeating: hello, count: 63)
        var prefill = Double.infinity, decode = Double.infinity
        for _ in 0..<2 {
            let cache = KVCache(configuration: llm.configuration, capacity: 160)
            var t = ContinuousClock.now
            var logits = try llm.prefill(prompt, cache: cache)
            prefill = min(prefill, (ContinuousClock.now - t).seconds)
            t = ContinuousClock.now
            for _ in 0..<64 { logits = try llm.decode([(Sampler.argmax(logits), cache)])[0] }
            decode = min(decode, (ContinuousClock.now - t).seconds)
        }
        let weights = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        let decodeRate = 64 / decode, prefillRate = 64 / prefill
        let streamed = decodeRate * weights / 1e9
        return [
            .init(name: "reasoner decode", value: decodeRate, unit: "tokens/s", expected: "≥ \(Int(Need.decodeTokensPerSecond))",
                  ok: decodeRate >= Need.decodeTokensPerSecond,
                  detail: String(format: "weights streamed at %.1f GB/s, %.0f%% of the measured memory read rate", streamed, bandwidth > 0 ? streamed / bandwidth * 100 : 0)),
            .init(name: "reasoner prefill", value: prefillRate, unit: "tokens/s", expected: "≥ \(Int(Need.prefillTokensPerSecond))",
                  ok: prefillRate >= Need.prefillTokensPerSecond, detail: "64-token prompt"),
        ]
    }

    static let sentence = "The quick brown fox jumps over the lazy dog, and then it rests in the shade of an old tree."

    /// Synthesis of one sentence; returns its audio for the recogniser.
    func voice(_ voice: SpeechVoice) throws -> (DoctorReport.Measure, [Float]) {
        _ = try voice.synthesize("Warm up.", cancellation: nil)
        let operations = BLAS.operationCount
        let t = ContinuousClock.now
        let audio = try voice.synthesize(Self.sentence, cancellation: nil)
        let seconds = (ContinuousClock.now - t).seconds
        let factor = seconds / (Double(audio.count) / Double(voice.sampleRate))
        let gflops = Double(BLAS.operationCount - operations) / seconds / 1e9
        return (.init(name: "voice (\(voice.name))", value: factor, unit: "× real time", expected: "≤ \(Need.voiceRealTimeFactor)",
                      ok: factor <= Need.voiceRealTimeFactor,
                      detail: String(format: "%.2f s of speech in %.0f ms; its matrix products at %.1f GFLOP/s, %.0f%% of peak",
                                     Double(audio.count) / Double(voice.sampleRate), seconds * 1000, gflops, gflops / cpu.peakGigaflops(threads: threads) * 100)),
                audio)
    }

    /// Transcription of the synthesised sentence.
    func recogniser(_ transcriber: WhisperTranscriber, sentence: [Float], rate: Int) throws -> DoctorReport.Measure {
        let audio = try Resampler.resample(sentence, from: rate, to: 16_000)
        let operations = BLAS.operationCount
        let t = ContinuousClock.now
        let heard = try transcriber.transcribe(audio).text.trimmingCharacters(in: .whitespaces)
        let seconds = (ContinuousClock.now - t).seconds
        let factor = seconds / (Double(audio.count) / 16_000)
        let gflops = Double(BLAS.operationCount - operations) / seconds / 1e9
        let errors = WordErrorRate.rate(references: [Self.sentence], hypotheses: [heard])
        return .init(name: "recogniser", value: factor, unit: "× real time", expected: "≤ \(Need.recogniserRealTimeFactor)",
                     ok: factor <= Need.recogniserRealTimeFactor && errors <= 0.2,
                     detail: String(format: "%.2f s in %.0f ms, word error rate %.0f%% (heard \"%@\"); its matrix products at %.1f GFLOP/s, %.0f%% of peak",
                                    Double(audio.count) / 16_000, seconds * 1000, errors * 100, heard, gflops, gflops / cpu.peakGigaflops(threads: threads) * 100))
    }

    /// One spoken question through a session at real-time pace, as a microphone sends it.
    func turn(_ services: SessionServices, voice: SpeechVoice) throws -> DoctorReport.Measure {
        let question = try Resampler.resample(try voice.synthesize("What is the capital of France?", cancellation: nil), from: voice.sampleRate, to: 24_000)
        let defaults = config.sessionDefaults
        let record = SpokenTurn.run(question: question, services: services, configuration: defaults)
        let ms = record.firstPacketMs ?? .infinity
        return .init(name: "one spoken turn (\(defaults.reply.mode.rawValue))", value: ms, unit: "ms to the first reply audio",
                     expected: "≤ \(Int(Need.firstPacketMs))", ok: ms <= Need.firstPacketMs,
                     detail: "heard \"\(record.transcript)\", answered \"\(record.answer.trimmingCharacters(in: .whitespacesAndNewlines).prefix(60))\"")
    }
}
