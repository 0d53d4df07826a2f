// swift-tools-version: 6.0
import Foundation
import PackageDescription

/// One system-library target per C library, found through pkg-config and installed from Debian.
func systemLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt(apt)])
}

/// Numeric code is 10–50× slower unoptimised; the model and DSP targets are built with -O even
/// in debug builds (see DESIGN.md, "Performance habits"), and tuned for the CPU that builds them
/// (the set-up builds from source on the machine that runs). Tests and benchmarks use release
/// builds: whole-module optimisation is what lets the kernels inline across files.
let optimised: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "native"])]

/// The x86 instruction sets the building CPU has, for the integer dot products and conversions
/// of the model kernels (`BlockLanes.swift`, `VectorConversions.swift`). `-target-cpu native`
/// already ties the build to this CPU; Swift cannot test target features in `#if`, and an
/// intrinsic compiled for a CPU without it stops the compiler, so the manifest reads them and
/// defines a condition for each.
let instructionSets: [SwiftSetting] = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let flags = Set(line.split(separator: " ").map(String.init))
    var defines: [SwiftSetting] = []
    if flags.isSuperset(of: ["avx2", "fma", "f16c"]) { defines.append(.define("RTD_AVX2")) }
    // 512-bit registers: kernels that keep 16 vectors of 16 floats in registers need them (with
    // 256-bit ones, half as many floats fit, and such a block spills).
    if flags.isSuperset(of: ["avx512f"]) { defines.append(.define("RTD_AVX512")) }
    if flags.isSuperset(of: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"]) { defines.append(.define("RTD_AVX512_VNNI")) }
    return defines
}()

let package = Package(
    name: "realtime-daemon",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "realtime-daemon", targets: ["RealtimeDaemon"]),
        .executable(name: "rtbench", targets: ["RTBench"]),
        .executable(name: "rtd-fuzz", targets: ["RTDFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        systemLibrary("CAlsa", pkgConfig: "alsa", apt: ["libasound2-dev"]),
        systemLibrary("COpus", pkgConfig: "opus", apt: ["libopus-dev"]),
        systemLibrary("COgg", pkgConfig: "ogg", apt: ["libogg-dev"]),
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: ["libopenblas-dev"]),
        systemLibrary("CSndfile", pkgConfig: "sndfile", apt: ["libsndfile1-dev"]),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: ["libsoxr-dev"]),
        systemLibrary("CEspeakNG", pkgConfig: "espeak-ng", apt: ["libespeak-ng-dev"]),
        systemLibrary("CSystemd", pkgConfig: "libsystemd", apt: ["libsystemd-dev"]),
        systemLibrary("CSpeexDSP", pkgConfig: "speexdsp", apt: ["libspeexdsp-dev"]),
        // WebRTC's echo canceller (`audio.echo_canceller=webrtc`): C++, behind a C header of ours.
        // Its pkg-config flags are defines and an include path, given here (SwiftPM takes no
        // pkg-config flags for a source target).
        .target(
            name: "CWebRTCAudio",
            cxxSettings: [
                .unsafeFlags(["-I/usr/include/webrtc_audio_processing"]),
                .define("WEBRTC_POSIX"), .define("WEBRTC_AUDIO_PROCESSING_ONLY_BUILD"),
            ],
            linkerSettings: [.linkedLibrary("webrtc_audio_processing")]
        ),
        // Linked by its module map: avahi-client's pkg-config flags hold a -D_REENTRANT that
        // SwiftPM refuses (with a warning on every build).
        .systemLibrary(name: "CAvahi", path: "Sources/CAvahi", providers: [.apt(["libavahi-client-dev"])]),

        // Audio I/O: ALSA threads, the ring buffer, Opus, Ogg, files, resampling. No model code.
        .target(
            name: "AudioIO",
            dependencies: ["CAlsa", "COpus", "COgg", "CSndfile", "CSoxr", "CSpeexDSP", "CWebRTCAudio"],
            swiftSettings: optimised
        ),
        // The session pipeline and the protocol's events.
        .target(
            name: "Streaming",
            dependencies: ["AudioIO", "Engine"],
            swiftSettings: optimised
        ),
        // The numeric engine: kernels, model file readers, Whisper, the reasoner, replies. It
        // depends on OpenBLAS alone, so the fuzzers build it (and what reads client input) quickly.
        .target(
            name: "Engine",
            dependencies: ["COpenBLAS"],
            swiftSettings: optimised + instructionSets
        ),
        // Where model files come from: fetched from the package index, verified, found.
        .target(
            name: "ModelStore",
            dependencies: [
                "Engine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // The remote reasoner: an OpenAI-compatible server over HTTP.
        .target(
            name: "RemoteEngine",
            dependencies: [
                "Engine", "AudioIO",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TTS",
            dependencies: ["CEspeakNG", "Engine", "AudioIO", "Streaming"],
            swiftSettings: optimised + instructionSets
        ),
        .executableTarget(
            name: "RealtimeDaemon",
            dependencies: [
                "AudioIO", "Streaming", "Engine", "ModelStore", "RemoteEngine", "TTS", "CSystemd", "CAvahi",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "RTBench",
            dependencies: [
                "AudioIO", "Engine", "ModelStore", "TTS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fuzz harnesses (scripts/fuzz.sh builds them with libFuzzer; an ordinary build replays inputs).
        .executableTarget(
            name: "RTDFuzz",
            dependencies: ["Engine", "AudioIO", "Streaming", "TTS"],
            swiftSettings: optimised
        ),
        .testTarget(name: "StreamingTests", dependencies: ["Streaming", "AudioIO", "TestSupport"]),
        .testTarget(name: "RTBenchTests", dependencies: ["RTBench", "Streaming", "AudioIO", "TestSupport"], exclude: ["Clients"]),
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "ModelStore", "RemoteEngine", "AudioIO", "Streaming", "TestSupport",
                                                       .product(name: "Crypto", package: "swift-crypto")],
                    exclude: ["Fixtures"], swiftSettings: instructionSets),
        .testTarget(name: "TTSTests", dependencies: ["TTS", "Engine", "ModelStore", "AudioIO", "Streaming", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RealtimeDaemonTests", dependencies: [
            "RealtimeDaemon", "AudioIO", "Streaming", "Engine", "ModelStore", "RemoteEngine", "TTS", "TestSupport",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        ], exclude: ["Clients"]),
    ],
    swiftLanguageModes: [.v6]
)
