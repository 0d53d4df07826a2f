import Foundation

/// A function the model may call: the API's `tools` entry of type `function`.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The JSON Schema of the arguments, as JSON text (passed on as given).
    public var parameters: String

    public init(name: String, description: String = "", parameters: String = #"{"type":"object","properties":{}}"#) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// The schema as a JSON object, for a request or an event that carries it.
    public var schema: Any {
        (try? JSONSerialization.jsonObject(with: Data(parameters.utf8))) ?? [String: Any]()
    }
}

/// Whether and which function the model must call (the API's `tool_choice`).
public enum ToolChoice: Sendable, Equatable {
    case auto, none, required
    case function(String)

    /// What the API's JSON says: "auto", "none", "required" or {"type":"function","name":…}.
    public var json: any Sendable {
        switch self {
        case .auto: "auto"
        case .none: "none"
        case .required: "required"
        case .function(let name): ["type": "function", "name": name] as [String: any Sendable]
        }
    }

    /// Whether the choice makes the model call a function.
    public var forcesCall: Bool {
        switch self {
        case .required, .function: true
        case .auto, .none: false
        }
    }
}

/// Part of a function call as the model streams it: the call's id and name (known from its first
/// part on; the id tells the reply's calls apart) and more of its arguments.
public struct FunctionCallDelta: Sendable, Equatable {
    public var callID: String
    public var name: String
    public var arguments: String

    public init(callID: String, name: String, arguments: String) {
        self.callID = callID
        self.name = name
        self.arguments = arguments
    }
}
