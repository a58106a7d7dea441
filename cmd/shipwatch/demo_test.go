package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// TestDemoFillsARunningServer runs the demo against a real server, as a
// new user would after `make run`.
func TestDemoFillsARunningServer(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	getenv := envWith(map[string]string{"DATABASE_URL": env.App.Config.DatabaseURL})
	code, out, errOut := runCmd(t, getenv, "demo", "--url", env.URL, "--shipments", "60", "--rate", "2000", "--seed", "3")
	if code != 0 {
		t.Fatalf("shipwatch demo = exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	key := regexp.MustCompile(`API key \(shown once\):\s+(sw_\S+)`).FindStringSubmatch(out)
	if key == nil || !strings.Contains(out, `"Authorization":"Bearer `+key[1]+`"`) || !strings.Contains(out, "events(first: 20)") ||
		!strings.Contains(out, env.URL+"/app") {
		t.Fatalf("output does not show the key, the dashboard, the headers and the query:\n%s", out)
	}

	// The printed key and query work, and the seller's parcels tell stories.
	apptest.Eventually(t, 20*time.Second, "the demo's webhooks processed", func() bool {
		var n int
		err := env.App.DB.Get(&n, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`)
		return err == nil && n == 0
	})
	var got struct {
		Shipments struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Status string
					Events struct {
						Edges []struct{ Node struct{ Status string } }
					}
				}
			}
		}
	}
	env.MustGraphQL(t, key[1], `{ shipments(first: 100) { totalCount edges { node { status events(first: 50) { edges { node { status } } } } } } }`, nil, &got)
	statuses := map[string]int{}
	withEvents := 0
	for _, e := range got.Shipments.Edges {
		statuses[e.Node.Status]++
		if len(e.Node.Events.Edges) > 0 {
			withEvents++
		}
	}
	if got.Shipments.TotalCount != 60 || withEvents < 50 || statuses["DELIVERED"] == 0 || len(statuses) < 3 {
		t.Errorf("demo seller: %d shipments, %d with events, statuses %v; want 60, most with events, several outcomes",
			got.Shipments.TotalCount, withEvents, statuses)
	}
	env.MustGraphQL(t, key[1], demoQuery, nil, nil)
	var valid int
	if err := env.App.DB.Get(&valid, `SELECT count(*) FROM shipments WHERE tracking_valid`); err != nil || valid != 60 {
		t.Errorf("%d demo numbers pass the check-digit test (%v), want 60", valid, err)
	}
}

func TestDemoWithoutAServer(t *testing.T) {
	code, _, errOut := runCmd(t, envWith(nil), "demo", "--url", "http://127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "start the server first with `make run`") {
		t.Errorf("demo without a server = exit %d, %q; want 1 and how to start one", code, errOut)
	}
}
