import NIOCore

/// A batch of already-encoded commands and one promise per command, in order.
struct RedisRequest: Sendable {
    var encoded: ByteBuffer
    var promises: [EventLoopPromise<RESPValue>]
}

/// Outbound user event: close the channel once every pending command has its reply; refuse new commands.
struct RedisGracefulCloseEvent: Sendable {}

/// The pipeline handler behind ``RedisConnection``: writes requests, matches replies to pending commands in
/// FIFO order, enforces the per-command timeout, and fails pending commands when the channel dies.
///
/// Ownership rule: once `write` has been called with a ``RedisRequest`` this handler completes every promise in
/// it exactly once (with a reply or an error) and succeeds the write promise immediately. If the request never
/// reaches the handler (the pipeline was already torn down), the write promise fails and the sender fails the
/// command promises itself.
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<RESPValue>
        var deadline: NIODeadline
    }

    private enum State {
        case active
        case draining
        case closed
    }

    private let commandTimeout: TimeAmount
    private var state = State.active
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// Fires at (or after) the deadline of the oldest pending command. Replies do not move it: when it fires
    /// early relative to the current head, it re-arms for the head's deadline.
    private var timer: Scheduled<Void>?

    init(commandTimeout: TimeAmount) {
        self.commandTimeout = commandTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        promise?.succeed(())
        switch state {
        case .closed, .draining:
            // Never written: report it as a closed connection, whatever closed it.
            request.promises.forEach { $0.fail(RedisError.connectionClosed) }
        case .active:
            let deadline = NIODeadline.now() + commandTimeout
            for commandPromise in request.promises {
                pending.append(Pending(promise: commandPromise, deadline: deadline))
            }
            context.write(wrapOutboundOut(request.encoded), promise: nil)
            armTimer(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let head = pending.popFirst() else {
            if case .closed = state { return }  // late bytes after a failure; the channel is closing
            shutDown(context: context, error: .protocol("received a reply while no command was pending"))
            return
        }
        head.promise.succeed(value)
        if case .draining = state, pending.isEmpty {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(with: .connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(with: .connectionClosed)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Decoder errors arrive as RedisError.protocol; anything else (ECONNRESET, ...) means the connection died.
        shutDown(context: context, error: (error as? RedisError) ?? .connectionClosed)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is RedisGracefulCloseEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed(())
        switch state {
        case .active where pending.isEmpty:
            state = .draining
            context.close(promise: nil)
        case .active:
            state = .draining
        case .draining, .closed:
            break
        }
    }

    // MARK: - Failure and timeout

    /// Closes the channel and fails every pending command with `error`. The channel is closed first, so a caller
    /// that sees the error also sees the connection as closed.
    private func shutDown(context: ChannelHandlerContext, error: RedisError) {
        let victims = pending
        pending.removeAll()
        fail(with: error)
        context.close(promise: nil)
        for entry in victims { entry.promise.fail(error) }
    }

    /// Enters the closed state and fails every pending command with `error`.
    private func fail(with error: RedisError) {
        state = .closed
        timer?.cancel()
        timer = nil
        while let entry = pending.popFirst() {
            entry.promise.fail(error)
        }
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard timer == nil, let head = pending.first else { return }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: head.deadline) {
            bound.value.handler.timerFired(context: bound.value.context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let head = pending.first else { return }
        if head.deadline <= .now() {
            shutDown(context: context, error: .timeout)
        } else {
            armTimer(context: context)
        }
    }
}
