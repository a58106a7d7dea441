package monitor_test

import (
	"context"
	"testing"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// newService returns a Service on a fresh database with an insert-only
// River client: jobs are enqueued, not worked, so a test runs them itself.
func newService(tb testing.TB) (*monitor.Service, *store.Store) {
	tb.Helper()
	return monitortest.New(tb, dbtest.DB(tb))
}

// oneShipment creates a seller with one shipment, order A-1 with a valid
// UPS number.
func oneShipment(t *testing.T, svc *monitor.Service, st *store.Store) (store.Seller, *store.Shipment) {
	t.Helper()
	ctx := context.Background()
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	items, err := svc.CreateShipments(ctx, seller.ID, []shipment.Input{{OrderID: "A-1", TrackingNumber: "1Z999AA10123456784"}})
	if err != nil || items[0].Err != nil {
		t.Fatalf("CreateShipments() = %v, %v", items, err)
	}
	return seller, items[0].Shipment
}
