package model

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/store"
)

// DisputeConnection is a page of disputes. It keeps the seller and filter
// so totalCount is counted only when a client asks for it.
type DisputeConnection struct {
	Edges    []*DisputeEdge
	PageInfo *PageInfo
	SellerID string
	Filter   store.DisputeFilter
}

// Decimal is a decimal amount as text ("49.99"): money is never a float
// on its way through Shipwatch.
type Decimal string

// MarshalDecimal writes a decimal as a JSON string.
func MarshalDecimal(d Decimal) graphql.Marshaler {
	// gqlgen's string marshaler writes JSON escapes; strconv.Quote's \x01
	// would not be JSON.
	return graphql.MarshalString(string(d))
}

// UnmarshalDecimal reads a decimal from a string or a number; the use case
// checks its form.
func UnmarshalDecimal(v any) (Decimal, error) {
	switch x := v.(type) {
	case string:
		return Decimal(x), nil
	case json.Number:
		return Decimal(x.String()), nil
	case int64:
		return Decimal(strconv.FormatInt(x, 10)), nil
	case int:
		return Decimal(strconv.Itoa(x)), nil
	case float64:
		return Decimal(strconv.FormatFloat(x, 'f', -1, 64)), nil
	}
	return "", &ScalarError{clip.Quote(fmt.Sprint(v)) + " is not an amount: send a decimal string such as \"49.99\""}
}
