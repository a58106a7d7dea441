package carrier

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the zone database is embedded: scan times resolve the same on every host
)

// The tables below are data written for Shipwatch from two public
// sources: the IANA time zone database (the US zones and the areas
// zone1970.tab describes for each), and USPS three-digit ZIP Code
// prefixes (USPS Publication 65 and the L002 prefix list) for which
// prefix belongs to which state. A state that spans two zones takes the
// zone of most of its population; zip3Zone lists the prefixes of the
// areas on the other side of the line.

// usStateZone is each US state's or territory's zone (its main one).
var usStateZone = map[string]string{
	"AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
	"CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
	"DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
	"ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis", "IA": "America/Chicago",
	"KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago", "ME": "America/New_York",
	"MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
	"MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver", "NE": "America/Chicago",
	"NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
	"NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
	"OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York", "RI": "America/New_York",
	"SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago",
	"UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
	"WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
	"PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam", "AS": "Pacific/Pago_Pago",
	"MP": "Pacific/Saipan",
}

// zip3Zone are the prefixes whose zone is not their state's main one.
var zip3Zone = map[int]string{
	324: "America/Chicago", 325: "America/Chicago", // Florida panhandle west of the Apalachicola
	373: "America/New_York", 374: "America/New_York", 376: "America/New_York", // East Tennessee
	377: "America/New_York", 378: "America/New_York", 379: "America/New_York",
	420: "America/Chicago", 421: "America/Chicago", 422: "America/Chicago", 423: "America/Chicago", // Western Kentucky
	463: "America/Chicago", 464: "America/Chicago", // Northwest Indiana (Gary)
	476: "America/Chicago", 477: "America/Chicago", // Southwest Indiana (Evansville)
	498: "America/Menominee", 499: "America/Menominee", // Michigan's Upper Peninsula, west
	577: "America/Denver",                                               // Western South Dakota (Rapid City)
	586: "America/Denver",                                               // Southwest North Dakota (Dickinson)
	693: "America/Denver",                                               // Nebraska panhandle (Scottsbluff, Alliance)
	798: "America/Denver", 799: "America/Denver", 885: "America/Denver", // El Paso, Texas
	835: "America/Los_Angeles", 838: "America/Los_Angeles", // North Idaho
	979: "America/Boise", // Malheur County, Oregon
}

// zip3State maps ranges of ZIP prefixes to their state: {first, last, state}.
var zip3State = []struct {
	first, last int
	state       string
}{
	{5, 5, "NY"}, {6, 7, "PR"}, {8, 8, "VI"}, {9, 9, "PR"}, {10, 27, "MA"}, {28, 29, "RI"}, {30, 38, "NH"},
	{39, 49, "ME"}, {50, 54, "VT"}, {55, 55, "MA"}, {56, 59, "VT"}, {60, 69, "CT"}, {70, 89, "NJ"},
	{100, 149, "NY"}, {150, 196, "PA"}, {197, 199, "DE"}, {200, 205, "DC"}, {206, 219, "MD"}, {220, 246, "VA"},
	{247, 268, "WV"}, {270, 289, "NC"}, {290, 299, "SC"}, {300, 319, "GA"}, {320, 339, "FL"}, {341, 349, "FL"},
	{350, 369, "AL"}, {370, 385, "TN"}, {386, 397, "MS"}, {398, 399, "GA"}, {400, 427, "KY"}, {430, 459, "OH"},
	{460, 479, "IN"}, {480, 499, "MI"}, {500, 528, "IA"}, {530, 549, "WI"}, {550, 567, "MN"}, {570, 577, "SD"},
	{580, 588, "ND"}, {590, 599, "MT"}, {600, 629, "IL"}, {630, 658, "MO"}, {660, 679, "KS"}, {680, 693, "NE"},
	{700, 714, "LA"}, {716, 729, "AR"}, {730, 749, "OK"}, {750, 799, "TX"}, {800, 816, "CO"}, {820, 831, "WY"},
	{832, 838, "ID"}, {840, 847, "UT"}, {850, 865, "AZ"}, {870, 884, "NM"}, {885, 885, "TX"}, {889, 898, "NV"},
	{900, 961, "CA"}, {967, 968, "HI"}, {969, 969, "GU"}, {970, 979, "OR"}, {980, 994, "WA"}, {995, 999, "AK"},
}

// singleZoneCountry are countries the IANA database gives exactly one zone
// (ISO 3166 code → zone). A country with several (CA, MX, BR, AU, RU, CN,
// ES, PT, ...) is resolved only when the carrier's time carries an offset.
var singleZoneCountry = map[string]string{
	"GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris", "DE": "Europe/Berlin",
	"NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg", "IT": "Europe/Rome",
	"CH": "Europe/Zurich", "AT": "Europe/Vienna", "PL": "Europe/Warsaw", "CZ": "Europe/Prague",
	"SK": "Europe/Bratislava", "HU": "Europe/Budapest", "RO": "Europe/Bucharest", "BG": "Europe/Sofia",
	"GR": "Europe/Athens", "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen",
	"FI": "Europe/Helsinki", "IS": "Atlantic/Reykjavik", "TR": "Europe/Istanbul", "IL": "Asia/Jerusalem",
	"AE": "Asia/Dubai", "SA": "Asia/Riyadh", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "KR": "Asia/Seoul",
	"HK": "Asia/Hong_Kong", "TW": "Asia/Taipei", "SG": "Asia/Singapore", "PH": "Asia/Manila",
	"TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh", "ZA": "Africa/Johannesburg", "NG": "Africa/Lagos",
	"EG": "Africa/Cairo", "KE": "Africa/Nairobi", "CO": "America/Bogota", "PE": "America/Lima",
	"PR": "America/Puerto_Rico", "JM": "America/Jamaica", "CR": "America/Costa_Rica", "PA": "America/Panama",
}

// Zone returns the time zone of a scan location: from the US ZIP Code's
// prefix, else the US state, else the country when it has one zone. ok is
// false when the location does not tell.
func Zone(country, region, postal string) (loc *time.Location, ok bool) {
	country = strings.ToUpper(strings.TrimSpace(country))
	region = strings.ToUpper(strings.TrimSpace(region))
	switch country {
	case "USA", "UNITED STATES", "US", "":
		name := usZone(region, postal)
		if name == "" && country == "" {
			return nil, false
		}
		if name != "" {
			return load(name)
		}
		return nil, false
	}
	if name, found := singleZoneCountry[country]; found {
		return load(name)
	}
	return nil, false
}

func usZone(state, postal string) string {
	if z, ok := zip3(postal); ok {
		if name, ok := zip3Zone[z]; ok {
			return name
		}
		for _, r := range zip3State {
			if z >= r.first && z <= r.last {
				return usStateZone[r.state]
			}
		}
	}
	return usStateZone[state]
}

// zip3 reads the prefix of a 5- or 9-digit ZIP Code ("07470", "07470-1234").
func zip3(postal string) (int, bool) {
	p := strings.TrimSpace(postal)
	if len(p) < 5 {
		return 0, false
	}
	for _, r := range p[:5] {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(p[:3])
	return n, err == nil
}

func load(name string) (*time.Location, bool) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// LocalTime reads a carrier's zoneless date and time (layout as for
// time.Parse) at the scan's location. resolved is false when the location
// did not tell the zone; the time is then read as UTC and the caller
// keeps the carrier's text beside it.
func LocalTime(layout, value, country, region, postal string) (t time.Time, resolved bool, err error) {
	loc, ok := Zone(country, region, postal)
	if !ok {
		loc = time.UTC
	}
	t, err = time.ParseInLocation(layout, value, loc)
	if err != nil {
		return time.Time{}, false, err
	}
	return t.UTC(), ok, nil
}
