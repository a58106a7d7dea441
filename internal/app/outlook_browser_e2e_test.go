package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
)

// TestProjectedMissInBrowser: the dashboard's flags page lists PROJECTED_MISS
// account flags as it lists shipment flags. The history is
// TestOutlookWatchEndToEnd's (Amazon VTR 19/20 = 95% today), first
// without the two parcels whose numbers fail the check, so nothing
// crosses; they are added while the page is open, and the outlook job
// (every second) projects VTR at 90.7% over 7 days and below its target
// over 30 days too. Its two flags appear live, each on its standard
// (linked to the account-health page) rather than an order, and are
// counted; the kind and severity filters find them after a reload; one is
// resolved from the page with a note.
func TestProjectedMissInBrowser(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.OutlookInterval = time.Second })
	sellerID, key := env.Seller(t, "Harbour Supply")
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "UTC"}) { timeZone } }`, nil, nil)
	vtrAtRisk(t, env, sellerID)

	b := browser(t, 1280, 900)
	signIn(t, b, env, key, "/app/flags")
	poll(t, b, "the live stream", `document.getElementById("live-status").dataset.state === "live"`, 15*time.Second)
	if open := text(t, b, "#open-PROJECTED_MISS"); open != "0" {
		t.Errorf("open projected-miss flags before the crossing = %q, want 0", open)
	}
	tipVTR(t, env, sellerID)
	poll(t, b, "the account flags live", `[...document.querySelectorAll("li.flag.new")].filter(li => li.innerText.includes("Projected miss")).length === 2`, 30*time.Second)
	row := `[...document.querySelectorAll("li.flag.new")].find(li => li.querySelector("a.subject") && li.querySelector("a.subject").innerText === "Amazon valid tracking rate over 7 days")`
	if href := eval[string](t, b, "the live row's link", row+`.querySelector("a.subject").getAttribute("href")`); href != "/app/health?days=7&marketplace=AMAZON" {
		t.Errorf("the live 7-day flag links to %q, want the Amazon 7-day health page", href)
	}
	if txt := eval[string](t, b, "the live row", row+`.innerText`); !strings.Contains(txt, "is projected at 90.7%") || strings.Contains(txt, "on order") {
		t.Errorf("the live 7-day flag reads %q: want its message, on its standard, not an order", txt)
	}
	if open := text(t, b, "#open-PROJECTED_MISS"); open != "2" {
		t.Errorf("open projected-miss flags after the run = %q, want 2", open)
	}
	screenshot(t, b, "dashboard-projected-miss")

	// Filtered by kind, then by severity, after a reload: the server's rows.
	do(t, b, "projected misses only", chromedp.Navigate(env.URL+"/app/flags?kind=PROJECTED_MISS"))
	poll(t, b, "the page", `document.readyState === "complete"`, 10*time.Second)
	if got := eval[string](t, b, "the listed subjects", `[...document.querySelectorAll("#flags li.flag a.subject")].map(a => a.innerText).join("|")`); got != "Amazon valid tracking rate over 7 days|Amazon valid tracking rate over 30 days" &&
		got != "Amazon valid tracking rate over 30 days|Amazon valid tracking rate over 7 days" {
		t.Errorf("projected-miss flags listed: %q, want the two Amazon VTR windows", got)
	}
	if n := eval[float64](t, b, "rows", `document.querySelectorAll("#flags li.flag").length`); n != 2 {
		t.Errorf("%v rows listed with kind PROJECTED_MISS, want 2 (the parcels' own flags are other kinds)", n)
	}
	if sel := eval[string](t, b, "the kind filter", `document.getElementById("kind").value`); sel != "PROJECTED_MISS" {
		t.Errorf("the kind filter shows %q, want PROJECTED_MISS selected", sel)
	}
	do(t, b, "warnings", chromedp.Navigate(env.URL+"/app/flags?severity=WARNING"))
	poll(t, b, "the page", `document.readyState === "complete"`, 10*time.Second)
	if n := eval[float64](t, b, "warning rows on a standard", `document.querySelectorAll("#flags li.flag a.subject").length`); n != 2 {
		t.Errorf("%v account flags among the warnings, want 2", n)
	}

	// Resolved from the page with a note, like any flag.
	do(t, b, "projected misses again", chromedp.Navigate(env.URL+"/app/flags?kind=PROJECTED_MISS"))
	poll(t, b, "the live stream", `document.getElementById("live-status").dataset.state === "live"`, 15*time.Second)
	id := eval[string](t, b, "the 30-day row", `[...document.querySelectorAll("#flags li.flag")].find(li => li.innerText.includes("over 30 days")).id`)
	do(t, b, "resolve it",
		chromedp.SendKeys(chromedp.CSS("#"+id+" input[name=note]"), "stock of labels replaced"),
		chromedp.Click(chromedp.CSS("#"+id+" form.resolve button")),
	)
	poll(t, b, "the page after resolving", `document.readyState === "complete" && !document.getElementById("`+id+`") && document.getElementById("open-PROJECTED_MISS").innerText === "1"`, 15*time.Second)
	var fl struct {
		Flags struct {
			Edges []struct {
				Node struct{ Subject, ResolutionNote string }
			}
		}
	}
	env.MustGraphQL(t, key, `{ flags(filter: {kinds: [PROJECTED_MISS], open: false}) { edges { node { subject resolutionNote } } } }`, nil, &fl)
	if len(fl.Flags.Edges) != 1 || fl.Flags.Edges[0].Node.Subject != "AMAZON/VALID_TRACKING_RATE/30" || fl.Flags.Edges[0].Node.ResolutionNote != "stock of labels replaced" {
		t.Errorf("resolved projected-miss flags = %+v, want the 30-day one with its note", fl.Flags.Edges)
	}
}
