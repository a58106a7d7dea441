package model

import "github.com/shipwatch/shipwatch/internal/health"

// HealthShipmentConnection is a page of the shipments counting against an
// account-health metric; totalCount comes from the metric's counts.
type HealthShipmentConnection struct {
	Edges      []*ShipmentEdge
	PageInfo   *PageInfo
	TotalCount int
}

// SaveQueueConnection is a page of a metric's save queue.
type SaveQueueConnection struct {
	Edges      []*SaveItemEdge
	PageInfo   *PageInfo
	TotalCount int
}

// SaveItemEdge is one item of a page of the save queue.
type SaveItemEdge struct {
	Cursor string
	Node   *health.SaveItem
}
