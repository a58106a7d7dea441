package graph_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/graph"
	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/server"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// queries counts the statements sent through the "postgres-counting"
// driver: lib/pq with a counter in front.
var (
	queries      atomic.Int64
	registerOnce sync.Once
)

type pqConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.NamedValueChecker
}

type countingDriver struct{}

func (countingDriver) Open(name string) (driver.Conn, error) {
	c, err := pq.Driver{}.Open(name)
	if err != nil {
		return nil, err
	}
	return countingConn{c.(pqConn)}, nil
}

type countingConn struct{ pqConn }

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	queries.Add(1)
	return c.pqConn.QueryContext(ctx, q, args)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	queries.Add(1)
	return c.pqConn.ExecContext(ctx, q, args)
}

func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	queries.Add(1)
	return c.pqConn.PrepareContext(ctx, q)
}

// TestShipmentEventsCostBoundedQueries checks the dataloaders: a page of
// shipments with their timelines, flags and proofs costs the same number of
// SQL statements whether the page holds 10 shipments or the largest page
// allowed, however the machine schedules the items' resolvers.
func TestShipmentEventsCostBoundedQueries(t *testing.T) {
	registerOnce.Do(func() { sql.Register("postgres-counting", countingDriver{}) })
	db, err := sqlx.Open("postgres-counting", dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	svc, st := monitortest.New(t, db)
	sel, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var inputs []shipment.Input
	var events []shipment.Event
	base := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for i := range 500 {
		number := fmt.Sprintf("LOADER%04d", i)
		inputs = append(inputs, shipment.Input{OrderID: fmt.Sprintf("O-%d", i), TrackingNumber: number})
		for j := range 4 {
			events = append(events, shipment.Event{TrackingNumber: number, OccurredAt: base.Add(time.Duration(j) * time.Hour),
				Status: shipment.StatusInTransit, Description: fmt.Sprintf("scan %d", j), Source: shipment.SourceBackOffice})
		}
	}
	if _, err := svc.CreateShipments(ctx, sel.ID, inputs); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordEvents(ctx, sel.ID, events); err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.DiscardHandler)
	resolver := &graph.Resolver{Store: st, Monitor: svc, Log: log}
	h := server.NewGraphQL(generated.NewExecutableSchema(resolver.Config()), st, nil, log, 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithSeller(r.Context(), sel)))
	}))
	defer srv.Close()

	cost := func(first int) (int64, int) {
		body, _ := json.Marshal(map[string]any{"query": fmt.Sprintf(
			`{ shipments(first: %d) { edges { node { id events(first: 3) { edges { node { status description } } pageInfo { hasNextPage } totalCount }
			flags(first: 10) { edges { node { kind } } } proofOfDelivery { id } } } } }`, first)})
		before := queries.Load()
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Data struct {
				Shipments struct {
					Edges []struct {
						Node struct {
							Events struct {
								Edges      []json.RawMessage
								PageInfo   struct{ HasNextPage bool }
								TotalCount int
							}
						}
					}
				}
			}
			Errors []any
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("query: %v %v", err, out.Errors)
		}
		for _, e := range out.Data.Shipments.Edges {
			if len(e.Node.Events.Edges) != 3 || !e.Node.Events.PageInfo.HasNextPage || e.Node.Events.TotalCount != 4 {
				t.Fatalf("a shipment has %d events (more: %v, total %d), want 3 of 4", len(e.Node.Events.Edges), e.Node.Events.PageInfo.HasNextPage, e.Node.Events.TotalCount)
			}
		}
		return queries.Load() - before, len(out.Data.Shipments.Edges)
	}
	small, n := cost(10)
	if n != 10 {
		t.Fatalf("listed %d shipments, want 10", n)
	}
	for range 3 {
		large, n := cost(500)
		if n != 500 {
			t.Fatalf("listed %d shipments, want 500", n)
		}
		if large == 0 {
			t.Fatal("the counting driver saw no statement")
		}
		if small != large || large > 5 {
			t.Fatalf("10 shipments cost %d statements and 500 cost %d; want the same, at most 5 (shipments, events, event counts, flags, proofs)", small, large)
		}
	}
}
