package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The two operations the simulator needs from the public GraphQL API.
const (
	shipmentsQuery = `query($after: String) {
  shipments(first: 500, after: $after) {
    edges { node { id trackingNumber carrier shippedAt deliverBy destination { postalCode country } } }
    pageInfo { hasNextPage endCursor }
  }
}`
	createSourceMutation = `mutation($p: TrackingProvider!, $s: String!) {
  createTrackingSource(provider: $p, secret: $s) { id webhookUrl }
}`
)

// maxPages stops a server whose cursor never ends: 10,000 pages of 500.
const maxPages = 10_000

// maxResponse bounds what the simulator reads of any one answer.
const maxResponse = 64 << 20

// api is a client of the Shipwatch GraphQL endpoint.
type api struct {
	endpoint string
	apiKey   string
	http     *http.Client
}

type graphQLError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// do posts one operation and decodes its data into out.
func (a *api) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.apiKey)
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	var envelope struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphQLError  `json:"errors"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		return fmt.Errorf("%s: not a GraphQL response: %s", resp.Status, snippet(raw))
	}
	if len(envelope.Errors) > 0 {
		e := envelope.Errors[0]
		if e.Extensions.Code != "" {
			return fmt.Errorf("%s: %s (%s)", resp.Status, e.Message, e.Extensions.Code)
		}
		return fmt.Errorf("%s: %s", resp.Status, e.Message)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	if err := json.Unmarshal(envelope.Data, out); err != nil {
		return fmt.Errorf("decode data: %w", err)
	}
	return nil
}

type shipmentNode struct {
	ID             string  `json:"id"`
	TrackingNumber *string `json:"trackingNumber"`
	Carrier        *string `json:"carrier"`
	ShippedAt      *string `json:"shippedAt"`
	DeliverBy      *string `json:"deliverBy"`
	Destination    struct {
		PostalCode *string `json:"postalCode"`
		Country    *string `json:"country"`
	} `json:"destination"`
}

// shipments pages through every shipment the API key's seller has. Nodes
// without a tracking number or a shipping time have no carrier life to
// play and are counted as skipped.
func (a *api) shipments(ctx context.Context) (list []Shipment, skipped int, err error) {
	var after *string
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, 0, fmt.Errorf("list shipments: more than %d pages", maxPages)
		}
		var data struct {
			Shipments struct {
				Edges []struct {
					Node shipmentNode `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"shipments"`
		}
		if err := a.do(ctx, shipmentsQuery, map[string]any{"after": after}, &data); err != nil {
			return nil, 0, fmt.Errorf("list shipments: %w", err)
		}
		for _, edge := range data.Shipments.Edges {
			s, ok := edge.Node.shipment()
			if !ok {
				skipped++
				continue
			}
			list = append(list, s)
		}
		info := data.Shipments.PageInfo
		if !info.HasNextPage {
			return list, skipped, nil
		}
		if info.EndCursor == nil || seen[*info.EndCursor] {
			return nil, 0, fmt.Errorf("list shipments: page %d has no new end cursor", page+1)
		}
		seen[*info.EndCursor] = true
		after = info.EndCursor
	}
}

func (n shipmentNode) shipment() (Shipment, bool) {
	s := Shipment{ID: n.ID, TrackingNumber: deref(n.TrackingNumber), Carrier: deref(n.Carrier)}
	if c := deref(n.Destination.Country); c == "" || c == "US" || c == "USA" {
		s.DestinationZIP = deref(n.Destination.PostalCode)
	}
	shipped, ok := parseAPITime(deref(n.ShippedAt), false)
	if s.TrackingNumber == "" || !ok {
		return Shipment{}, false
	}
	s.ShippedAt = shipped
	s.DeliverBy, _ = parseAPITime(deref(n.DeliverBy), true)
	return s, true
}

// parseAPITime reads a DateTime or a Date. A Date promised for delivery
// means by the end of that day (UTC); a shipping Date means its start.
func parseAPITime(s string, endOfDay bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false
	}
	if endOfDay {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, true
}

// createSource registers a tracking source with the given secret and
// returns where its webhooks go.
func (a *api) createSource(ctx context.Context, provider, secret string) (id, webhookURL string, err error) {
	var data struct {
		CreateTrackingSource struct {
			ID         string `json:"id"`
			WebhookURL string `json:"webhookUrl"`
		} `json:"createTrackingSource"`
	}
	vars := map[string]any{"p": strings.ToUpper(provider), "s": secret}
	if err := a.do(ctx, createSourceMutation, vars, &data); err != nil {
		return "", "", fmt.Errorf("create tracking source: %w", err)
	}
	src := data.CreateTrackingSource
	if src.WebhookURL == "" {
		return "", "", fmt.Errorf("create tracking source: no webhookUrl in the answer")
	}
	return src.ID, src.WebhookURL, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

// snippet is the start of a response body, for error messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Sprintf("%q", s)
}
