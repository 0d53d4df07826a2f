import ArgumentParser

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the configuration keys and the effective settings.",
        subcommands: [Keys.self, Show.self]
    )

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every key with its environment variable, default and meaning.")

        func run() {
            for key in ConfigKey.all {
                print("\(key.name)  (\(key.kindDescription); env \(key.environmentVariable); default \"\(key.defaultValue)\")")
                print("    \(key.help)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the effective settings and where each came from (checks them too).")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let (resolved, _) = try options.resolve()
            print("# configuration file: \(resolved.file ?? "none")")
            for key in ConfigKey.all {
                let value = resolved.string(key)
                let shown = if case .secret = key.kind { value.isEmpty ? "\"\"" : "(set, hidden)" } else { "\"\(value)\"" }
                print("\(key.name) = \(shown)    # \(resolved.source(key))")
            }
        }
    }
}
