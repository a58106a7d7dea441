package shipment

// CancelledBy says who cancelled an order. The values are the GraphQL enum
// values and what the database stores. Marketplaces count the seller's
// cancellations against them and not the buyer's.
type CancelledBy string

// The parties that cancel.
const (
	CancelledBySeller CancelledBy = "SELLER"
	CancelledByBuyer  CancelledBy = "BUYER"
)

// Valid reports whether c is a known party.
func (c CancelledBy) Valid() bool { return c == CancelledBySeller || c == CancelledByBuyer }
