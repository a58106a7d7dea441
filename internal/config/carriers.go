package config

import (
	"strconv"
	"strings"
)

// Budget is a number of carrier tracking requests per hour and per day.
type Budget struct{ Hourly, Daily int }

// maxBudget bounds an operator's budget as the API bounds a seller's.
const maxHourlyBudget, maxDailyBudget = 1_000_000, 10_000_000

// carrierBudgets reads SHIPWATCH_CARRIER_BUDGETS, the operator's default
// budgets per carrier for accounts whose seller set none, such as
// "UPS=20000/200000,USPS=120/2880". Carriers not named keep Shipwatch's
// defaults (docs/carriers.md).
func (r *reader) carrierBudgets(name string) map[string]Budget {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	want := "comma-separated CARRIER=HOURLY/DAILY for UPS, FEDEX or USPS, such as UPS=20000/200000,USPS=120/2880"
	out := map[string]Budget{}
	for _, part := range strings.Split(v, ",") {
		c, nums, ok := strings.Cut(strings.TrimSpace(part), "=")
		h, d, ok2 := strings.Cut(nums, "/")
		c = strings.ToUpper(strings.TrimSpace(c))
		hourly, err1 := strconv.Atoi(strings.TrimSpace(h))
		daily, err2 := strconv.Atoi(strings.TrimSpace(d))
		if !ok || !ok2 || (c != "UPS" && c != "FEDEX" && c != "USPS") || err1 != nil || err2 != nil ||
			hourly < 1 || hourly > maxHourlyBudget || daily < 1 || daily > maxDailyBudget {
			r.fail(name, v, want)
			return nil
		}
		out[c] = Budget{Hourly: hourly, Daily: daily}
	}
	return out
}
