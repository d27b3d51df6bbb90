import NIOCore
import NIOPosix
import ParmanaRedis

/// A scripted TCP server on a loopback port, for replies a real Redis never sends.
final class FakeRedisServer: Sendable {
    enum Behavior: Sendable {
        /// On the first bytes received, write `bytes`; then close the connection if `close` is set.
        case reply([UInt8], close: Bool)
        /// Accept, read and never answer.
        case silent
    }

    private let channel: any Channel
    let port: Int

    var configuration: RedisConfiguration { RedisConfiguration(host: "127.0.0.1", port: port) }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(_ behavior: Behavior) async throws -> FakeRedisServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ScriptedHandler(behavior: behavior))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestSetupError(description: "fake server has no port") }
        return FakeRedisServer(channel: channel, port: port)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class ScriptedHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let behavior: Behavior
        var answered = false

        init(behavior: Behavior) { self.behavior = behavior }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered, case .reply(let bytes, let close) = behavior else { return }
            answered = true
            let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)))
            if close {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
    }
}

/// Runs `body` with a fake server and always stops it afterwards.
func withFakeServer<T>(
    _ behavior: FakeRedisServer.Behavior,
    _ body: (FakeRedisServer) async throws -> T
) async throws -> T {
    let server = try await FakeRedisServer.start(behavior)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
