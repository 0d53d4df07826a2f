import ArgumentParser

@main
struct RealtimeDaemonCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "realtime-daemon",
        abstract: "A realtime speech-to-speech daemon: it listens, thinks and talks back.",
        discussion: """
            Start with `realtime-daemon models fetch` (downloads the three models, once), then \
            `realtime-daemon serve`. Every setting lives in a YAML file, an RTD_* environment \
            variable or --set KEY=VALUE; `realtime-daemon config keys` lists them.
            """,
        version: version,
        subcommands: [ServeCommand.self, GenerateCommand.self, TranscribeCommand.self, SpeakCommand.self, ModelsCommand.self, ConfigCommand.self, BenchCommand.self],
        defaultSubcommand: nil
    )
}
