package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// signIn signs in to the dashboard through its form and waits for the
// page it lands on.
func signIn(t *testing.T, ctx context.Context, env *apptest.Env, key, next string) {
	t.Helper()
	do(t, ctx, "sign in",
		chromedp.Navigate(env.URL+next),
		chromedp.WaitVisible(chromedp.CSS("#api_key")),
		chromedp.SendKeys(chromedp.CSS("#api_key"), key),
		chromedp.Submit(chromedp.CSS("#api_key")),
	)
	poll(t, ctx, "the page after signing in", `location.pathname !== "/app/login" && document.readyState === "complete"`, 20*time.Second)
}

// The seller's day in a real browser: sign in, account health with its
// charts, a flag raised elsewhere appearing live on the flags page and
// resolved there with a note, another marked seen and resolved through the
// API leaving the open page without a reload, a shipment's timeline, a dispute opened and
// its evidence pack downloaded, and the GraphiQL playground loading with
// no request leaving the server.
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	sellerID, key := env.Seller(t, "Northwind Goods")
	ctx := browser(t, 1280, 900)
	away := watchOffsite(t, ctx, env.URL)

	// A delivered shipment with a timeline, and one with a flag.
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "A-1001", carrier: "UPS", trackingNumber: "1Z999AA10123456784",
		shippedAt: "2026-11-18T15:00:00Z", deliverBy: "2026-11-21T23:59:59Z", destination: {postalCode: "97205", country: "US"}}) { id } }`, nil, nil)
	env.MustGraphQL(t, key, `mutation { recordTrackingEvents(input: [
		{trackingNumber: "1Z999AA10123456784", carrier: "UPS", occurredAt: "2026-11-18T18:00:00Z", status: IN_TRANSIT, description: "Origin Scan", location: {city: "Reno", region: "NV", country: "US"}},
		{trackingNumber: "1Z999AA10123456784", carrier: "UPS", occurredAt: "2026-11-20T17:02:00Z", status: DELIVERED, description: "Delivered", signedBy: "J DOE", location: {city: "Portland", region: "OR", postalCode: "97205", country: "US"}}]) { recorded } }`, nil, nil)

	// Sign in: the page asked for comes after the form.
	signIn(t, ctx, env, key, "/app/")
	if h1 := text(t, ctx, "h1"); h1 != "Account health" {
		t.Fatalf("after signing in the page is %q, want Account health", h1)
	}
	poll(t, ctx, "the charts", `!!(window.Chart && Chart.getChart("chart-VALID_TRACKING_RATE") && Chart.getChart("chart-LATE_SHIPMENT_RATE"))`, 10*time.Second)
	if f := text(t, ctx, "#forecast-title"); f != "Forecast and save queue" {
		t.Errorf("the health page's forecast section is %q", f)
	}
	screenshot(t, ctx, "dashboard-health")

	// Flags: the stream is live, then a flag raised by the API appears.
	do(t, ctx, "flags page", chromedp.Navigate(env.URL+"/app/flags"))
	poll(t, ctx, "the live stream", `document.getElementById("live-status").dataset.state === "live"`, 15*time.Second)
	var created struct{ CreateShipment struct{ ID string } }
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "B-2002", carrier: "UPS", trackingNumber: "1Z999AA10123456785"}) { id } }`, nil, &created)
	poll(t, ctx, "the new flag", `!!document.querySelector("li.flag.new") && document.querySelector("li.flag.new").innerText.includes("B-2002")`, 30*time.Second)
	if flagText := text(t, ctx, "li.flag.new"); !strings.Contains(flagText, "Invalid tracking") {
		t.Errorf("the live flag reads %q, want an invalid tracking flag", flagText)
	}
	screenshot(t, ctx, "dashboard-flags")
	do(t, ctx, "resolve the flag",
		chromedp.SendKeys(chromedp.CSS("li.flag.new input[name=note]"), "typo: the label says ...784"),
		chromedp.Click(chromedp.CSS("li.flag.new form.resolve button")),
	)
	poll(t, ctx, "the page after resolving", `document.readyState === "complete" && !document.querySelector("li.flag.new")`, 15*time.Second)
	var flags struct {
		Flags struct {
			Edges []struct {
				Node struct {
					Resolution, ResolutionNote string
					Shipment                   struct{ OrderID string }
				}
			}
		}
	}
	env.MustGraphQL(t, key, `{ flags(filter: {open: false}) { edges { node { resolution resolutionNote shipment { orderId } } } } }`, nil, &flags)
	manual := 0
	for _, e := range flags.Flags.Edges {
		if e.Node.Resolution == "MANUAL" {
			manual++
			if e.Node.ResolutionNote != "typo: the label says ...784" || e.Node.Shipment.OrderID != "B-2002" {
				t.Errorf("resolved by hand: %+v, want B-2002's flag with the note", e.Node)
			}
		}
	}
	if manual != 1 {
		t.Errorf("resolved flags = %+v, want one resolved by hand", flags.Flags.Edges)
	}

	// A flag acknowledged and then resolved through the API, not the page,
	// changes the open page without a reload: marked seen, then gone, each
	// announced, the counts following and the keyboard focus kept.
	poll(t, ctx, "the live stream again", `document.getElementById("live-status").dataset.state === "live"`, 15*time.Second)
	eval[bool](t, ctx, "mark the document", `window.sameDocument = true`)
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "C-3003", carrier: "UPS", trackingNumber: "1Z999AA10123456783"}) { id } }`, nil, nil)
	poll(t, ctx, "the second flag", `[...document.querySelectorAll("li.flag.new")].some(li => li.innerText.includes("C-3003"))`, 30*time.Second)
	rowID := eval[string](t, ctx, "the second flag's row", `[...document.querySelectorAll("li.flag.new")].find(li => li.innerText.includes("C-3003")).id`)
	flagID := strings.TrimPrefix(rowID, "flag-")
	if open := text(t, ctx, "#open-INVALID_TRACKING"); open != "1" {
		t.Errorf("open invalid-tracking flags on the page = %q, want 1", open)
	}
	env.MustGraphQL(t, key, `mutation($id: ID!) { acknowledgeFlag(id: $id) { id } }`, map[string]any{"id": flagID}, nil)
	poll(t, ctx, "the flag marked seen", `(() => { const row = document.getElementById("`+rowID+`");
		return !row.querySelector("form.ack") && row.querySelector(".when").innerText.includes("seen") &&
			document.getElementById("announcer").textContent === "Flag marked as seen: Invalid tracking on order C-3003"; })()`, 15*time.Second)
	eval[bool](t, ctx, "focus the note", `document.getElementById("note-`+flagID+`").focus(), document.activeElement.id === "note-`+flagID+`"`)
	env.MustGraphQL(t, key, `mutation($id: ID!) { resolveFlag(id: $id, note: "relabelled") { id } }`, map[string]any{"id": flagID}, nil)
	poll(t, ctx, "the resolved flag gone", `!document.getElementById("`+rowID+`") &&
		document.getElementById("announcer").textContent === "Flag resolved by hand: Invalid tracking on order C-3003"`, 15*time.Second)
	if same := eval[bool](t, ctx, "the same document", `window.sameDocument === true`); !same {
		t.Error("the page was reloaded: the resolution must arrive live")
	}
	if open := text(t, ctx, "#open-INVALID_TRACKING"); open != "0" {
		t.Errorf("open invalid-tracking flags on the page after the resolution = %q, want 0", open)
	}
	if focus := eval[string](t, ctx, "the focus", `document.activeElement === document.body ? "body" : document.activeElement.tagName`); focus == "body" {
		t.Error("the keyboard focus was lost to the page's body when the focused flag left")
	}

	// Showing all invalid-tracking flags: a flag of another kind raised
	// live is counted but not listed, and one resolved through the API
	// stays, shown resolved with its note.
	do(t, ctx, "all invalid-tracking flags", chromedp.Navigate(env.URL+"/app/flags?state=all&kind=INVALID_TRACKING"))
	poll(t, ctx, "the live stream on all flags", `document.getElementById("live-status").dataset.state === "live"`, 15*time.Second)
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "E-5005", carrier: "FEDEX", trackingNumber: "1ZJRKRRB0271932319"}) { id } }`, nil, nil)
	poll(t, ctx, "the other kind's flag counted", `document.getElementById("open-CARRIER_MISMATCH").innerText === "1"`, 30*time.Second)
	env.MustGraphQL(t, key, `mutation { createShipment(input: {orderId: "D-4004", carrier: "UPS", trackingNumber: "1Z999AA10123456782"}) { id } }`, nil, nil)
	poll(t, ctx, "the third flag", `[...document.querySelectorAll("li.flag.new")].some(li => li.innerText.includes("D-4004"))`, 30*time.Second)
	if listed := eval[bool](t, ctx, "the other kind's flag", `document.getElementById("flags").innerText.includes("E-5005")`); listed {
		t.Error("a carrier-mismatch flag was listed among the invalid-tracking flags")
	}
	rowID = eval[string](t, ctx, "the third flag's row", `[...document.querySelectorAll("li.flag.new")].find(li => li.innerText.includes("D-4004")).id`)
	env.MustGraphQL(t, key, `mutation($id: ID!) { resolveFlag(id: $id, note: "wrong label") { id } }`, map[string]any{"id": strings.TrimPrefix(rowID, "flag-")}, nil)
	poll(t, ctx, "the flag shown resolved", `(() => { const row = document.getElementById("`+rowID+`");
		return row.classList.contains("resolved") && !row.querySelector(".actions") && row.querySelector(".when").innerText.includes("resolved") &&
			row.querySelector(".when").innerText.includes("“wrong label”"); })()`, 15*time.Second)

	// Shipments: a search by tracking number lands on the shipment.
	do(t, ctx, "search a shipment",
		chromedp.Navigate(env.URL+"/app/shipments"),
		chromedp.SendKeys(chromedp.CSS("#q"), "1z 999 aa1 0123456784"),
		chromedp.Submit(chromedp.CSS("#q")),
	)
	poll(t, ctx, "the shipment page", `document.querySelector("h1") && document.querySelector("h1").innerText === "Order A-1001"`, 10*time.Second)
	timeline := text(t, ctx, "#timeline-title + p + .scroll")
	for _, want := range []string{"Origin Scan", "Delivered", "Portland", "signed by J DOE", "Back office"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	if proof := text(t, ctx, "#proofs-title + .card"); !strings.Contains(proof, "Portland OR 97205 (the carrier's delivery scan)") {
		t.Errorf("the carrier's proof does not say where its delivery scan was: %q", proof)
	}
	screenshot(t, ctx, "dashboard-shipment")

	// Disputes: open one on the order, then download its evidence pack
	// with the session (no API key in the page).
	do(t, ctx, "open a dispute",
		chromedp.Navigate(env.URL+"/app/disputes"),
		chromedp.SendKeys(chromedp.CSS("#order"), "A-1001"),
		chromedp.SetValue(chromedp.CSS("#kind"), "A_TO_Z_CLAIM"),
		chromedp.SendKeys(chromedp.CSS("#external_reference"), "AZ-114"),
		chromedp.Submit(chromedp.CSS("#order")),
	)
	poll(t, ctx, "the dispute in the list", `!!document.querySelector("a.evidence") && document.body.innerText.includes("A-to-z claim")`, 10*time.Second)
	screenshot(t, ctx, "dashboard-disputes")
	pdf := eval[map[string]any](t, ctx, "download the evidence pack", `(async () => {
		const a = document.querySelector("a.evidence");
		const r = await fetch(a.href, {credentials: "same-origin"});
		const b = new Uint8Array(await r.arrayBuffer());
		return {status: r.status, type: r.headers.get("content-type"), head: String.fromCharCode(...b.slice(0, 5)), size: b.length};
	})()`)
	if pdf["status"] != float64(200) || pdf["type"] != "application/pdf" || pdf["head"] != "%PDF-" {
		t.Errorf("evidence pack download = %v, want a PDF", pdf)
	}

	// On a phone: every page fits the screen's width (tables scroll in
	// their own box) and the controls keep their labels.
	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	for _, page := range []string{"/app/", "/app/flags?state=all", "/app/shipments", "/app/imports", "/app/disputes"} {
		do(t, ctx, "phone "+page, chromedp.Navigate(env.URL+page))
		poll(t, ctx, page+" loaded", `document.readyState === "complete"`, 10*time.Second)
		if w := eval[float64](t, ctx, "page width", `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s is %v px wide on a 390 px phone", page, w)
		}
		if n := eval[float64](t, ctx, "unlabelled controls", `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
			.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")).length`); n != 0 {
			t.Errorf("%s has %v controls without a label", page, n)
		}
	}
	do(t, ctx, "phone flags", chromedp.Navigate(env.URL+"/app/flags?state=all"))
	poll(t, ctx, "flags loaded", `document.readyState === "complete"`, 10*time.Second)
	screenshot(t, ctx, "dashboard-phone-flags")
	do(t, ctx, "desktop", chromedp.EmulateReset())

	// The playground: GraphiQL renders and reads the schema from the
	// server alone.
	do(t, ctx, "playground", chromedp.Navigate(env.URL+"/"))
	poll(t, ctx, "GraphiQL with the schema's docs", `!!document.querySelector(".graphiql-container") && !!document.querySelector('[aria-label="Show Documentation Explorer"]')`, 20*time.Second)
	screenshot(t, ctx, "playground")
	// Its fetcher, with the headers pane's Authorization header: a query
	// over HTTP, and a subscription over the same endpoint's websocket
	// that receives a flag raised through the API.
	viewer := eval[map[string]any](t, ctx, "playground query", `window.shipwatchFetcher({query: "{ viewer { name } }"}, {headers: {Authorization: "Bearer `+key+`"}})`)
	if fmt.Sprint(viewer["data"]) != "map[viewer:map[name:Northwind Goods]]" {
		t.Errorf("playground query = %v", viewer)
	}
	do(t, ctx, "start a subscription", chromedp.Evaluate[chromedp.Void](`window.flagSeen = (async () => {
		const it = window.shipwatchFetcher({query: "subscription { flagRaised { kind shipment { orderId } } }"}, {headers: {Authorization: "Bearer `+key+`"}});
		for await (const r of it) { return r; }
	})(); true`))
	attempt := 0
	apptest.Eventually(t, 30*time.Second, "a flag through the playground's subscription", func() bool {
		// A new order each time: the subscription may not be listening yet.
		attempt++
		env.MustGraphQL(t, key, `mutation($o: String!) { createShipment(input: {orderId: $o, carrier: "UPS", trackingNumber: "1Z999AA10123456786"}) { id } }`,
			map[string]any{"o": fmt.Sprintf("C-%d", attempt)}, nil)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`Promise.race([window.flagSeen, new Promise(r => setTimeout(() => r(null), 1000))])`, chromedp.EvalAwaitPromise))
		if err != nil || got == nil {
			return false
		}
		if !strings.Contains(fmt.Sprint(got), "INVALID_TRACKING") {
			t.Errorf("subscription payload = %v", got)
		}
		return true
	})
	if urls := away.list(); len(urls) > 0 {
		t.Errorf("the pages requested other hosts: %v", urls)
	}
	_ = sellerID
}

// An upload through the dashboard: the file goes up with its progress
// bar, the import page follows the load through the progress stream (a
// file large enough to take seconds to load, so the page is open while it
// loads), then shows the rejected rows and serves the corrected file.
func TestDashboardUploadInBrowser(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	ctx := browser(t, 1280, 900)
	const rows = 20_000
	var file strings.Builder
	file.WriteString("order_id,tracking_number,carrier,ship_by\n")
	for i := range rows {
		number := "1Z999AA10123456784"
		if i%5000 == 7 {
			number = "" // rejected: tracking_number is required
		}
		fmt.Fprintf(&file, "U-%05d,%s,UPS,2026-11-21\n", i, number)
	}
	path := filepath.Join(t.TempDir(), "shipments.csv")
	if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, env, key, "/app/imports")
	screenshot(t, ctx, "dashboard-imports")
	do(t, ctx, "upload",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
		chromedp.Click(chromedp.CSS("#upload button[type=submit]")),
	)
	poll(t, ctx, "the import page", `location.pathname.startsWith("/app/imports/") && !!document.getElementById("import-progress")`, 30*time.Second)
	if done := eval[string](t, ctx, "import state", `document.getElementById("import").dataset.done`); done != "false" {
		t.Fatalf("the import page opened on a finished import (%s): the file loads too fast to see its progress", done)
	}
	id := strings.TrimPrefix(mustLocation(t, ctx), "/app/imports/")
	screenshot(t, ctx, "dashboard-import-progress")
	poll(t, ctx, "the import to complete on the page", `document.getElementById("st-status").innerText === "Completed" && document.getElementById("import-progress").value === 100`, 120*time.Second)
	if n := eval[string](t, ctx, "progress events", `document.getElementById("import").dataset.events || "0"`); n == "0" {
		t.Errorf("the page completed without a progress event from the stream")
	}
	if rejected := text(t, ctx, "#st-rejected"); rejected != "4" {
		t.Errorf("the page shows %s rejected rows, want 4", rejected)
	}
	do(t, ctx, "reload for the rows", chromedp.Navigate(env.URL+"/app/imports/"+id))
	errorsFile := eval[map[string]any](t, ctx, "download the corrected file", `(async () => {
		const a = document.querySelector('a[href$="/errors"]');
		const r = await fetch(a.href, {credentials: "same-origin"});
		return {status: r.status, disposition: r.headers.get("content-disposition"), text: await r.text()};
	})()`)
	if errorsFile["status"] != float64(200) || !strings.Contains(fmt.Sprint(errorsFile["disposition"]), "shipments-errors.csv") ||
		!strings.HasPrefix(fmt.Sprint(errorsFile["text"]), "line,column,error,order_id") {
		t.Errorf("errors file = %v", errorsFile)
	}
	screenshot(t, ctx, "dashboard-import")
}

func mustLocation(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, "location", `location.pathname`)
}
