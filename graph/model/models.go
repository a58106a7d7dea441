// Package model holds the GraphQL types: generated ones in models_gen.go and
// the few written by hand here, where a type carries what its lazy fields
// need.
package model

import "github.com/shipwatch/shipwatch/internal/store"

// ShipmentConnection is a page of shipments. It keeps the seller and filter
// so totalCount is counted only when a client asks for it.
type ShipmentConnection struct {
	Edges    []*ShipmentEdge
	PageInfo *PageInfo
	SellerID string
	Filter   store.ShipmentFilter
}

// TrackingRegistrations are a 17TRACK source's registration counts; it
// keeps the source so rejectedNumbers is read only when asked for.
type TrackingRegistrations struct {
	store.RegistrationCounts
	SellerID string
	SourceID string
}

// ShipmentImportConnection is a page of imports; totalCount is counted
// only when a client asks for it.
type ShipmentImportConnection struct {
	Edges    []*ShipmentImportEdge
	PageInfo *PageInfo
	SellerID string
}

// NotificationDeliveryConnection is a page of notification deliveries;
// totalCount is counted only when a client asks for it.
type NotificationDeliveryConnection struct {
	Edges    []*NotificationDeliveryEdge
	PageInfo *PageInfo
	SellerID string
}

// TrackingSourceConnection is a page of tracking sources; totalCount is
// counted only when a client asks for it.
type TrackingSourceConnection struct {
	Edges    []*TrackingSourceEdge
	PageInfo *PageInfo
	SellerID string
}

// TrackingEventConnection is a page of one shipment's timeline; it keeps
// the shipment, whose events totalCount counts through a dataloader.
type TrackingEventConnection struct {
	Edges    []*TrackingEventEdge
	PageInfo *PageInfo
	Shipment *store.Shipment
}
