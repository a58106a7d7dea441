package store

// Hooks for the external tests of the migration runner.
var (
	MigrateFS       = migrate
	SplitStatements = func(body string) ([]string, []int, error) {
		stmts, err := splitStatements(body)
		var sqls []string
		var lines []int
		for _, s := range stmts {
			sqls = append(sqls, s.sql)
			lines = append(lines, s.line)
		}
		return sqls, lines, err
	}
)

// LockCheckedSQL is the statement of LockChecked, for plan tests.
const LockCheckedSQL = lockCheckedSQL

// ApplyRuleSQL, FlagChangesSQL and LockUnlockedSQL are the statements of
// ApplyRule, FlagChanges and LockUnlocked, for plan tests.
var (
	ApplyRuleSQL   = applyRuleSQL
	FlagChangesSQL = flagChangesSQL
)

const LockUnlockedSQL = lockUnlockedSQL

// ApplyRulesSQL is the statement of ApplyRules, for plan tests.
var ApplyRulesSQL = applyRulesSQL

// WrittenShipmentsSQL and RefreshSQL are the statements of
// WrittenShipments and RefreshShipments, for plan tests.
var (
	WrittenShipmentsSQL = writtenShipmentsSQL
	RefreshSQL          = refreshSQL
)

// The statements of the evidence reads, for plan tests: ReadChain's,
// ChainHashesAt's and the proofs' select list and joins.
const (
	ChainEventsSQL = chainEventsSQL
	ChainProofsSQL = chainProofsSQL
	ChainHashesSQL = chainHashesSQL
	ProofSelectSQL = `SELECT ` + proofColumns + ` ` + proofFrom
)

// AwaitingWebhookScansSQL is the statement of
// ShipmentsAwaitingWebhookScans, for plan tests.
const AwaitingWebhookScansSQL = awaitingWebhookScansSQL

// RiskCandidatesSQL, TrackingNumbersOfSQL and SetForecastRiskSQL are the
// statements of RiskCandidates, TrackingNumbersOf and SetForecastRisk, for
// plan tests.
var (
	RiskCandidatesSQL    = riskCandidatesSQL
	TrackingNumbersOfSQL = trackingNumbersOfSQL
	SetForecastRiskSQL   = setForecastRiskSQL
)

// StandardKeysBound is the expression shipments_standard_key_idx indexes,
// for its plan test.
var StandardKeysBound = standardKeysBound

// SourceDeliveriesSQL is the statement of SourceDeliveries, for plan tests.
const SourceDeliveriesSQL = sourceDeliveriesSQL

// CarrierDeliveriesSQL and AwaitingCarrierScansSQL are the carrier check's
// statements, for plan tests.
const (
	CarrierDeliveriesSQL    = carrierDeliveriesSQL
	AwaitingCarrierScansSQL = awaitingCarrierScansSQL
)

// StandardCountConditions is every count's denominator and numerator
// condition, for the clock test of CountsKept.
func StandardCountConditions() []string {
	var out []string
	for _, c := range standardCounts {
		out = append(out, c[0], c[1])
	}
	return out
}

// ShipmentsChangedSQL is the statement of ShipmentsChanged, for plan tests.
var ShipmentsChangedSQL = shipmentsChangedSQL

// MarkSnapshot is the snapshot a Mark was read in (tests only).
func MarkSnapshot(m Mark) string { return m.snapshot }
