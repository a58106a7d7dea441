package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// The update inputs tell an omitted field (kept) from an explicit null
// (cleared) with graphql.Omittable. They are written here and bound in
// gqlgen.yml, rather than marked in the schema with gqlgen's @goField
// directive, so the published schema carries no code-generation
// directive: introspection shows only what a client can use.

// ShipmentUpdateInput is the input of updateShipment.
type ShipmentUpdateInput struct {
	OrderID        graphql.Omittable[*string]           `json:"orderId,omitempty"`
	Carrier        graphql.Omittable[*string]           `json:"carrier,omitempty"`
	TrackingNumber graphql.Omittable[*string]           `json:"trackingNumber,omitempty"`
	Service        graphql.Omittable[*string]           `json:"service,omitempty"`
	ShipBy         graphql.Omittable[*time.Time]        `json:"shipBy,omitempty"`
	ShippedAt      graphql.Omittable[*time.Time]        `json:"shippedAt,omitempty"`
	DeliverBy      graphql.Omittable[*time.Time]        `json:"deliverBy,omitempty"`
	Destination    graphql.Omittable[*DestinationInput] `json:"destination,omitempty"`
	Origin         graphql.Omittable[*OriginInput]      `json:"origin,omitempty"`
}

// DisputeUpdateInput is the input of updateDispute.
type DisputeUpdateInput struct {
	Kind              graphql.Omittable[*DisputeKind] `json:"kind,omitempty"`
	ExternalReference graphql.Omittable[*string]      `json:"externalReference,omitempty"`
	RespondBy         graphql.Omittable[*time.Time]   `json:"respondBy,omitempty"`
	Amount            graphql.Omittable[*Decimal]     `json:"amount,omitempty"`
	Currency          graphql.Omittable[*string]      `json:"currency,omitempty"`
	Note              graphql.Omittable[*string]      `json:"note,omitempty"`
}
