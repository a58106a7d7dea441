package tracking

// The service names some formats encode. Codes come from the carriers'
// published label specifications; unknown codes are reported as the raw
// ServiceType with no Service name. The maps are the readable source; Check
// reads the arrays built from them at init, which cost no hashing.

// upsServices maps the two characters after a 1Z shipper number.
var upsServices = map[string]string{
	"01": "UPS Next Day Air", "02": "UPS 2nd Day Air", "03": "UPS Ground",
	"12": "UPS 3 Day Select", "13": "UPS Next Day Air Saver",
	"15": "UPS Next Day Air Early", "22": "UPS Ground, Returns Plus (three pickup attempts)",
	"32": "UPS Next Day Air Early, COD", "33": "UPS Next Day Air Early, Saturday, COD",
	"41": "UPS Next Day Air Early, Saturday", "42": "UPS Ground, signature required",
	"44": "UPS Next Day Air, Saturday", "66": "UPS Worldwide Express",
	"72": "UPS Ground, COD", "78": "UPS Ground, Returns Plus (one pickup attempt)",
	"90": "UPS Ground, returns label printed and mailed by UPS",
	"A0": "UPS Next Day Air Early, adult signature", "A1": "UPS Next Day Air Early, Saturday, adult signature",
	"A2": "UPS Next Day Air, adult signature", "A8": "UPS Ground, adult signature",
	"A9": "UPS Next Day Air Early, adult signature, COD",
	"AA": "UPS Next Day Air Early, Saturday, adult signature, COD",
	"YW": "UPS SurePost, delivered by USPS",
}

// upsWaybillServices maps the letter of an 11 character UPS waybill.
var upsWaybillServices = map[string]string{
	"J": "UPS Next Day Express", "K": "UPS Ground", "V": "UPS Worldwide Express Saver",
}

// uspsServices maps the two digit service type of 20 digit and "91" USPS
// numbers (Publication 91).
var uspsServices = map[string]string{
	"01": "Delivery Confirmation", "02": "Delivery Confirmation", "03": "Delivery Confirmation (retail)",
	"04": "Delivery Confirmation (retail)", "05": "Delivery Confirmation, insured",
	"06": "Delivery Confirmation, insured", "07": "Delivery Confirmation, insured",
	"08": "Delivery Confirmation, insured", "14": "Delivery Confirmation (software vendor)",
	"21": "Signature Confirmation", "22": "Signature Confirmation", "23": "Signature Confirmation (retail)",
	"24": "Signature Confirmation (retail)", "25": "Signature Confirmation, insured",
	"26": "Signature Confirmation, insured", "34": "Signature Confirmation (software vendor)",
	"56": "Passive enroute scan", "73": "Insured Mail", "82": "Merchandise Return",
	"83": "Merchandise Return, insured", "85": "Merchandise Return, insured",
}

// impbService names the second digit of an IMpb application identifier
// (Publication 199).
func impbService(ai byte) string {
	switch ai {
	case '2':
		return "Commercial mailer label (9 digit mailer ID)"
	case '3':
		return "Commercial mailer label (6 digit mailer ID)"
	case '4':
		return "Online or PC Postage label"
	case '5':
		return "USPS retail label"
	}
	return ""
}

// s10Services names the first letter of a UPU S10 service indicator.
var s10Services = [26]string{
	'E' - 'A': "EMS", 'L' - 'A': "Letter post express", 'M' - 'A': "Letter post M-bag",
	'Q' - 'A': "International business reply", 'R' - 'A': "Registered letter post",
	'U' - 'A': "Letter post", 'V' - 'A': "Insured letter post", 'C' - 'A': "Parcel post",
	'H' - 'A': "E-commerce parcel",
}

// dpdServices maps the three digit service code of a DPD 28 character
// barcode (DPD parcel label specification).
var dpdServices = map[string]string{
	"101": "DPD Classic", "102": "DPD Classic, dangerous goods", "105": "DPD Classic, ex works",
	"106": "DPD Classic, ex works, dangerous goods", "109": "DPD Classic, COD",
	"110": "DPD Classic, COD, dangerous goods", "113": "DPD Classic, exchange",
	"136": "DPD Classic, small parcel", "154": "DPD Parcel Letter", "155": "DPD Guarantee",
	"161": "DPD Guarantee, COD", "179": "DPD 10:00", "191": "DPD 10:00, COD",
	"225": "DPD 12:00", "237": "DPD 12:00, COD", "350": "DPD 8:30",
}

// The lookup arrays, indexed by the code's characters in base 36.
var (
	upsServiceIndex     [36 * 36]string
	waybillServiceIndex [36]string
	uspsServiceIndex    [100]string
	dpdServiceIndex     [1000]string
)

func init() {
	fill := func(index []string, m map[string]string) {
		for code, name := range m {
			index[code36(code)] = name
		}
	}
	fill(upsServiceIndex[:], upsServices)
	fill(waybillServiceIndex[:], upsWaybillServices)
	fill(uspsServiceIndex[:], uspsServices)
	fill(dpdServiceIndex[:], dpdServices)
}

// code36 reads a code of digits and upper-case letters as a base 36
// number: the index into the lookup arrays. Codes of digits alone index as
// decimal, so the arrays of numeric codes stay small.
func code36(code string) int {
	base := 10
	if !allDigits(code) {
		base = 36
	}
	n := 0
	for i := 0; i < len(code); i++ {
		v := int(code[i] - '0')
		if c := code[i]; c >= 'A' {
			v = int(c-'A') + 10
		}
		n = n*base + v
	}
	return n
}
