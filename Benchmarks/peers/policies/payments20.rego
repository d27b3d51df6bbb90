# The 20-rule payments policy of Benchmarks/peers in Rego (v1 syntax).
# Same meaning as policies/payments20.json (parmana.policy/v1):
#   - rules are tried in order and the first true one decides: an `else` chain;
#   - a rule reading an absent optional signal does not match: in Rego a reference to
#     an absent input field is undefined, so the rule body fails and the chain moves on;
#   - not_in / not_equals are only used on required signals, and are still guarded by
#     binding the value first (`not x in S` alone would be true for an absent x).
# Query: data.payments20.decision  →  {"action", "requires_override", "reason", "rule_id"}
package payments20

import rego.v1

reject(id, reason) := {"action": "reject", "requires_override": false, "reason": reason, "rule_id": id}

approve(id, reason) := {"action": "approve", "requires_override": false, "reason": reason, "rule_id": id}

review(id, reason) := {"action": "approve", "requires_override": true, "reason": reason, "rule_id": id}

supported_currencies := {"CHF", "EUR", "GBP", "JPY", "USD"}

sanctioned_origins := {"CU", "IR", "KP", "SY"}

sanctioned_beneficiaries := {"CU", "IR", "KP", "RU", "SY"}

sepa_countries := {"AT", "BE", "DE", "ES", "FR", "IT", "NL"}

# any[account_age_days < 30, first_payment == true]
new_or_first if input.account_age_days < 30

new_or_first if input.first_payment == true

decision := reject("kyc-required", "kyc_not_verified") if {
	input.kyc_verified == false
} else := reject("unsupported-currency", "unsupported_currency") if {
	currency := input.currency
	not currency in supported_currencies
} else := reject("sanctioned-origin", "sanctioned_country") if {
	input.country in sanctioned_origins
} else := reject("sanctioned-beneficiary", "sanctioned_beneficiary") if {
	input.beneficiary_country in sanctioned_beneficiaries
} else := reject("sanctions-hit", "sanctions_screening") if {
	"sanctions_hit" in input.tags
} else := reject("fraud-suspected", "fraud_suspected") if {
	"fraud_suspected" in input.tags
} else := reject("risk-ceiling", "risk_too_high") if {
	input.risk_score >= 95
} else := reject("hard-cap", "over_hard_cap") if {
	input.amount > 1000000
} else := reject("zero-amount", "zero_amount") if {
	input.amount <= 0
} else := review("new-or-first-large", "new_account_review") if {
	new_or_first
	input.amount > 5000
} else := review("crypto-purchase", "crypto_review") if {
	"crypto" in input.tags
	input.amount >= 1000
} else := review("velocity", "velocity_review") if {
	input.daily_total > 20000
} else := review("fx-large", "fx_review") if {
	input.currency in {"CHF", "JPY"}
	input.amount >= 250000
} else := review("branch-large", "branch_large_payment") if {
	input.channel == "branch"
	input.amount > 50000
} else := approve("platinum-fast-track", "platinum_fast_track") if {
	input.customer_tier == "platinum"
	input.amount <= 100000
} else := review("elevated-risk", "risk_review") if {
	input.risk_score >= 70
} else := approve("gold-limit", "gold_limit") if {
	input.customer_tier == "gold"
	input.amount <= 25000
} else := review("large-amount", "amount_review") if {
	input.amount > 10000
} else := review("eur-outside-sepa", "sepa_exception") if {
	input.currency == "EUR"
	country := input.country
	not country in sepa_countries
	channel := input.channel
	channel != "branch"
} else := approve("standard", "within_limits") if {
	input.amount <= 10000
	input.currency in {"EUR", "GBP", "USD"}
} else := reject("default", "no_rule_matched")
