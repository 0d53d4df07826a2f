/// Where the remote reasoner is and how to talk to it (configuration keys `remote.*`).
public struct RemoteEngineSettings: Sendable, Equatable {
    /// What the server is given for the user's turn.
    public enum Input: String, Sendable, CaseIterable {
        /// The local transcript plus the acoustic evidence block, as text: any chat model.
        case text
        /// The turn's audio as `input_audio` parts (Step-Audio-R1 as StepFun's vLLM image
        /// serves it): the model hears the user itself, and thinks in a prefilled `<think>`.
        case audio
    }

    /// The API's base URL, ending in `/v1` (the endpoint is `<base>/chat/completions`).
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …`; never logged.
    public var apiKey: String?
    public var input: Input = .text
    public var connectTimeoutMs = 3_000
    /// From sending the request to the first streamed token.
    public var firstTokenTimeoutMs = 15_000
    /// Longest silence inside a stream once it has started.
    public var idleTimeoutMs = 10_000
    /// Requests in flight to this server from this daemon (all sessions); more wait their turn.
    public var maxConcurrentRequests = 8
    /// Attempts after the first, only while no token has arrived (connect errors, 429, 5xx).
    public var retries = 2
    /// Sampling temperature sent with each request (nil: the server's default).
    public var temperature: Double? = 0.3

    public init(baseURL: String, model: String) {
        self.baseURL = baseURL
        self.model = model
    }

    public var endpoint: String {
        (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/chat/completions"
    }
}
