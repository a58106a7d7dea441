package model

import "github.com/shipwatch/shipwatch/internal/store"

// FlagConnection is a page of flags. It keeps the seller and filter so
// totalCount is counted only when a client asks for it.
type FlagConnection struct {
	Edges    []*FlagEdge
	PageInfo *PageInfo
	SellerID string
	Filter   store.FlagFilter
}
