import HTTPTypes
import Testing
@testable import RealtimeDaemon

/// Who may open a session, decided from the upgrade request alone.
@Suite struct AccessPolicyTests {
    static func request(host: String, origin: String? = nil, authorization: String? = nil) -> HTTPRequest {
        var fields = HTTPFields()
        if let origin { fields[.origin] = origin }
        if let authorization { fields[.authorization] = authorization }
        return HTTPRequest(method: .get, scheme: "http", authority: host, path: "/v1/realtime", headerFields: fields)
    }

    @Test func aRebindingPageIsRefusedWithoutAToken() {
        let policy = AccessPolicy(token: nil, allowedOrigins: [])
        // evil.example now resolves to 127.0.0.1: its page sends its own name as Host and Origin.
        guard case .forbidden = policy.decide(Self.request(host: "evil.example:8765", origin: "http://evil.example:8765")) else {
            Issue.record("a rebinding page was let in"); return
        }
        guard case .forbidden = policy.decide(Self.request(host: "evil.example:8765")) else {
            Issue.record("a DNS name as Host was let in without a token"); return
        }
    }

    @Test func loopbackPagesAndAddressesAreAllowedByDefault() {
        let policy = AccessPolicy(token: nil, allowedOrigins: [])
        #expect(policy.decide(Self.request(host: "127.0.0.1:8765", origin: "http://127.0.0.1:8765")) == .allow(subprotocol: nil))
        #expect(policy.decide(Self.request(host: "localhost:8765", origin: "http://localhost:3000")) == .allow(subprotocol: nil))
        #expect(policy.decide(Self.request(host: "[::1]:8765", origin: "http://[::1]:8765")) == .allow(subprotocol: nil))
        #expect(policy.decide(Self.request(host: "192.168.1.5:8765")) == .allow(subprotocol: nil))  // a client with no Origin (the SDK)
        // A page from elsewhere is refused even on a loopback Host.
        guard case .forbidden = policy.decide(Self.request(host: "127.0.0.1:8765", origin: "http://evil.example")) else {
            Issue.record("a foreign page was let in"); return
        }
        // Without a token, the page's own LAN address is not enough (a rebinding page could be it).
        guard case .forbidden = policy.decide(Self.request(host: "192.168.1.5:8765", origin: "http://192.168.1.5:8765")) else {
            Issue.record("same-host origin let in without a token"); return
        }
    }

    @Test func withATokenTheDaemonsOwnPageOnAnyNameWorks() {
        let policy = AccessPolicy(token: "s3cret", allowedOrigins: [])
        #expect(policy.decide(Self.request(host: "box.lan:8765", origin: "http://box.lan:8765", authorization: "Bearer s3cret")) == .allow(subprotocol: nil))
        guard case .unauthorized = policy.decide(Self.request(host: "box.lan:8765", origin: "http://box.lan:8765", authorization: "Bearer nope")) else {
            Issue.record("wrong token let in"); return
        }
        guard case .forbidden = policy.decide(Self.request(host: "box.lan:8765", origin: "http://evil.example", authorization: "Bearer s3cret")) else {
            Issue.record("foreign origin let in"); return
        }
    }

    @Test func tokensCompareByContent() {
        #expect(AccessPolicy.constantTimeEqual("abc", "abc"))
        #expect(!AccessPolicy.constantTimeEqual("abc", "abd"))
        #expect(!AccessPolicy.constantTimeEqual("abc", "abcd"))
        #expect(!AccessPolicy.constantTimeEqual("", "a"))
    }
}
