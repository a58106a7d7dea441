package model

// HealthShipmentConnection is a page of the shipments counting against an
// account-health metric; totalCount comes from the metric's counts.
type HealthShipmentConnection struct {
	Edges      []*ShipmentEdge
	PageInfo   *PageInfo
	TotalCount int
}
