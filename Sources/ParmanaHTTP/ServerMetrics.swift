import ParmanaCore
import ParmanaRuntime
import Prometheus

/// Prometheus metrics of the governance API (`GET /metrics`).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let latency: DurationHistogram
    private let replayRefusals: Counter
    private let storeErrors: Counter
    private let overloadRefusals: Counter
    /// Made once, so that counting a decision is no registry lookup.
    private let decisions: [ExecutionState: [Action: Counter]]
    private let overrides: [Action: Counter]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        latency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "parmana", metricName: "decision_duration", unitName: "seconds",
                                             helpText: "Time to a durable decision, from request body to response."),
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(5)])
        replayRefusals = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "parmana", metricName: "replay_refusals", unitName: "total",
            helpText: "Decisions refused with replay_detected."))
        storeErrors = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "parmana", metricName: "store_errors", unitName: "total",
            helpText: "Requests that failed with store_unavailable (no attestation was returned)."))
        overloadRefusals = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "parmana", metricName: "overload_refusals", unitName: "total",
            helpText: "Decisions refused at once with 503 overloaded (max_inflight reached)."))
        // Present from the start, so dashboards and alerts see zeros rather than gaps.
        let actions = [Action.approve, .reject]
        let decisionName = MetricNameDescriptor(namespace: "parmana", metricName: "decisions", unitName: "total",
                                                helpText: "Durable governed decisions by action and execution state.")
        decisions = Dictionary(uniqueKeysWithValues: [ExecutionState.completed, .pendingOverride].map { state in
            (state, Dictionary(uniqueKeysWithValues: actions.map { action in
                (action, registry.makeCounter(descriptor: decisionName, labels: [("action", action.rawValue), ("state", state.rawValue)]))
            }))
        })
        let overrideName = MetricNameDescriptor(namespace: "parmana", metricName: "overrides", unitName: "total",
                                                helpText: "Accepted overrides by resolution.")
        overrides = Dictionary(uniqueKeysWithValues: actions.map { action in
            (action, registry.makeCounter(descriptor: overrideName, labels: [("resolution", action.rawValue)]))
        })
    }

    func decided(_ action: Action, _ state: ExecutionState, after duration: Duration) {
        decisions[state]?[action]?.increment()
        latency.record(duration)
    }

    /// Counts an accepted override by its resolution (an approval that leaves the quorum
    /// unmet is still an approval).
    func overridden(_ resolution: Action) {
        overrides[resolution]?.increment()
    }

    /// Counts the failures that matter to operators.
    func failed(_ error: ParmanaError) {
        switch error.code {
        case .replayDetected: replayRefusals.increment()
        case .storeUnavailable: storeErrors.increment()
        case .overloaded: overloadRefusals.increment()
        default: break
        }
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
